"""`caunoi check-content` keeps content true: the references registry, citations, `checked:` dates and
the 700-character section as leaders see it (issue 15)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.content import default_content_dir, load_content
from bot.content.audit import audit_folder, oldest_check
from bot.content.learning import SECTION_LIMIT, _shown_size
from bot.content.references import add_months, is_stale
from bot.textutil import nfc

TODAY = date(2026, 12, 6)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged content folder."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (which must be there) by `new`; returns the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_shipped_content_passes_with_every_citation_checked() -> None:
    report = audit_folder(default_content_dir(), TODAY)
    assert report.problems == [] and report.warnings == []
    assert report.citations >= 50 and report.documents >= 15


def test_every_citation_pattern_in_content_is_in_the_registry() -> None:
    # Independent of the checker's own pattern: a kind of document, optionally "số", then a number.
    root = default_content_dir()
    registry = yaml.safe_load((root / "references.yaml").read_text(encoding="utf-8"))
    numbers = {nfc(str(d["number"])) for d in registry["documents"]}
    kinds = r"(?:Nghị định|Quy định|Luật|Nghị quyết|Kết luận|Thông tư|Quyết định|Hướng dẫn|NĐ|QĐ|NQ|TT|KL)"
    cited = re.compile(r"(?:" + kinds + r"\s+(?:số\s+)?|\bsố\s+)(\d[\w/\-]*[\w])")  # "Luật … số 91/2025/QH15" too
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".md", ".yaml") or path.name in ("references.yaml", "README.md"):
            continue
        for number, line in enumerate(nfc(path.read_text(encoding="utf-8")).split("\n"), start=1):
            for match in cited.finditer(line):
                if re.search(r"[A-ZĐ]", match.group(1)):  # a number with a kind, not a date or a count
                    found.setdefault(match.group(1), f"{path.relative_to(root)}:{number}")
    assert len(found) >= 15, found
    missing = {number: where for number, where in found.items() if number not in numbers}
    assert missing == {}


def test_superseded_citation_missing_checked_and_long_section_fail_with_file_line(copy: Path) -> None:
    onboarding = copy / "texts" / "onboarding.yaml"
    cited = edit(onboarding, "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị định 356/2025/NĐ-CP",
                 "Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân")
    dang = copy / "topics" / "1_dang.md"
    edit(dang, "checked: 2026-12-06\n", "")
    thoisu = copy / "topics" / "3_thoi_su.md"
    content = load_content(default_content_dir())
    topic = next(t for t in content.topics if t.id == "thoisu")
    first = topic.sections[0]
    shown = _shown_size(content.texts)(topic.label, 1, len(topic.sections), first)
    heading = thoisu.read_text(encoding="utf-8").split("\n").index(f"## {first.title}") + 1
    last_line = first.body.split("\n")[-1]
    edit(thoisu, last_line, last_line + "x" * (720 - shown))  # the section as leaders see it: 720 characters
    quiz = copy / "quizzes" / "2_vai_tro.yaml"
    unknown = edit(quiz, '"Điều lệ Đảng, Điều 5"', '"Điều lệ Đảng, Điều 5; Thông tư 05/2024/TT-BNV"')

    report = audit_folder(copy, TODAY)
    problems = "\n".join(report.problems)
    assert f"content/texts/onboarding.yaml:{cited}: cites '13/2023/NĐ-CP', superseded by '356/2025/NĐ-CP'" \
        in problems, problems
    assert "content/topics/1_dang.md:1: front matter needs 'checked: YYYY-MM-DD'" in problems
    assert f"content/topics/3_thoi_su.md:{heading}: section '{first.title}' is 720 characters as leaders see it" \
        in problems
    assert f"content/quizzes/2_vai_tro.yaml:{unknown}: cites '05/2024/TT-BNV', which is not in references.yaml" \
        in problems


def test_a_section_of_exactly_700_characters_as_shown_passes(copy: Path) -> None:
    content = load_content(default_content_dir())
    topic = next(t for t in content.topics if t.id == "thoisu")
    first = topic.sections[0]
    shown = _shown_size(content.texts)(topic.label, 1, len(topic.sections), first)
    last_line = first.body.split("\n")[-1]
    edit(copy / "topics" / "3_thoi_su.md", last_line, last_line + "x" * (SECTION_LIMIT - shown))
    loaded = load_content(copy)
    grown = next(t for t in loaded.topics if t.id == "thoisu").sections[0]
    assert _shown_size(loaded.texts)(topic.label, 1, len(topic.sections), grown) == SECTION_LIMIT


def test_a_superseded_document_may_be_named_as_history(copy: Path) -> None:
    texts = copy / "texts" / "onboarding.yaml"
    marks = [
        "Nghị định 356/2025/NĐ-CP, thay Nghị định 13/2023/NĐ-CP",           # its replacement on the line
        "Nghị định 13/2023/NĐ-CP (trước đây)",                              # marked as history
        "Nghị định 13/2023/NĐ-CP, nay đã được thay thế",
        "các quy định trước đây (24-QĐ/TW năm 2021, 232-QĐ/TW năm 2025)",  # the mark anywhere in the clause
        "Quy định 24-QĐ/TW, rồi 232-QĐ/TW, nay là 294-QĐ/TW",              # a later replacement in the chain
        "Quyết định 318/QĐ-TTg, bộ tiêu chí giai đoạn 2021-2025",           # an ended document with its period
    ]
    original = texts.read_text(encoding="utf-8")
    for text in marks:
        texts.write_text(original + f'extra_note: "{text}"\n', encoding="utf-8")
        assert audit_folder(copy, TODAY).problems == [], text
    refused = [
        ("Quy định 232-QĐ/TW là quy định hiện hành. Xem trước đây", "superseded by '294-QĐ/TW'"),  # mark elsewhere
        ("Quy định 24-QĐ/TW và 232-QĐ/TW", "superseded by '294-QĐ/TW'"),  # 24's replacement, not 232's
        ("Quyết định 318/QĐ-TTg về tiêu chí nông thôn mới", "applied to 2021–2025 only"),
    ]
    for text, reason in refused:
        texts.write_text(original + f'extra_note: "{text}"\n', encoding="utf-8")
        problems = audit_folder(copy, TODAY).problems
        assert len(problems) == 1 and reason in problems[0], (text, problems)


def test_registry_problems_are_reported_with_lines(copy: Path) -> None:
    registry = copy / "references.yaml"
    status = edit(registry, "  - number: 294-QĐ/TW\n    title: Quy định về thi hành Điều lệ Đảng\n"
                            "    date: 2025-05-26\n    status: in_force",
                  "  - number: 294-QĐ/TW\n    title: Quy định về thi hành Điều lệ Đảng\n"
                  "    date: 2025-05-26\n    status: current")
    successor = edit(registry, "superseded_by: 356/2025/NĐ-CP", "superseded_by: 999/2025/NĐ-CP")
    problems = audit_folder(copy, TODAY).problems
    assert any(p.startswith(f"content/references.yaml:{status + 3}: document '294-QĐ/TW': status must be")
               for p in problems), problems
    assert any(p.startswith(f"content/references.yaml:{successor}: superseded_by '999/2025/NĐ-CP' is not")
               for p in problems), problems


def test_topics_checked_more_than_six_months_ago_only_warn(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    line = edit(copy / "topics" / "2_vai_tro.md", "checked: 2026-12-06", "checked: 2026-06-05")
    report = audit_folder(copy, TODAY)
    assert report.problems == []
    assert report.warnings == [
        f"content/topics/2_vai_tro.md:{line}: warning: topic 'vaitro' was last checked on 2026-06-05, more than "
        "6 months ago: check it against its sources and references.yaml, then update 'checked:'"]
    assert main(["check-content", str(copy)]) == 0  # a warning does not fail
    err = capsys.readouterr().err
    assert "2_vai_tro.md" in err and "warning" in err
    assert oldest_check(load_content(copy)) == (date(2026, 6, 5), "2. Vai trò cấp trưởng thôn")


def test_six_months_by_the_calendar() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert not is_stale(date(2026, 6, 6), TODAY) and is_stale(date(2026, 6, 5), TODAY)
