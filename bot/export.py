"""Exports: every sheet that exists now, as .xlsx (default) or a .zip of UTF-8-with-BOM CSV files.

Sheets: Leaders, then reading progress, quiz attempts, quiz answers, feedback, aspirations,
classes, invitations/attendance, broadcasts, deliveries — each only when its tables exist
(bot/store/reports.py). Headers and values in Vietnamese (content/texts/export.yaml),
times in CAUNOI_TZ, columns sized from the first rows, header row frozen, filters on.

The .xlsx is written by a small streaming writer (inline strings, one pass, deflate level 1):
100,000 leaders and 500,000 answers take seconds and under 100 MB, where openpyxl's write-only
mode took about ten times longer (`bench/export.py --openpyxl` measures both against a raw SELECT).
Every text cell is a typed string (t="inlineStr"), so a value like "=1+1" is never a formula;
CSV cells that start with = + - @ or a tab get a leading apostrophe (formula injection).

CSV decision: one CSV per sheet, zipped together (`-o FILE.zip`), each UTF-8 with BOM so
Excel shows Vietnamese correctly; `-o FILE.csv` writes the Leaders sheet alone as one CSV.
Dates in CSV are "YYYY-MM-DD HH:MM" local time.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import logging
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO, Any

from bot import timeparse
from bot.clock import iso
from bot.config import Config
from bot.content import Content
from bot.errors import TextError
from bot.export_refs import describe_ref
from bot.store import reports
from bot.store.db import Database
from bot.textutil import fold

log = logging.getLogger(__name__)
Converter = Callable[[Any], Any]
RowRenderer = Callable[[tuple[Any, ...], int], str]  # (stored row, row number) -> <row> XML
MAX_CELL = 32_000  # Excel's limit is 32,767 characters per cell
SAMPLE_ROWS = 200  # rows used to size the columns
EXCEL_EPOCH = datetime(1899, 12, 30)
ONE_DAY = timedelta(days=1)
ONE_SECOND = timedelta(seconds=1)
EXCEL_EPOCH_UTC = EXCEL_EPOCH.replace(tzinfo=UTC)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

DATE_COLUMNS = frozenset((
    "consent_at", "registered_at", "created_at", "last_read_at", "done_at", "started_at", "finished_at",
    "answered_at", "updated_at", "starts_at", "attended_at", "send_at", "cancelled_at", "sent_at",
))
INT_COLUMNS = frozenset((
    "person_id", "birth_year", "sections_read", "attempt_id", "score", "total", "question_no",
    "voice_id", "class_id", "minutes", "invited", "rsvp_yes", "rsvp_no", "attended", "broadcast_id",
    "recipients", "delivered", "not_delivered", "acked", "delivery_id", "attempts",
))
BOOL_COLUMNS = frozenset(("reachable", "stopped", "passed", "correct"))
SHORT_COLUMNS = frozenset(("name", "commune", "hamlet", "phone", "question"))  # bounded when stored
ENUM_COLUMNS = frozenset((
    "channel", "source", "attempt_status", "voice_kind", "voice_status", "wish", "class_status", "rsvp",
    "attended_by", "delivery_status", "delivery_kind",
))


class ExportError(TextError):
    """Bad filter input; `key` is a text in export.yaml."""


@dataclass(frozen=True)
class ExportQuery:
    """What to export: filters, and labels for the file name."""

    filters: reports.Filters
    commune: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def describe(self, t: Any) -> str:
        """The filters in words, for the reply."""
        mine = self.filters.scope
        parts = [self.commune or (", ".join(sorted(mine)) if mine is not None else t("export.all_communes"))]
        if self.date_from or self.date_to:
            parts.append(t("export.date_range", start=_vn_date(self.date_from) if self.date_from else "…",
                           end=_vn_date(self.date_to) if self.date_to else "…"))
        return ", ".join(parts)


def _vn_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def parse_date(text: str, today: date) -> date:
    """A typed date (bot/timeparse.py: 2026-12-31, 31/12/2026, 31/12, "hôm nay"…); ExportError otherwise."""
    try:
        return timeparse.parse_date(text, today)
    except timeparse.TimeParseError:
        raise ExportError("bad_date", value=text.strip()[:20]) from None


def make_query(content: Content, tz: tzinfo, commune: str | None, date_from: str | None, date_to: str | None,
               mark: int = 4, *, scope: frozenset[str] | None = None, sensitive: bool = True,
               audit: bool = False) -> ExportQuery:
    """Check the filters typed by staff (commune by folded name, dates in local time, `to` inclusive);
    `scope` and `sensitive` are the exporting staff member's rights (None = every commune)."""
    name = None
    if commune and commune.strip():
        found = _find_commune(content, commune)
        if found is None:
            raise ExportError("unknown_commune", value=commune.strip()[:40],
                              known=", ".join(c.name for c in content.units.communes))
        name = found
        if scope is not None and name not in scope:
            raise ExportError("outside_scope", value=name, known=", ".join(sorted(scope)) or "—")
    today = datetime.now(tz).date()
    start = parse_date(date_from, today) if date_from else None
    end = parse_date(date_to, today) if date_to else None
    if start and end and end < start:
        raise ExportError("date_order")

    def utc(day: date | None) -> str | None:
        if day is None:
            return None
        return iso(datetime(day.year, day.month, day.day, tzinfo=tz))

    filters = reports.Filters(commune=name, start=utc(start), end=utc(end + timedelta(days=1) if end else None),
                              pass_mark=mark, scope=scope, sensitive=sensitive, audit=audit)
    return ExportQuery(filters, name, start, end)


def _find_commune(content: Content, text: str) -> str | None:
    key = fold(text)
    bare = key.removeprefix("xa ").removeprefix("phuong ")
    for commune in content.units.communes:
        name = fold(commune.name)
        if key == name or bare == name.removeprefix("xa ").removeprefix("phuong "):
            return commune.name
    return None


# ---------------------------------------------------------------- values


class _Memo(dict[Any, Any]):
    """Codes repeat (roles, statuses, question ids): a miss is computed once, then `memo[code]` is a
    single dictionary lookup, the cheapest call there is for hundreds of thousands of rows."""

    def __init__(self, compute: Converter) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: Any) -> Any:
        value = self.compute(key)
        if len(self) < 100_000:
            self[key] = value
        return value


class Formatter:
    """Turns stored values into what a sheet shows: labels, local times, yes/no."""

    def __init__(self, content: Content, tz: tzinfo) -> None:
        self.t = content.texts
        self.tz = tz
        self.topics = {str(getattr(t, "id", "")): str(getattr(t, "label", "") or getattr(t, "title", ""))
                       for t in content.topics}
        self.questions = {str(getattr(q, "id", "")): q for bank in content.quizzes.values() for q in bank}
        self.yes, self.no = self.t("export.yes"), self.t("export.no")
        self._labels: dict[tuple[str, Any], str] = {}

    def header(self, column: str) -> str:
        """The Vietnamese header of a column key."""
        key = f"export.columns.{column}"
        return self.t(key) if key in self.t else column

    def converter(self, column: str) -> Callable[[Any], Any] | None:
        """value -> int | datetime | str | None for one column; None when the stored value is shown as is."""
        if column in DATE_COLUMNS:
            return self.local_time
        if column in INT_COLUMNS or column in SHORT_COLUMNS:
            return None
        compute = self._computer(column)
        return _Memo(compute).__getitem__ if compute is not None else self.text

    def _computer(self, column: str) -> Converter | None:
        if column in BOOL_COLUMNS:
            return lambda v: None if v is None else (self.yes if v else self.no)
        if column == "role":
            return lambda v: self.label("onboarding.roles", v)
        if column == "association":
            return lambda v: self.label("onboarding.associations", v)
        if column in ENUM_COLUMNS:
            return lambda v, c=column: self.label(f"export.values.{c}", v)  # type: ignore[misc]
        if column in ("topic", "quiz"):
            return lambda v: None if v is None else self.topics.get(v) or self.label("export.values.quiz", v)
        if column == "question_text":
            return lambda v: getattr(self.questions.get(v), "text", None) or v
        if column == "chosen_text":
            return self.chosen_text
        if column == "ref":  # "class:3" -> "Lớp học #3": staff read words, not outbox keys
            return lambda v: describe_ref(v, self.t, self.local_time)
        if column == "helps":
            return lambda v: None if not v else ", ".join(
                filter(None, (self.label("export.values.helps", h) for h in v.split(","))))
        return None

    def chosen_text(self, value: Any) -> str | None:
        """"<question id>:<bank option index>" -> the text of the option chosen."""
        question_id, _, index = str(value or "").rpartition(":")
        options = getattr(self.questions.get(question_id), "options", ())
        return options[int(index)] if index.isdigit() and int(index) < len(options) else None

    def label(self, prefix: str, value: Any) -> str | None:
        """The label of a stored code, or the code itself when there is none."""
        if value is None or value == "":
            return None
        cached = self._labels.get((prefix, value))
        if cached is None:
            key = f"{prefix}.{value}"
            cached = self.t(key) if key in self.t else str(value)
            self._labels[(prefix, value)] = cached
        return cached

    def local_time(self, value: Any) -> datetime | None:
        """ISO UTC text -> naive local datetime."""
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)  # Python ≥ 3.11 reads the trailing Z
        except (ValueError, TypeError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz).replace(tzinfo=None, microsecond=0)

    @staticmethod
    def text(value: Any) -> Any:
        """Text as is (cut to Excel's cell limit); numbers stay numbers."""
        if isinstance(value, str) and len(value) > MAX_CELL:
            return value[:MAX_CELL] + "…"
        return value


# ---------------------------------------------------------------- writers


def _col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xml(text: str) -> str:
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Sheet"
    base, n = name, 2
    while name.lower() in used:
        name = f"{base[:27]} ({n})"
        n += 1
    used.add(name.lower())
    return name


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    return min(len(str(value)), 60)


class XlsxWriter:
    """A minimal streaming .xlsx writer: sheets of typed cells, bold frozen header, filters, widths."""

    def __init__(self, target: IO[bytes], tz: tzinfo = UTC) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.tz = tz
        self._offsets: dict[str, int] = {}  # "YYYY-MM-DDTHH" (UTC) -> seconds to add for local time
        self.sheets: list[tuple[str, str]] = []  # (name, filter range)
        self._names: set[str] = set()
        self._cells: dict[str, str] = {}  # text -> its finished cell

    def add_sheet(self, title: str, headers: list[str], rows: Iterable[tuple[Any, ...]],
                  converters: list[Converter | None], kinds: list[str]) -> int:
        """Write one sheet of stored rows, each column through its converter; returns the number of rows.
        `kinds` marks columns of stored integers ("int") and stored ISO UTC times ("date"), which are
        written straight from the stored value."""
        name = _sheet_name(title, self._names)
        last_column = _col_letter(max(len(headers) - 1, 0))
        iterator = iter(rows)
        sample = [row for _, row in zip(range(SAMPLE_ROWS), iterator, strict=False)]
        shown = [_convert(row, converters) for row in sample]
        widths = [max([len(h) + 3, *(_width(row[i]) + 2 for row in shown)]) for i, h in enumerate(headers)]
        render = self._compile(converters, kinds)
        path = f"xl/worksheets/sheet{len(self.sheets) + 1}.xml"
        count = 0
        with self.zip.open(path, "w", force_zip64=True) as out:
            out.write(self._sheet_head(widths).encode())
            out.write(("<row r=\"1\">" + "".join(self._text_cell(h, ' s="2"') for h in headers) + "</row>").encode())
            chunk: list[str] = []
            for count, row in enumerate(itertools.chain(sample, iterator), start=1):
                chunk.append(render(row, count + 1))
                if len(chunk) >= 1000:
                    out.write("".join(chunk).encode())
                    chunk.clear()
            out.write("".join(chunk).encode())
            out.write(f'</sheetData><autoFilter ref="A1:{last_column}{count + 1}"/></worksheet>'.encode())
        self.sheets.append((name, f"$A$1:${last_column}${count + 1}"))
        return count

    def _compile(self, converters: list[Converter | None], kinds: list[str]) -> RowRenderer:
        # The export's hot path: hundreds of thousands of rows. One generated function per sheet renders
        # a whole row in a single expression (as collections.namedtuple generates its code), about
        # twice as fast as looping over the cells and dispatching on each value's type.
        env: dict[str, Any] = {"cell": self._cell, "cached": self._cells.get, "date": self._date_cell}
        parts = []
        for i, (convert, kind) in enumerate(zip(converters, kinds, strict=True)):
            if kind == "date":
                parts.append(f"date(row[{i}])")
            elif convert is not None:
                env[f"c{i}"] = convert
                parts.append(f"(cached(v{i} := c{i}(row[{i}])) or cell(v{i}))")
            elif kind == "int":
                parts.append(f"(f'<c><v>{{row[{i}]}}</v></c>' if type(row[{i}]) is int else cell(row[{i}]))")
            else:
                parts.append(f"(cached(row[{i}]) or cell(row[{i}]))")
        source = ("def render(row, n):\n"
                  f"    return ''.join((f'<row r=\"{{n}}\">', {', '.join(parts)}, '</row>'))\n")
        exec(source, env)  # the source is built only from the fixed templates above
        render: RowRenderer = env["render"]
        return render

    def _date_cell(self, stored: Any) -> str:
        """A stored ISO UTC time as a local date-time cell (Excel serial days, to the second)."""
        if not stored:
            return "<c/>"
        try:
            moment = datetime.fromisoformat(stored)
        except (ValueError, TypeError):
            return self._cell(stored)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        hour = stored[:13]
        offset = self._offsets.get(hour)
        if offset is None:  # the zone's offset, looked up once per hour of data
            offset = int((moment.astimezone(self.tz).utcoffset() or timedelta()).total_seconds())
            self._offsets[hour] = offset
        seconds = (moment - EXCEL_EPOCH_UTC) // ONE_SECOND + offset
        return f'<c s="1"><v>{seconds / 86400:.10f}</v></c>'

    def _cell(self, value: Any) -> str:
        # Cells carry no "r" reference (it is optional; position follows order), so an empty cell is <c/>.
        kind = type(value)
        if kind is str:
            return self._cells.get(value) or self._text_cell(value)
        if value is None:
            return "<c/>"
        if kind is int or kind is float:
            return f"<c><v>{value}</v></c>"
        if kind is datetime:
            return f'<c s="1"><v>{(value - EXCEL_EPOCH) / ONE_DAY:.10f}</v></c>'
        if kind is bool:
            return f"<c><v>{int(value)}</v></c>"
        return self._text_cell(str(value))

    @staticmethod
    def _sheet_head(widths: list[int]) -> str:
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
            ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>'
        )

    def _text_cell(self, text: str, style: str = "") -> str:
        cell = f'<c{style} t="inlineStr"><is><t xml:space="preserve">{_xml(text)}</t></is></c>'
        if not style and len(text) < 64 and len(self._cells) < 100_000:  # communes, labels, codes repeat a lot
            self._cells[text] = cell
        return cell

    def close(self) -> None:
        """Write the workbook parts and finish the zip."""
        sheets = "".join(f'<sheet name="{_xml(name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (name, _) in enumerate(self.sheets, 1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"'{_xml(name)}'!{ref}</definedName>" for i, (name, ref) in enumerate(self.sheets))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(self.sheets) + 1))
        n = len(self.sheets) + 1
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n))
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        parts = {
            "[Content_Types].xml": (
                f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'),
            "_rels/.rels": (
                f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/>'
                '</Relationships>'),
            "xl/workbook.xml": (
                f'{head}<workbook xmlns="{main}" xmlns:r="{rel_ns}"><sheets>{sheets}</sheets>'
                f'{"<definedNames>" + names + "</definedNames>" if names else ""}</workbook>'),
            "xl/_rels/workbook.xml.rels": (
                f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                f'<Relationship Id="rId{n}" Type="{rel_ns}/styles" Target="styles.xml"/></Relationships>'),
            "xl/styles.xml": (
                f'{head}<styleSheet xmlns="{main}">'
                '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
                '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
                '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '</styleSheet>'),
        }
        for path, text in parts.items():
            self.zip.writestr(path, text)
        self.zip.close()


class CsvZipWriter:
    """One UTF-8-with-BOM CSV per sheet, in a zip."""

    def __init__(self, target: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: set[str] = set()

    def add_sheet(self, title: str, headers: list[str], rows: Iterable[tuple[Any, ...]],
                  converters: list[Converter | None], kinds: list[str]) -> int:
        """Write one CSV; returns the number of data rows."""
        name = _sheet_name(title, self._names)
        with self.zip.open(f"{name}.csv", "w", force_zip64=True) as raw:
            return write_csv(raw, headers, (_convert(row, converters) for row in rows))

    def close(self) -> None:
        """Finish the zip."""
        self.zip.close()


class CsvFileWriter:
    """The first sheet (Leaders) alone, as one UTF-8-with-BOM CSV file."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.written = False

    def add_sheet(self, title: str, headers: list[str], rows: Iterable[tuple[Any, ...]],
                  converters: list[Converter | None], kinds: list[str]) -> int:
        """Write the sheet if it is the first; later sheets are not part of a single CSV."""
        if self.written:
            return 0
        self.written = True
        return write_csv(self.target, headers, (_convert(row, converters) for row in rows))

    def close(self) -> None:
        """Nothing to finish."""


def write_csv(raw: IO[bytes], headers: list[str], rows: Iterable[list[Any]]) -> int:
    """One CSV table, UTF-8 with BOM so Excel reads Vietnamese; returns the number of data rows."""
    out = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        count += 1
    out.flush()
    out.detach()
    return count


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # Excel would run it as a formula
    return value


# ---------------------------------------------------------------- running an export


def write_export(db_path: Path, content: Content, tz: tzinfo, query: ExportQuery, target: IO[bytes],
                 fmt: str) -> list[tuple[str, int]]:
    """Write every available sheet to `target` (synchronous: run it in a thread). Returns (title, rows).

    fmt: "xlsx"; "csv" = a zip of one CSV per sheet; "csv-leaders" = the Leaders sheet as one CSV."""
    fmt_writer: XlsxWriter | CsvZipWriter | CsvFileWriter = (
        XlsxWriter(target, tz) if fmt == "xlsx" else CsvFileWriter(target) if fmt == "csv-leaders"
        else CsvZipWriter(target))
    formatter = Formatter(content, tz)
    summary: list[tuple[str, int]] = []
    conn = reports.connect_readonly(db_path)
    try:
        conn.execute("BEGIN")  # one snapshot for every sheet
        have = reports.table_names(conn)
        for sheet in reports.SHEETS[:1] if fmt == "csv-leaders" else reports.SHEETS:
            if not set(sheet.tables) <= have or not query.filters.includes(sheet):
                continue
            try:
                columns, rows = reports.sheet_rows(conn, sheet, query.filters)
            except sqlite3.OperationalError:  # a feature changed its tables: skip its sheet, keep the rest
                log.exception("export: sheet %s skipped", sheet.key)
                continue
            title = content.texts(f"export.sheets.{sheet.key}")
            count = fmt_writer.add_sheet(title, [formatter.header(c) for c in columns], rows,
                                         [formatter.converter(c) for c in columns],
                                         ["int" if c in INT_COLUMNS else "date" if c in DATE_COLUMNS else ""
                                          for c in columns])
            summary.append((title, count))
        conn.execute("COMMIT")
    finally:
        conn.close()
    fmt_writer.close()
    return summary


def _convert(row: tuple[Any, ...], converters: list[Converter | None]) -> list[Any]:
    return [value if convert is None else convert(value) for convert, value in zip(converters, row, strict=True)]


def file_name(query: ExportQuery, now: datetime, tz: tzinfo, fmt: str) -> str:
    """caunoi-<commune>-YYYYMMDD-HHMM.xlsx (or .zip)."""
    slug = "-" + re.sub(r"[^a-z0-9]+", "-", fold(query.commune)).strip("-") if query.commune else ""
    suffix = {"xlsx": "xlsx", "csv-leaders": "csv"}.get(fmt, "zip")
    return f"caunoi{slug}-{now.astimezone(tz):%Y%m%d-%H%M}.{suffix}"


async def export_bytes(db: Database, content: Content, config: Config, query: ExportQuery, now: datetime,
                       fmt: str = "xlsx") -> tuple[str, bytes, list[tuple[str, int]]]:
    """(file name, bytes, sheet summary) of an export, built in a worker thread."""
    buffer = io.BytesIO()
    summary = await asyncio.to_thread(write_export, db.path, content, config.tz, query, buffer, fmt)
    return file_name(query, now, config.tz, fmt), buffer.getvalue(), summary


async def export_to_file(db: Database, content: Content, config: Config, query: ExportQuery, path: Path,
                         fmt: str = "xlsx") -> list[tuple[str, int]]:
    """Write an export to `path` (through a temporary file, so a failure leaves no half file)."""
    temporary = path.with_name(path.name + ".part")

    def run() -> list[tuple[str, int]]:
        try:
            with temporary.open("wb") as handle:
                temporary.chmod(0o600)  # personal data: for the bot's user only
                summary = write_export(db.path, content, config.tz, query, handle, fmt)
            temporary.replace(path)
            return summary
        finally:
            temporary.unlink(missing_ok=True)

    return await asyncio.to_thread(run)
