"""The registry of cited documents (`content/references.yaml`) and the citation audit of `caunoi check-content`.

Every legal or Party document the content names by number (Nghị định 356/2025/NĐ-CP,
Quy định 294-QĐ/TW, Luật … số 91/2025/QH15, Quyết định 318/QĐ-TTg …) must be in the registry.
A document whose status is not `in_force` may be named only as history:

- `superseded_by: X` — the same line also names X (or a later replacement of X), or the
  citation's own clause (between `;`, `.`, `!`, `?`) marks it "trước đây", "đã được thay thế"
  or "hết hiệu lực";
- `status: ended` with `period: "2021–2025"` — a document for a period that is over: the same
  line carries that period, or a history mark as above.

Lines are the unit because a line is what a staff member edits and what `file:line` points at.
Only start-up structure problems stop the bot; this audit runs in `caunoi check-content`
(a document being replaced is news to act on, not a reason to take the bot down).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.problems import Problems
from bot.content.yamlfile import LineDict, LineList, line_of, load_checked
from bot.textutil import fold, nfc

REGISTRY = "references.yaml"
STATUSES = ("in_force", "ended")
# Document numbers as Vietnamese law and Party practice write them:
#   13/2023/NĐ-CP, 04/2012/TT-BNV, 111/2023/NQ-HĐND, 91/2025/QH15   (number/year/kind-issuer)
#   318/QĐ-TTg, 08/VBHN-BNV                                         (number/kind-issuer)
#   294-QĐ/TW, 21-NQ/TW, 31-HD/BTCTW                                (number-kind/issuer, Party documents)
DOCUMENT_NUMBER = re.compile(
    r"(?<![\w/-])\d{1,4}(?:/\d{4})?/(?:[A-ZĐ]{1,6}-[A-ZĐ][A-Za-zĐ0-9]{0,12}|QH\d{1,2})(?![\w/-])"
    r"|(?<![\w/-])\d{1,4}-[A-ZĐ]{1,5}/[A-ZĐ]{1,8}(?![\w/-])"
)
HISTORY_MARKS = ("truoc day", "da duoc thay the", "da bi thay the", "het hieu luc")
_CLAUSE_END = re.compile(r"[;.!?](?:\s|$)")
_FIELDS = ("number", "title", "date", "status", "superseded_by", "period", "checked", "source", "note")


@dataclass(frozen=True)
class Reference:
    """One cited document and what is known of its status."""

    number: str
    title: str
    status: str  # in_force | superseded | ended
    superseded_by: str | None
    period: str | None
    checked: date


def _dash(text: str) -> str:
    return text.replace("–", "-").replace("—", "-")


def load_references(root: Path, problems: Problems) -> dict[str, Reference]:
    """Read and validate `references.yaml`; every problem is a `file:line` message."""
    path = root / REGISTRY
    if not path.is_file():
        problems.add(path, 1, f"{REGISTRY} is missing: it lists every document the content cites")
        return {}
    data = load_checked(path, problems)
    if data is None:
        return {}
    items = data.get("documents") if isinstance(data, LineDict) else None
    if not isinstance(items, LineList):
        problems.add(path, 1, "expected a list 'documents:'")
        return {}
    registry: dict[str, Reference] = {}
    for item in items:
        reference = _reference(path, item, problems)
        if reference is None:
            continue
        if reference.number in registry:
            problems.add(path, line_of(item), f"document '{reference.number}' is listed twice")
            continue
        registry[reference.number] = reference
    for item in items:
        if isinstance(item, LineDict) and item.get("superseded_by") is not None:
            successor = nfc(str(item["superseded_by"]).strip())
            if successor not in registry:
                problems.add(path, item.line_of("superseded_by"),
                             f"superseded_by '{successor}' is not itself listed in {REGISTRY}")
    return registry


def _reference(path: Path, item: object, problems: Problems) -> Reference | None:
    if not isinstance(item, LineDict):
        problems.add(path, line_of(item), "each document is a mapping: number, title, date, status, checked, source")
        return None
    ok = True

    def bad(key: str, message: str) -> None:
        nonlocal ok
        problems.add(path, item.line_of(key), message)
        ok = False

    number = nfc(str(item.get("number", "")).strip())
    if not DOCUMENT_NUMBER.fullmatch(number):
        bad("number", f"'{number}' is not a document number like 356/2025/NĐ-CP or 294-QĐ/TW")
    for key in ("title", "source"):
        if not str(item.get(key) or "").strip():
            bad(key, f"document '{number}' needs a non-empty '{key}'")
    if not isinstance(item.get("date"), date | int):
        bad("date", f"document '{number}' needs 'date: YYYY-MM-DD' (or the year alone when the day is unknown)")
    checked = item.get("checked")
    if not isinstance(checked, date):
        bad("checked", f"document '{number}' needs 'checked: YYYY-MM-DD' (the day its status was last checked)")
    status, successor, period = _status(item, number, bad)
    for key in sorted(set(item) - set(_FIELDS)):
        bad(key, f"unknown field '{key}' in document '{number}'")
    if not ok or not isinstance(checked, date):
        return None
    return Reference(number, str(item["title"]).strip(), status, successor, period, checked)


def _status(item: LineDict, number: str,
            bad: Callable[[str, str], None]) -> tuple[str, str | None, str | None]:
    """(status, superseded_by, period) with problems reported through `bad(key, message)`."""
    raw_status = item.get("status")
    successor = item.get("superseded_by")
    period = item.get("period")
    if successor is not None:
        if raw_status is not None:
            bad("status", f"document '{number}': give either 'status' or 'superseded_by', not both")
        return "superseded", nfc(str(successor).strip()), None
    if raw_status not in STATUSES:
        bad("status", f"document '{number}': status must be in_force or ended, or give 'superseded_by: <number>'")
        return "in_force", None, None
    if raw_status == "ended":
        if not str(period or "").strip():
            bad("status", f"document '{number}' has ended: give the 'period' it applied to, e.g. \"2021–2025\"")
        return "ended", None, str(period or "").strip()
    return "in_force", None, None


def _successors(registry: dict[str, Reference], number: str) -> set[str]:
    """Every document that replaced `number`, directly or through a chain."""
    found: set[str] = set()
    current = registry.get(number)
    while current is not None and current.superseded_by and current.superseded_by not in found:
        found.add(current.superseded_by)
        current = registry.get(current.superseded_by)
    return found


def _marked_as_history(line: str, start: int, end: int) -> bool:
    """Whether the clause holding line[start:end] (between `;`, `.`, `!`, `?`) carries a history mark."""
    before = [m.end() for m in _CLAUSE_END.finditer(line[:start])]
    after = _CLAUSE_END.search(line, end)
    clause = fold(line[before[-1] if before else 0:after.start() if after else len(line)])
    return any(mark in clause for mark in HISTORY_MARKS)


def citation_problem(line: str, match: re.Match[str], registry: dict[str, Reference]) -> str | None:
    """Why the citation `match` on `line` is not acceptable, or None when it is."""
    number = match.group(0)
    reference = registry.get(number)
    if reference is None:
        return f"cites '{number}', which is not in {REGISTRY}: add it there (number, title, date, status, source)"
    if reference.status == "in_force":
        return None
    if _marked_as_history(line, match.start(), match.end()):
        return None
    if reference.status == "ended":
        if reference.period and _dash(reference.period) in _dash(line):
            return None
        return (f"cites '{number}', which applied to {reference.period} only: say that period on the same line, "
                "or mark it '(trước đây)'")
    successors = _successors(registry, number)
    if any(successor in line for successor in successors):
        return None
    return (f"cites '{number}', superseded by '{reference.superseded_by}' ({REGISTRY}): name "
            f"{reference.superseded_by} on the same line, or mark it '(trước đây)'")


def cited_files(root: Path) -> list[Path]:
    """The files leaders read: topics, quiz banks, texts and units (not README nor the registry)."""
    files = sorted((root / "topics").glob("*.md")) + sorted((root / "quizzes").glob("*.yaml"))
    files += sorted((root / "texts").glob("*.yaml"))
    units = root / "units.yaml"
    return [*files, units] if units.is_file() else files


def check_citations(root: Path, registry: dict[str, Reference], problems: Problems) -> int:
    """Report every unknown or superseded citation as `file:line`; returns how many citations were read."""
    count = 0
    for path in cited_files(root):
        text = nfc(path.read_text(encoding="utf-8"))
        for number, line in enumerate(text.split("\n"), start=1):
            for match in DOCUMENT_NUMBER.finditer(line):
                count += 1
                problem = citation_problem(line, match, registry)
                if problem is not None:
                    problems.add(path, number, problem)
    return count


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the last day of the month when it does not exist)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


STALE_MONTHS = 6


def is_stale(checked: date, today: date) -> bool:
    """Whether a topic last checked on `checked` is due for another check."""
    return today > add_months(checked, STALE_MONTHS)
