"""Topics and quiz banks as shipped, section splitting, and check-content problems with file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import ContentError, default_content_dir, load_content
from bot.content.learning import OPTION_LIMIT, split_sections


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged content folder."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(root)
    return caught.value.problems


def test_packaged_topics_and_banks_meet_the_brief() -> None:
    content = load_content()
    assert [t.id for t in content.topics] == ["dang", "vaitro", "thoisu"]
    for topic in content.topics:
        assert topic.label and topic.summary and topic.sources
        assert len(topic.sections) >= 4
        for section in topic.sections:
            assert section.size <= 700, (topic.id, section.title, section.size)  # one phone screen
            assert "**" not in section.body and "<!--" not in section.body
        assert topic.checked is not None
        bank = content.quizzes[topic.id]
        assert len(bank) >= 10
        for question in bank:
            assert 3 <= len(question.options) <= 4 and question.explanation and question.source
            assert all(len(o) <= OPTION_LIMIT for o in question.options)
    thoisu = next(t for t in content.topics if t.id == "thoisu")
    assert any("Cán bộ" in s.body or "cán bộ" in s.body for s in thoisu.sections)
    all_text = "\n".join(s.body for t in content.topics for s in t.sections)
    assert "05/2024" not in all_text and "24-QĐ/TW" in all_text and "232-QĐ/TW" in all_text
    assert "294-QĐ/TW" in all_text and "đoàn cơ sở và 1 đảng viên chính thức" in all_text  # issue 15 points 2, 4
    assert "huyện Hương Khê (trước đây)" in all_text and "đủ 18 tuổi đến đủ 60 tuổi" in all_text


def test_split_sections_keeps_line_numbers_and_drops_comments() -> None:
    body = "# Title\n<!-- a note\nover two lines -->\n## One\nfirst\n\n## Two\nsecond\nmore\n## Nguồn\n• x\n"
    assert split_sections(body) == [(3, "One", "first"), (6, "Two", "second\nmore"), (9, "Nguồn", "• x")]
    assert split_sections("loose text\n## A\nbody") == [(0, "", "loose text"), (1, "A", "body")]


def test_broken_topic_files_give_file_line_problems(copy: Path) -> None:
    path = copy / "topics" / "3_thoi_su.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("## "))
    lines.insert(heading + 2, "x " * 600)  # the first section grows over 700 characters
    path.write_text("\n".join(lines), encoding="utf-8")
    (copy / "topics" / "9_copy.md").write_text(
        "---\nid: dang\ntitle: T\nlabel: L\nsummary: S\nchecked: 2026-12-01\n---\n## A\nbody\n## Nguồn\n• x\n",
        encoding="utf-8")
    (copy / "topics" / "8_bad.md").write_text(
        "---\nid: Bad Id\ntitle: T\nsummary: S\n---\nloose\n## Empty\n\n## B\nb\n", encoding="utf-8")
    found = problems_of(copy)
    assert any(p.startswith(f"content/topics/3_thoi_su.md:{heading + 1}: section") and "at most 700" in p
               for p in found), found
    assert "content/topics/9_copy.md:2: topic id 'dang' is also used by 1_dang.md" in found
    assert "content/topics/8_bad.md:2: id 'Bad Id' must be 1-16 of a-z, 0-9, _" in found
    assert "content/topics/8_bad.md:1: front matter needs a non-empty 'label'" in found
    assert any(p.startswith("content/topics/8_bad.md:1: front matter needs 'checked: YYYY-MM-DD'") for p in found)
    assert any(p.startswith("content/topics/8_bad.md:6: text before the first") for p in found)
    assert "content/topics/8_bad.md:7: section 'Empty' is empty" in found
    assert any(p.startswith("content/topics/8_bad.md:") and "no sources" in p for p in found)


def test_broken_quiz_banks_give_file_line_problems(copy: Path) -> None:
    (copy / "quizzes" / "9_bad.yaml").write_text(
        "topic: dang\n"
        "questions:\n"
        "  - id: dang-01\n"                                  # 3: duplicate of the packaged bank
        "    question: Q?\n"
        "    right: A\n"
        "    wrong: [B, C]\n"
        "    explanation: E\n"
        "    source: S\n"
        "  - id: x-1\n"                                      # 9: no right option
        "    question: Q?\n"
        "    wrong: [B, C, D]\n"                             # no right option
        "    explanation: E\n"
        "    source: S\n"
        "  - id: x-2\n"                                      # 14
        "    question: Q?\n"
        "    right: [A, B]\n"                                # 16: two right options
        "    wrong: [C, D]\n"
        "    explanation: E\n"
        "    source: S\n"
        f"  - id: x-3\n"                                     # 20
        "    question: Q?\n"
        f"    right: {'dài ' * 20}\n"                       # 22: over the button limit
        "    wrong: [B]\n"                                   # 23: only 2 options
        "    source: S\n", encoding="utf-8")
    (copy / "quizzes" / "8_unknown.yaml").write_text(
        "topic: khong_co\nquestions: []\n", encoding="utf-8")
    found = problems_of(copy)
    assert any(p.startswith("content/quizzes/9_bad.yaml:3: duplicate question id 'dang-01'") for p in found), found
    assert "content/quizzes/9_bad.yaml:9: question 'x-1' has no correct option ('right:')" in found
    assert "content/quizzes/9_bad.yaml:16: question 'x-2' has 2 correct options; exactly one is needed" in found
    assert any(p.startswith("content/quizzes/9_bad.yaml:22: option") and "button limit" in p for p in found)
    assert any(p.startswith("content/quizzes/9_bad.yaml:23: question 'x-3' has 2 options") for p in found)
    assert "content/quizzes/9_bad.yaml:20: question 'x-3' has no 'explanation'" in found
    assert any(p.startswith("content/quizzes/8_unknown.yaml:1: unknown topic 'khong_co'") for p in found)


def test_yaml_syntax_error_and_missing_folders(copy: Path) -> None:
    (copy / "quizzes" / "1_dang.yaml").write_text("topic: dang\nquestions:\n  - id: [\n", encoding="utf-8")
    shutil.rmtree(copy / "topics")
    found = problems_of(copy)
    assert any(p.startswith("content/quizzes/1_dang.yaml:") and "YAML syntax error" in p for p in found)
    assert any(p.startswith("content/topics:1: folder topics/ is missing") for p in found)


def test_check_content_cli_reports_problems(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    (copy / "quizzes" / "8_unknown.yaml").write_text("topic: khong_co\nquestions: []\n", encoding="utf-8")
    assert main(["check-content", str(copy)]) == 1
    assert "content/quizzes/8_unknown.yaml:1: unknown topic 'khong_co'" in capsys.readouterr().err
    (copy / "quizzes" / "8_unknown.yaml").unlink()
    assert main(["check-content", str(copy)]) == 0
    assert "3 topics, 3 quiz banks" in capsys.readouterr().out


def test_no_wrong_quiz_option_is_what_the_topic_teaches() -> None:
    # Issue 22 item 1: a leader who read the topic must not be marked wrong for repeating it.
    from bot.textutil import fold

    content = load_content()
    questions = {q.id: q for bank in content.quizzes.values() for q in bank}
    dang = next(t for t in content.topics if t.id == "dang")
    article_9 = fold(next(s.body for s in dang.sections if "tập trung dân chủ" in s.title))
    assert "tap the lanh dao" in article_9  # the topic quotes it as part of Điều 9 …
    assert not [o for o in questions["dang-07"].options[1:] if fold(o) in article_9]  # … so no wrong option says it
    # Over-60 admission exists (with the province committee's decision): "no age limit" is not a clean wrong answer,
    # and the question asks for the usual age range.
    age = questions["vaitro-14"]
    assert not [o for o in age.options if "gioi han" in fold(o)] and "thong thuong" in fold(age.text)
    assert "tren 60 tuoi" in fold(age.explanation)
