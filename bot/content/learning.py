"""Topics (`content/topics/*.md`) and quiz banks (`content/quizzes/*.yaml`), checked with file:line problems.

A topic file is YAML front matter (id, title, label, summary, checked) between `---` lines,
then sections that each start with a `## ` heading; a last heading starting with "Nguồn" lists
the sources. `<!-- … -->` comments are notes for staff and are never shown. `checked:` is the
day a staff member last checked the topic against its sources (YYYY-MM-DD).

A quiz bank names its topic and lists questions, each with one `right` answer, two or
three `wrong` ones, a one-line `explanation` and a `source`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.content.problems import Problems
from bot.content.yamlfile import LineDict, LineList, line_of, load_checked
from bot.textutil import fold, nfc

SECTION_LIMIT = 700  # one phone screen, measured as the leader sees it: heading, title, body, progress line
SUMMARY_LIMIT = 1000
LABEL_LIMIT = 40
TITLE_LIMIT = 300
OPTION_LIMIT = 60  # a button label a phone shows whole
QUESTION_LIMIT = 300
EXPLANATION_LIMIT = 400
QUIZ_LENGTH = 5  # questions drawn per quiz
_ID = re.compile(r"^[a-z0-9_]{1,16}$")
_QUESTION_ID = re.compile(r"^[a-z0-9_-]{1,24}$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Section:
    """One screen of a topic."""

    title: str
    body: str

    @property
    def size(self) -> int:
        """Characters shown for this section (title and body)."""
        return len(self.title) + len(self.body)


@dataclass(frozen=True)
class Topic:
    """One chuyên đề: front matter, readable sections and its sources."""

    id: str
    title: str
    label: str
    summary: str
    sections: tuple[Section, ...]
    sources: str
    checked: date | None = None  # required by the loader; None only for topics built in code


@dataclass(frozen=True)
class Question:
    """One quiz question; option 0 is the right one (shuffled when shown)."""

    id: str
    topic: str
    text: str
    options: tuple[str, ...]
    explanation: str
    source: str

    @property
    def right(self) -> str:
        """The right answer."""
        return self.options[0]


def split_sections(body: str) -> list[tuple[int, str, str]]:
    """(line offset, heading, text) for every `## ` heading of a Markdown body; comments removed first.

    The line offset is 0-based within `body`, so callers can report `file:line`.
    """
    # Replace comments by as many newlines as they span, so line numbers stay right.
    body = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    sections: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(body.split("\n")):
        if line.startswith("## "):
            sections.append((number, line[3:].strip(), []))
        elif sections:
            sections[-1][2].append(line.rstrip())
        elif line.strip() and not line.startswith("# "):
            sections.append((number, "", [line.rstrip()]))  # text before any heading: reported by the caller
    return [(number, title, "\n".join(lines).strip()) for number, title, lines in sections]


def load_learning(content: Any, problems: Problems) -> None:
    """Fill `content.topics` (list of Topic) and `content.quizzes` (topic id -> list of Question)."""
    texts = getattr(content, "texts", None)
    content.topics = load_topics(content.root, problems, _shown_size(texts) if texts is not None else None)
    content.quizzes = load_quizzes(content.root, {t.id for t in content.topics}, problems)


ShownSize = Callable[[str, int, int, Section], int]  # (label, number, total, section) -> characters shown


def _shown_size(texts: Any) -> ShownSize:
    """The length of a section's message as `handlers/topics.py` sends it (texts topics.section, topics.progress).

    The progress line is measured at its longest (every part read)."""

    def size(label: str, number: int, total: int, section: Section) -> int:
        try:
            progress = texts("topics.progress", read=total, total=total)
            shown = texts("topics.section", label=label, number=number, total=total, title=section.title,
                          body=section.body, progress=progress)
        except (KeyError, IndexError, ValueError):  # texts broken: reported by the texts loader
            return section.size
        return len(shown)

    return size


def load_topics(root: Path, problems: Problems, shown_size: ShownSize | None = None) -> list[Topic]:
    """Every `topics/*.md`, in file-name order; sections are measured with `shown_size` when given."""
    folder = root / "topics"
    topics: list[Topic] = []
    if not folder.is_dir():
        problems.add(folder, 1, "folder topics/ is missing")
        return topics
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        topic = _load_topic(path, problems, shown_size)
        if topic is None:
            continue
        if topic.id in seen:
            problems.add(path, 2, f"topic id '{topic.id}' is also used by {seen[topic.id].name}")
            continue
        seen[topic.id] = path
        topics.append(topic)
    if not topics:
        problems.add(folder, 1, "no topic found (expected topics/*.md)")
    return topics


def _front_matter(path: Path, lines: list[str], problems: Problems) -> tuple[dict[str, Any], dict[str, int], int]:
    """The front matter mapping, the line of each key, and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        problems.add(path, 1, "expected front matter starting with '---' (id, title, label, summary, checked)")
        return {}, {}, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        problems.add(path, 1, "front matter is not closed by a '---' line")
        return {}, {}, len(lines)
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(path, (mark.line + 2) if mark else 1, f"front matter YAML error: {exc}")
        return {}, {}, end + 1
    if not isinstance(data, dict):
        problems.add(path, 1, "front matter must be a mapping (id, title, label, summary, checked)")
        return {}, {}, end + 1
    key_lines: dict[str, int] = {}
    for number in range(1, end):
        key = lines[number].split(":", 1)[0].strip()
        if key in data and key not in key_lines and not lines[number].startswith((" ", "\t")):
            key_lines[key] = number + 1
    return data, key_lines, end + 1


def _load_topic(path: Path, problems: Problems, shown_size: ShownSize | None = None) -> Topic | None:
    lines = nfc(path.read_text(encoding="utf-8")).replace("\r\n", "\n").split("\n")
    front, key_lines, first = _front_matter(path, lines, problems)
    if not front:
        return None
    values, checked = _front_values(path, front, key_lines, problems)
    found = _sections(path, lines, first, problems)
    if found is None or values is None or checked is None:
        return None
    placed, sources = found
    total = len(placed)
    ok = True
    for number, (line, section) in enumerate(placed, start=1):
        size = shown_size(values["label"], number, total, section) if shown_size else section.size
        if size > SECTION_LIMIT:
            problems.add(path, line, f"section '{section.title}' is {size} characters as leaders see it (heading, "
                                     f"title, text and progress line); at most {SECTION_LIMIT} (one phone screen) "
                                     "— shorten it or split it with another '## ' heading")
            ok = False
    if not ok:
        return None
    return Topic(values["id"], values["title"], values["label"], values["summary"],
                 tuple(section for _, section in placed), sources, checked)


def _front_values(path: Path, front: dict[str, Any], key_lines: dict[str, int],
                  problems: Problems) -> tuple[dict[str, str] | None, date | None]:
    """The text fields of the front matter and its `checked:` date (None where a problem was reported)."""
    ok = True
    values: dict[str, str] = {}
    for key, limit in (("id", 16), ("title", TITLE_LIMIT), ("label", LABEL_LIMIT), ("summary", SUMMARY_LIMIT)):
        raw = front.get(key)
        line = key_lines.get(key, 1)
        if not isinstance(raw, str | int) or not str(raw).strip():
            problems.add(path, line, f"front matter needs a non-empty '{key}'")
            ok = False
            continue
        text = " ".join(str(raw).split()) if key != "summary" else str(raw).strip()
        if len(text) > limit:
            problems.add(path, line, f"'{key}' is {len(text)} characters; at most {limit}")
            ok = False
        values[key] = text
    if "id" in values and not _ID.match(values["id"]):
        problems.add(path, key_lines.get("id", 1), f"id '{values['id']}' must be 1-16 of a-z, 0-9, _")
        ok = False
    checked = front.get("checked")
    if not isinstance(checked, date):
        problems.add(path, key_lines.get("checked", 1),
                     "front matter needs 'checked: YYYY-MM-DD', the day the topic was last checked against its sources")
        checked = None
    return (values if ok else None), checked


def _sections(path: Path, lines: list[str], first: int,
              problems: Problems) -> tuple[list[tuple[int, Section]], str] | None:
    """((line, Section) for every readable section, sources text), or None when a problem was reported."""
    ok = True
    placed: list[tuple[int, Section]] = []
    sources = ""
    for offset, title, text in split_sections("\n".join(lines[first:])):
        line = first + offset + 1
        if not title:
            problems.add(path, line, "text before the first '## ' heading (every section starts with '## ')")
            ok = False
            continue
        if fold(title).startswith("nguon"):
            sources = text
            if not text:
                problems.add(path, line, "the sources section is empty")
                ok = False
            continue
        if sources:
            problems.add(path, line, "section after the sources; the sources must come last")
            ok = False
        if not text:
            problems.add(path, line, f"section '{title}' is empty")
            ok = False
        placed.append((line, Section(title, text)))
    if not placed:
        problems.add(path, first + 1, "no section (each section starts with '## ')")
        ok = False
    if not sources:
        problems.add(path, len(lines), "no sources: end the file with '## Nguồn' listing them")
        ok = False
    return (placed, sources) if ok else None


def load_quizzes(root: Path, topic_ids: set[str], problems: Problems) -> dict[str, list[Question]]:
    """Every `quizzes/*.yaml`; question ids are unique across all banks."""
    folder = root / "quizzes"
    banks: dict[str, list[Question]] = {}
    if not folder.is_dir():
        problems.add(folder, 1, "folder quizzes/ is missing")
        return banks
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = load_checked(path, problems)
        if data is None:
            continue
        if not isinstance(data, LineDict) or not isinstance(data.get("questions"), LineList):
            problems.add(path, 1, "expected 'topic:' and a list 'questions:'")
            continue
        topic = str(data.get("topic", "")).strip()
        if topic not in topic_ids:
            known = ", ".join(sorted(topic_ids)) or "none"
            problems.add(path, data.line_of("topic"), f"unknown topic '{topic}' (known: {known})")
            continue
        questions = banks.setdefault(topic, [])
        for item in data["questions"]:
            question = _question(path, topic, item, line_of(item, data.line_of("questions")), seen, problems)
            if question is not None:
                questions.append(question)
    for topic, questions in banks.items():
        if len(questions) < QUIZ_LENGTH:
            problems.add(folder, 1, f"topic '{topic}' has {len(questions)} valid questions; "
                                    f"a quiz needs at least {QUIZ_LENGTH}")
    return banks


def _text(item: LineDict, key: str) -> str:
    raw = item.get(key)
    return nfc(" ".join(str(raw).split())) if isinstance(raw, str | int | float) else ""


def _question(path: Path, topic: str, item: Any, line: int, seen: dict[str, str],
              problems: Problems) -> Question | None:
    if not isinstance(item, LineDict):
        problems.add(path, line, "each question must be a mapping (id, question, right, wrong, explanation, source)")
        return None
    ok = True

    def bad(key: str, message: str) -> None:
        nonlocal ok
        problems.add(path, item.line_of(key), message)
        ok = False

    qid = _text(item, "id")
    if not _QUESTION_ID.match(qid):
        bad("id", f"question id '{qid}' must be 1-24 of a-z, 0-9, _ and -")
    elif qid in seen:
        bad("id", f"duplicate question id '{qid}' (first in {seen[qid]})")
    else:
        seen[qid] = f"{path.name}:{item.line_of('id')}"
    text = _text(item, "question")
    if not text:
        bad("question", f"question '{qid}' has no 'question' text")
    elif len(text) > QUESTION_LIMIT:
        bad("question", f"question '{qid}' is {len(text)} characters; at most {QUESTION_LIMIT}")
    right_raw = item.get("right")
    if isinstance(right_raw, list):
        if len(right_raw) != 1:
            bad("right", f"question '{qid}' has {len(right_raw)} correct options; exactly one is needed")
        right_raw = right_raw[0] if right_raw else None
    right = nfc(" ".join(str(right_raw).split())) if right_raw is not None else ""
    if not right:
        bad("right", f"question '{qid}' has no correct option ('right:')")
    wrong_raw = item.get("wrong")
    wrong = [nfc(" ".join(str(w).split())) for w in wrong_raw] if isinstance(wrong_raw, list) else []
    if not isinstance(wrong_raw, list):
        bad("wrong", f"question '{qid}' needs a list of 'wrong:' options")
    options = [right, *wrong] if right else wrong
    if not 3 <= len(options) <= 4:
        bad("wrong" if "wrong" in item else "question",
            f"question '{qid}' has {len(options)} options; it needs 3 or 4 (one right, two or three wrong)")
    for option in options:
        if not option:
            bad("wrong", f"question '{qid}' has an empty option")
        elif len(option) > OPTION_LIMIT:
            key = "right" if option == right else "wrong"
            bad(key, f"option '{option[:30]}…' of '{qid}' is {len(option)} characters; "
                     f"at most {OPTION_LIMIT} (button limit)")
    if len({fold(o) for o in options}) != len(options):
        bad("wrong", f"question '{qid}' lists the same option twice")
    explanation = _text(item, "explanation")
    if not explanation:
        bad("explanation", f"question '{qid}' has no 'explanation'")
    elif len(explanation) > EXPLANATION_LIMIT:
        bad("explanation", f"explanation of '{qid}' is {len(explanation)} characters; at most {EXPLANATION_LIMIT}")
    source = _text(item, "source")
    if not source:
        bad("source", f"question '{qid}' has no 'source'")
    unknown = set(item) - {"id", "question", "right", "wrong", "explanation", "source"}
    for key in sorted(unknown):
        bad(key, f"unknown field '{key}' in question '{qid}'")
    if not ok:
        return None
    return Question(qid, topic, text, tuple(options), explanation, source)
