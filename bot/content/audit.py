"""`caunoi check-content`: everything start-up checks, plus the citation audit and stale-topic warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.content import Content, ContentError, load_content
from bot.content.problems import Problems
from bot.content.references import STALE_MONTHS, check_citations, is_stale, load_references


@dataclass
class Report:
    """What check-content prints: problems fail it (exit 1), warnings do not."""

    content: Content | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    citations: int = 0
    documents: int = 0


def audit_folder(folder: Path, today: date) -> Report:
    """Load `folder` as start-up does, then check its citations against references.yaml and topic dates."""
    report = Report(content=None)
    try:
        report.content = load_content(folder)
    except ContentError as exc:
        report.problems.extend(exc.problems)
    problems = Problems(folder)
    registry = load_references(folder, problems)
    report.documents = len(registry)
    if registry:
        report.citations = check_citations(folder, registry, problems)
    report.problems.extend(problems.messages)
    if report.content is not None:
        report.warnings.extend(stale_topic_warnings(folder, report.content, today))
    return report


def stale_topic_warnings(folder: Path, content: Content, today: date) -> list[str]:
    """`file:line: warning` for every topic last checked more than STALE_MONTHS months ago."""
    warnings = []
    for path in sorted((folder / "topics").glob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        line = next((n for n, text in enumerate(lines, start=1) if text.startswith("checked:")), 1)
        topic = next((t for t in content.topics if _front_id(lines) == t.id), None)
        if topic is not None and topic.checked is not None and is_stale(topic.checked, today):
            shown = path.relative_to(folder.parent) if path.is_relative_to(folder.parent) else path
            warnings.append(f"{shown}:{line}: warning: topic '{topic.id}' was last checked on "
                            f"{topic.checked.isoformat()}, more than {STALE_MONTHS} months ago: check it against "
                            "its sources and references.yaml, then update 'checked:'")
    return warnings


def _front_id(lines: list[str]) -> str:
    for text in lines[1:]:
        if text.strip() == "---":
            break
        if text.startswith("id:"):
            return text.split(":", 1)[1].strip().strip("\"'")
    return ""


def oldest_check(content: Content) -> tuple[date, str] | None:
    """(date, topic label) of the topic checked longest ago, for /stats."""
    dated = [(t.checked, t.label) for t in content.topics if getattr(t, "checked", None) is not None]
    return min(dated) if dated else None
