"""Roster import: read a CSV/XLSX list of leaders, validate each row, plan, apply in one transaction.

The functions here are pure (bytes in, a Plan out) except `dry_run` and `apply`, which read
and write through bot/store/roster.py. Problems carry a text key (content/texts/roster.yaml)
and values, so the bot and the command line show the same Vietnamese messages.

Decisions (see also roster.yaml):
- Required columns: name, phone, commune. Optional: hamlet, role, birth year. Unknown
  columns are ignored and named in the report. The header is the first of the first 10
  rows that names at least two known columns (a title row above it is fine).
- Phones are the key: a row whose phone is already in the bot updates that person. A person
  who registered through the bot keeps their own answers; the roster only fills blanks. A row
  whose phone belongs to a registered leader with another name, role or place is a *conflict*,
  listed with both values; `apply` skips conflicts unless asked to update them.
- An unknown commune rejects the row (the report lists the known communes), because a
  misspelt commune would create leaders nobody's broadcast reaches.
- A text cell starting with = + - @ rejects the row (a formula, or something pasted wrong);
  XLSX formulas are read as their computed values (openpyxl data_only).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.content import Content
from bot.content.units import Units, hamlet_key
from bot.errors import TextError
from bot.phone import normalize_phone
from bot.store import hamlets as hamlet_store
from bot.store import roster as store
from bot.store.db import Database
from bot.textutil import clean_line, fold, has_letters

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# Hostile files (issue 20 item 3): refused before they can take time or memory.
MAX_COLUMNS = 60  # a roster has six; a header of millions of cells is refused, not read
MAX_CELL = 500  # characters kept of a cell (names are at most 80)
MAX_LINE = MAX_COLUMNS * MAX_CELL  # characters of one CSV line
MAX_MEMBER = 64 * 1024 * 1024  # unpacked bytes of one part of an .xlsx
MAX_UNPACKED = 160 * 1024 * 1024  # unpacked bytes of the whole .xlsx
MAX_RATIO = 100  # unpacked / packed size of a part above 1 MB
NAME_LIMIT = 80
HAMLET_LIMIT = 80
FIELDS = ("name", "phone", "commune", "hamlet", "role", "birth_year")
REQUIRED = ("name", "phone", "commune")
PROFILE = ("name", "role", "association", "commune", "hamlet", "birth_year")
# A registered leader whose own answer differs from the roster on one of these is a conflict.
CONFLICT_FIELDS = ("name", "role", "association", "commune", "hamlet")
FORMULA_START = ("=", "+", "-", "@")

# Folded header words (punctuation as spaces) -> field.
HEADERS: dict[str, str] = {
    **dict.fromkeys(("ho va ten", "ho ten", "ten", "name", "full name", "ten day du"), "name"),
    **dict.fromkeys(("so dien thoai", "dien thoai", "sdt", "so dt", "dt", "phone", "phone number", "mobile",
                     "so di dong"), "phone"),
    **dict.fromkeys(("xa phuong", "xa", "phuong", "xa phuong thi tran", "commune", "ward", "commune ward"),
                    "commune"),
    **dict.fromkeys(("thon to dan pho", "thon", "to dan pho", "thon to", "thon xom", "thon ban", "hamlet",
                     "village", "hamlet village"), "hamlet"),
    **dict.fromkeys(("chuc danh", "chuc vu", "role", "position", "title"), "role"),
    **dict.fromkeys(("nam sinh", "birth year", "year of birth", "birthyear", "ngay sinh", "ngay thang nam sinh",
                     "date of birth", "birth date"), "birth_year"),
}
ROLE_WORDS: tuple[tuple[str, str], ...] = (  # folded words in the cell -> role key; first match wins
    ("truong thon", "truong_thon"), ("thon truong", "truong_thon"), ("to truong", "to_truong"),
    ("chi doan", "chi_doan"), ("doan thanh nien", "chi_doan"), ("chi hoi", "chi_hoi"),
    ("to dan pho", "to_truong"), ("tdp", "to_truong"), ("truong_thon", "truong_thon"), ("to_truong", "to_truong"),
    ("chi_doan", "chi_doan"), ("chi_hoi", "chi_hoi"), ("khac", "khac"), ("other", "khac"),
)
ASSOCIATION_WORDS: tuple[tuple[str, str], ...] = (
    ("nong dan", "nong_dan"), ("phu nu", "phu_nu"), ("cuu chien binh", "cuu_chien_binh"),
    ("nguoi cao tuoi", "nguoi_cao_tuoi"), ("ccb", "cuu_chien_binh"), ("nct", "nguoi_cao_tuoi"),
)
COMMUNE_PREFIXES = ("xa ", "phuong ", "thi tran ", "dac khu ")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


class RosterError(TextError):
    """The whole file cannot be used; `key` is a text in roster.yaml, `values` fill it."""


@dataclass(frozen=True)
class RosterRow:
    """One valid row, normalised."""

    line: int
    name: str
    phone: str
    commune: str
    hamlet: str | None = None
    role: str | None = None
    association: str | None = None
    birth_year: int | None = None

    def profile(self) -> dict[str, Any]:
        """The profile fields this row gives (None = not given)."""
        return {f: getattr(self, f) for f in PROFILE}


@dataclass(frozen=True)
class Rejected:
    """A row that is skipped, with why (a roster.reasons.* key and its values)."""

    line: int
    reason: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Parsed:
    """The file read and checked row by row."""

    rows: list[RosterRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    blank: int = 0
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class Change:
    """An existing person whose profile the row changes."""

    row: RosterRow
    person_id: int
    fields: dict[str, Any]


@dataclass
class Conflict:
    """A registered leader's own answers differ from the row: (theirs, the roster's) per field."""

    row: RosterRow
    person_id: int
    fields: dict[str, tuple[Any, Any]]
    fills: dict[str, Any] = field(default_factory=dict)  # blanks the row fills besides, written with an overwrite


@dataclass
class Plan:
    """What applying the file does: adds, changes, conflicts, unchanged rows, rejected rows, new hamlets."""

    parsed: Parsed
    add: list[RosterRow] = field(default_factory=list)
    change: list[Change] = field(default_factory=list)
    conflict: list[Conflict] = field(default_factory=list)
    same: int = 0
    new_hamlets: list[tuple[str, str]] = field(default_factory=list)
    applied: bool = False
    updated: list[Conflict] = field(default_factory=list)  # conflicts written with the roster's values

    @property
    def conflicts_updated(self) -> bool:
        """Whether any conflict was overwritten with the roster's values."""
        return bool(self.updated)

    @property
    def rejected(self) -> list[Rejected]:
        """Rows skipped with a reason."""
        return self.parsed.rejected

    @property
    def writes_anything(self) -> bool:
        """Whether applying would change the database."""
        return bool(self.add or self.change or self.conflict or self.new_hamlets)


# ---------------------------------------------------------------- reading the file

def read_table(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) of every row of the first sheet; RosterError for a bad file."""
    if not data:
        raise RosterError("errors.empty")
    if len(data) > MAX_BYTES:
        raise RosterError("errors.too_big", limit_mb=MAX_BYTES // (1024 * 1024))
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterError("errors.old_xls")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if suffix in ("xlsx", "xlsm"):
        raise RosterError("errors.not_xlsx")
    return _read_csv(data)


def check_zip(data: bytes) -> None:
    """Refuse an archive whose parts unpack out of proportion, from its directory, before opening any
    part (zipfile never unpacks more than a part's declared size)."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise RosterError("errors.not_xlsx") from exc
    total = 0
    for info in infos:
        total += info.file_size
        lopsided = info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER or total > MAX_UNPACKED or lopsided:
            raise RosterError("errors.zip_too_big")


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    check_zip(data)
    try:
        # data_only: a formula cell gives the value Excel last computed, never the formula text.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 20, max_col=MAX_COLUMNS))
        truncated = sheet.max_row is not None and sheet.max_row > MAX_ROWS + 20
        workbook.close()
    except Exception as exc:  # BadZipFile, KeyError, openpyxl's InvalidFileException… on a broken file
        raise RosterError("errors.not_xlsx") from exc
    if truncated:
        raise RosterError("errors.too_many_rows", limit=MAX_ROWS)
    return ((number, [_cell_text(v) for v in row]) for number, row in enumerate(rows, start=1))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:MAX_CELL]


def _read_csv(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RosterError("errors.not_utf8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterError("errors.not_utf8_at", line=line) from exc
    if "\x00" in text:
        raise RosterError("errors.not_utf8")
    if max(map(len, text.splitlines()), default=0) > MAX_LINE:
        raise RosterError("errors.too_many_columns", limit=MAX_COLUMNS)
    sample = text[:8192].split("\n")[:10]  # a title line above the header has no delimiters
    delimiter = max((",", ";", "\t"), key=lambda d: max(line.count(d) for line in sample))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                if len(cells) > MAX_COLUMNS:
                    raise RosterError("errors.too_many_columns", limit=MAX_COLUMNS)
                yield reader.line_num, [cell[:MAX_CELL] for cell in cells]
        except csv.Error as exc:
            raise RosterError("errors.bad_csv", line=reader.line_num, detail=str(exc)[:80]) from exc

    return rows()


# ---------------------------------------------------------------- checking rows

def _header_key(text: str) -> str:
    folded = fold(text)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def find_header(rows: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int], list[str]]:
    """(index in rows, field -> column, ignored header names) of the header row."""
    for index, (_, cells) in enumerate(rows[:10]):
        columns: dict[str, int] = {}
        ignored: list[str] = []
        for col, cell in enumerate(cells):
            key = HEADERS.get(_header_key(cell))
            if key and key not in columns:
                columns[key] = col
            elif cell.strip() and _header_key(cell) not in ("stt", "tt", "no", "ghi chu", "note", "notes"):
                ignored.append(clean_line(cell)[:40])
        if len(columns) >= 2:
            missing = [f for f in REQUIRED if f not in columns]
            if missing:
                raise RosterError("errors.missing_columns", missing=", ".join(missing))
            return index, columns, ignored
    raise RosterError("errors.no_header")


def commune_of(units: Units, text: str) -> str | None:
    """The commune named by `text` ("Hương Khê", "xa huong khe", "Xã Hương Khê")."""
    key = fold(text)
    bare = next((key[len(p):] for p in COMMUNE_PREFIXES if key.startswith(p)), key)
    for commune in units.communes:
        name = fold(commune.name)
        name_bare = next((name[len(p):] for p in COMMUNE_PREFIXES if name.startswith(p)), name)
        if key in (name, name_bare) or bare == name_bare:
            return commune.name
    return None


def role_of(text: str) -> tuple[str | None, str | None]:
    """(role key, association key) from a role cell such as "Chi hội trưởng Phụ nữ"; (None, None) if blank."""
    key = _header_key(text) if "_" not in text else fold(text)
    if not key:
        return None, None
    padded = f" {key} "  # match whole words: "tdp", "ccb" are common abbreviations
    role = next((r for word, r in ROLE_WORDS if f" {word} " in padded), "khac")
    association = None
    if role == "chi_hoi":
        association = next((a for word, a in ASSOCIATION_WORDS if f" {word} " in padded), None)
    return role, association


def check_rows(table: Iterable[tuple[int, list[str]]], units: Units, year: int) -> Parsed:
    """Validate every data row; blank rows are skipped, bad rows rejected with a reason."""
    rows = list(table)
    parsed = Parsed()
    index, columns, parsed.ignored_columns = find_header(rows)
    data_rows = rows[index + 1:]
    if len(data_rows) > MAX_ROWS:
        raise RosterError("errors.too_many_rows", limit=MAX_ROWS)
    first_line_of: dict[str, int] = {}
    known = ", ".join(c.name for c in units.communes)
    for line, cells in data_rows:
        values = {f: _clean_cell(cells[col]) if col < len(cells) else "" for f, col in columns.items()}
        if not any(values.values()) and not any(c.strip() for c in cells):
            parsed.blank += 1
            continue
        row_or_reason = _check_row(line, values, units, year, known)
        if isinstance(row_or_reason, Rejected):
            parsed.rejected.append(row_or_reason)
            continue
        first = first_line_of.get(row_or_reason.phone)
        if first is not None:
            parsed.rejected.append(Rejected(line, "dup_phone", {"phone": row_or_reason.phone, "first": first}))
            continue
        first_line_of[row_or_reason.phone] = line
        parsed.rows.append(row_or_reason)
    if not parsed.rows and not parsed.rejected:
        raise RosterError("errors.no_rows")
    return parsed


def _clean_cell(text: str) -> str:
    text = clean_line(text)
    return text[1:].lstrip() if text.startswith("'") else text  # Excel's "store as text" mark


def _check_row(line: int, values: dict[str, str], units: Units, year: int, known: str) -> RosterRow | Rejected:
    for column in ("name", "commune", "hamlet", "role"):
        if values.get(column, "").startswith(FORMULA_START):
            return Rejected(line, "formula", {"column": column})
    name = values.get("name", "")
    if not name:
        return Rejected(line, "no_name")
    if not has_letters(name) or len(name) > NAME_LIMIT:
        return Rejected(line, "bad_name", {"limit": NAME_LIMIT})
    raw_phone = values.get("phone", "")
    if not raw_phone:
        return Rejected(line, "no_phone")
    phone = normalize_phone(raw_phone)
    if phone is None:
        return Rejected(line, "bad_phone", {"value": raw_phone[:20]})
    raw_commune = values.get("commune", "")
    if not raw_commune:
        return Rejected(line, "no_commune")
    commune = commune_of(units, raw_commune)
    if commune is None:
        return Rejected(line, "unknown_commune", {"value": raw_commune[:40], "known": known})
    hamlet = values.get("hamlet", "") or None
    if hamlet is not None and ((not has_letters(hamlet) and not hamlet.isdigit()) or len(hamlet) > HAMLET_LIMIT):
        return Rejected(line, "bad_hamlet", {"limit": HAMLET_LIMIT})
    if hamlet is not None and hamlet.isdigit():
        hamlet = f"Thôn {hamlet}"
    role, association = role_of(values.get("role", ""))
    birth_year = None
    if raw_year := values.get("birth_year", ""):
        found = _YEAR.search(raw_year)  # "1970", "05/03/1970", or an Excel date cell "1970-03-05 00:00:00"
        if found is None or not year - 100 <= int(found.group(1)) <= year - 16:
            return Rejected(line, "bad_birth_year", {"value": raw_year[:12]})
        birth_year = int(found.group(1))
    return RosterRow(line, name, phone, commune, hamlet, role, association, birth_year)


def parse(data: bytes, filename: str, units: Units, year: int) -> Parsed:
    """Read and check a roster file; RosterError when the file as a whole is unusable."""
    return check_rows(read_table(data, filename), units, year)


# ---------------------------------------------------------------- planning and applying

def within_scope(parsed: Parsed, existing: dict[str, store.Existing], scope: frozenset[str] | None) -> Parsed:
    """Reject, with the reason, rows a commune staff member may not write: another commune's rows, and
    rows whose phone belongs to a leader of another commune (scope None = every commune)."""
    if scope is None:
        return parsed
    mine = ", ".join(sorted(scope)) or "—"
    kept: list[RosterRow] = []
    for row in parsed.rows:
        person = existing.get(row.phone)
        if row.commune not in scope:
            parsed.rejected.append(Rejected(row.line, "outside_scope", {"value": row.commune, "known": mine}))
        elif person is not None and person.profile.get("commune") not in scope:
            parsed.rejected.append(Rejected(row.line, "other_commune_phone", {"phone": row.phone}))
        else:
            kept.append(row)
    parsed.rows = kept
    parsed.rejected.sort(key=lambda r: r.line)
    return parsed


def make_plan(parsed: Parsed, existing: dict[str, store.Existing], units: Units,
              learnt: set[tuple[str, str]]) -> Plan:
    """Compare the rows with what the bot has; hamlet names are matched with diacritics folded."""
    plan = Plan(parsed)
    hamlet_names: dict[tuple[str, str], str] = {}
    for unit in units.communes:
        for hamlet in unit.hamlets:
            hamlet_names[(unit.name, hamlet_key(hamlet))] = hamlet
    for place, hamlet in sorted(learnt):
        hamlet_names.setdefault((place, hamlet_key(hamlet)), hamlet)
    rows: list[RosterRow] = []
    for row in parsed.rows:
        if row.hamlet is not None:
            key = (row.commune, hamlet_key(row.hamlet))
            if key not in hamlet_names:
                hamlet_names[key] = row.hamlet
                plan.new_hamlets.append((row.commune, row.hamlet))
            row = RosterRow(row.line, row.name, row.phone, row.commune, hamlet_names[key], row.role,
                            row.association, row.birth_year)
        rows.append(row)
    parsed.rows = rows
    for row in rows:
        person = existing.get(row.phone)
        if person is None:
            plan.add.append(row)
            continue
        _compare(plan, row, person)
    return plan


async def _parse_apart(data: bytes, filename: str, units: Units, year: int) -> Parsed:
    # Imported here: the child process imports this module to run `parse`.
    from bot.roster_isolated import parse_isolated

    return await parse_isolated(data, filename, units, year)


def _compare(plan: Plan, row: RosterRow, person: store.Existing) -> None:
    """Sort a row whose phone is known into change, conflict or same."""
    fields: dict[str, Any] = {}
    differ: dict[str, tuple[Any, Any]] = {}
    for name, value in row.profile().items():
        theirs = person.profile.get(name)
        if value is None or value == theirs:
            continue
        if person.registered and theirs is not None:
            if name in CONFLICT_FIELDS:
                differ[name] = (theirs, value)  # their own confirmed answer: staff decide
            continue
        fields[name] = value
    if differ:
        plan.conflict.append(Conflict(row, person.id, differ, fields))
    elif fields:
        plan.change.append(Change(row, person.id, fields))
    else:
        plan.same += 1


async def dry_run(db: Database, content: Content, data: bytes, filename: str, year: int,
                  scope: frozenset[str] | None = None) -> Plan:
    """What importing the file would do (rows within `scope` only, None = all); writes nothing.
    The file is read in a separate process."""
    parsed = await _parse_apart(data, filename, content.units, year)
    existing = await store.existing_by_phone(db)
    learnt = await hamlet_store.all_known(db)
    return make_plan(within_scope(parsed, existing, scope), existing, content.units, learnt)


async def apply(db: Database, content: Content, data: bytes, filename: str, year: int, now: str,
                update_conflicts: bool | Collection[int] = False, scope: frozenset[str] | None = None) -> Plan:
    """Import the file (rows within `scope` only, None = all): the plan is made again inside one write
    transaction and applied there. Conflicts are left as they are unless `update_conflicts`: True, the
    roster's values win on every conflict; a collection of file line numbers, on those rows' only (a row
    that is no longer a conflict is written as the plan says, whatever was ticked)."""
    parsed = await _parse_apart(data, filename, content.units, year)
    async with db.write() as conn:
        existing = await store.existing_by_phone_in(conn)
        learnt = await hamlet_store.all_known_in(conn)
        plan = make_plan(within_scope(parsed, existing, scope), existing, content.units, learnt)
        changes = [(c.person_id, c.fields) for c in plan.change]
        chosen = update_conflicts if not isinstance(update_conflicts, bool) else None
        plan.updated = [c for c in plan.conflict if update_conflicts is True or (chosen and c.row.line in chosen)]
        changes += [(c.person_id, c.fills | {f: new for f, (_, new) in c.fields.items()}) for c in plan.updated]
        # Every hamlet the roster names is approved (staff sent it), the new ones and those a leader proposed.
        named = sorted({(r.commune, r.hamlet) for r in plan.parsed.rows if r.hamlet} | set(plan.new_hamlets))
        await store.apply_plan(conn, [r.profile() | {"phone": r.phone} for r in plan.add], changes, named, now)
    plan.applied = True
    return plan


# ---------------------------------------------------------------- the report

def render_error(t: Any, error: RosterError) -> str:
    """The Vietnamese message for a file-level error."""
    values = dict(error.values)
    if "missing" in values:  # field keys -> the Vietnamese column names
        values["missing"] = ", ".join(t(f"roster.columns.{f}") for f in str(values["missing"]).split(", "))
    return str(t("roster.file_error", detail=t(f"roster.{error.key}", **values)))


def _reason(t: Any, rejected: Rejected) -> str:
    values = dict(rejected.values)
    if "column" in values:
        values["column"] = t(f"roster.columns.{values['column']}")
    return str(t(f"roster.reasons.{rejected.reason}", **values))


def conflict_line(t: Any, conflict: Conflict) -> str:
    """"Dòng 3: 0912… — họ tên: “An” trong bot, “Ân” trong tệp"."""
    fields = "; ".join(t("roster.conflict_field", field=t(f"roster.fields.{f}"), theirs=_shown(t, f, old),
                         roster=_shown(t, f, new)) for f, (old, new) in conflict.fields.items())
    return str(t("roster.conflict_line", line=conflict.row.line, phone=conflict.row.phone, fields=fields))


def _shown(t: Any, name: str, value: Any) -> str:
    if name == "role" and value:
        return str(t(f"onboarding.roles.{value}"))
    if name == "association" and value:
        return str(t(f"onboarding.associations.{value}"))
    return str(value)


def render_report(t: Any, plan: Plan, filename: str, limit: int | None = None, note: str | None = None,
                  conflict_note: str = "roster.conflict_note") -> str:
    """The dry-run (or applied) report: counts, then rejected / added / changed rows (at most `limit` each);
    `note` is the text key that tells how to apply (differs between the bot and the command line),
    `conflict_note` the one that tells how conflicts can be overwritten."""
    parsed = plan.parsed
    done = plan.applied
    skipped_conflicts = [c for c in plan.conflict if c not in plan.updated]
    changed = len(plan.change) + len(plan.updated)
    lines = [t("roster.report_applied" if done else "roster.report_title", file=filename[:60]),
             t("roster.report_counts_applied" if done else "roster.report_counts",
               rows=len(parsed.rows) + len(parsed.rejected), add=len(plan.add), change=changed,
               conflict=len(plan.conflict), skipped=len(skipped_conflicts), same=plan.same,
               rejected=len(parsed.rejected), hamlets=len(plan.new_hamlets), blank=parsed.blank)]
    if parsed.ignored_columns:
        lines.append(t("roster.ignored_columns", columns=", ".join(parsed.ignored_columns[:10])))
    sections: list[tuple[str, list[str]]] = [
        ("roster.rejected_title", [t("roster.rejected_line", line=r.line, reason=_reason(t, r))
                                   for r in parsed.rejected]),
        ("roster.conflict_skipped_title" if done else "roster.conflict_title",
         [conflict_line(t, c) for c in (skipped_conflicts if done else plan.conflict)]),
        ("roster.conflict_updated_title", [conflict_line(t, c) for c in plan.updated]),
        ("roster.added_title" if done else "roster.add_title",
         [t("roster.add_line", line=r.line, name=r.name, phone=r.phone, commune=r.commune,
            hamlet=r.hamlet or "—") for r in plan.add]),
        ("roster.changed_title" if done else "roster.change_title",
         [t("roster.change_line", line=c.row.line, name=c.row.name, phone=c.row.phone,
            fields=", ".join(t(f"roster.fields.{f}") for f in c.fields)) for c in plan.change]),
        ("roster.hamlets_title", [t("roster.hamlet_line", commune=c, hamlet=h) for c, h in plan.new_hamlets]),
    ]
    for title, items in sections:
        if not items:
            continue
        lines.append("")
        lines.append(t(title, count=len(items)))
        shown = items if limit is None else items[:limit]
        lines.extend(shown)
        if len(items) > len(shown):
            lines.append(t("roster.more", count=len(items) - len(shown)))
    if plan.conflict and not done:
        lines.append("")
        lines.append(t(conflict_note))
    if not plan.applied and (note or not plan.writes_anything):
        lines.append("")
        lines.append(t(note if plan.writes_anything and note else "roster.nothing_to_do"))
    return "\n".join(lines)
