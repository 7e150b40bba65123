"""The SELECTs behind exports and /stats. Every part checks that its tables exist first, so
exports and statistics work whatever features are installed.

Exports read through their own read-only sqlite3 connection in a worker thread (the
`Export*` functions are synchronous): hundreds of thousands of rows stream straight into
the file without passing through the event loop, and the bot keeps answering meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.store.db import Database
from bot.store.scope import audience_within, commune_in

QUIZ_SCALE = 5  # pass marks are "out of 5", as in bot/store/learning.py
BATCH = 2000


@dataclass(frozen=True)
class Filters:
    """Export filters: one commune (exact stored name), a UTC time range [start, end) as ISO text."""

    commune: str | None = None
    start: str | None = None
    end: str | None = None
    pass_mark: int = 4
    # The exporting staff member's rights: their communes (None = every commune) and whether
    # aspirations may leave the database at all; the audit log only for the operator's CLI export.
    scope: frozenset[str] | None = None
    sensitive: bool = True
    audit: bool = False

    def includes(self, sheet: SheetQuery) -> bool:
        """Whether this sheet belongs in the file at all (absent, not emptied, when not allowed)."""
        return (self.sensitive or not sheet.sensitive) and (self.audit or not sheet.operator)


@dataclass(frozen=True)
class SheetQuery:
    """One sheet: the tables it needs, its SQL (column aliases are the column keys), and where the
    commune and date filters apply (SQL expressions; None = that filter does not apply)."""

    key: str
    tables: tuple[str, ...]
    select: str
    where: str = ""
    group: str = ""
    order: str = ""
    commune: str | None = "p.commune"
    date: str | None = None
    leading_params: tuple[str, ...] = ()  # parameters the SELECT itself needs, by name ("scope": its communes)
    audience: str | None = None  # a JSON audience column: rows of commune staff are those within their communes
    sensitive: bool = False  # aspirations: only for staff given `sensitive`
    operator: bool = False  # the audit log: only in the operator's export (CLI)

    def sql(self, filters: Filters) -> tuple[str, list[Any]]:
        """The statement and its parameters for these filters."""
        within, names = commune_in("p.commune", filters.scope)
        params: list[Any] = []
        for name in self.leading_params:
            params.extend(names if name == "scope" else [getattr(filters, name)])
        select = self.select.replace("{scope}", within)
        conditions = [self.where] if self.where else []
        if filters.commune is not None and self.commune:
            conditions.append(f"{self.commune} = ?")
            params.append(filters.commune)
        if filters.scope is not None and self.commune:
            scoped, scope_names = commune_in(self.commune, filters.scope)
            conditions.append(scoped)
            params.extend(scope_names)
        if filters.scope is not None and self.audience:
            mine, scope_names = audience_within(self.audience, filters.scope)
            conditions.append(mine)
            params.extend(scope_names)
        if self.date and filters.start:
            conditions.append(f"{self.date} >= ?")
            params.append(filters.start)
        if self.date and filters.end:
            conditions.append(f"{self.date} < ?")
            params.append(filters.end)
        sql = select
        if conditions:
            sql += " WHERE " + " AND ".join(f"({c})" for c in conditions)
        for clause, text in (("GROUP BY", self.group), ("ORDER BY", self.order)):
            if text:
                sql += f" {clause} {text}"
        return sql, params


_PERSON = "p.name AS name, p.commune AS commune, p.hamlet AS hamlet"

SHEETS: tuple[SheetQuery, ...] = (
    SheetQuery(
        "leaders", ("people", "identities"),
        "SELECT p.id AS person_id, p.name AS name, p.role AS role, p.association AS association,"
        " p.commune AS commune, p.hamlet AS hamlet, p.phone AS phone, p.birth_year AS birth_year,"
        " p.last_channel AS channel,"
        " (EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id) AND NOT p.unreachable) AS reachable,"
        " p.stopped AS stopped, p.consent_at AS consent_at, p.registered_at AS registered_at,"
        " p.source AS source, p.created_at AS created_at FROM people p",
        where="p.registered_at IS NOT NULL OR p.source = 'roster'",
        order="p.commune, p.hamlet, p.name, p.id",
    ),
    SheetQuery(
        "reading", ("topic_reads", "topic_done"),
        f"SELECT r.person_id AS person_id, {_PERSON}, r.topic AS topic, count(*) AS sections_read,"
        " max(r.read_at) AS last_read_at, d.done_at AS done_at FROM topic_reads r"
        " JOIN people p ON p.id = r.person_id"
        " LEFT JOIN topic_done d ON d.person_id = r.person_id AND d.topic = r.topic",
        group="r.person_id, r.topic", order="p.commune, p.name, r.person_id, r.topic", date="r.read_at",
    ),
    SheetQuery(
        "attempts", ("quiz_attempts",),
        f"SELECT a.id AS attempt_id, a.person_id AS person_id, {_PERSON}, a.quiz AS quiz, a.score AS score,"
        f" a.total AS total, (a.status = 'done' AND a.total > 0 AND a.score * {QUIZ_SCALE} >= ? * a.total)"
        " AS passed, a.status AS attempt_status, a.started_at AS started_at, a.finished_at AS finished_at"
        " FROM quiz_attempts a JOIN people p ON p.id = a.person_id",
        order="a.id", date="a.started_at", leading_params=("pass_mark",),
    ),
    SheetQuery(
        "answers", ("quiz_answers",),
        "SELECT q.attempt_id AS attempt_id, q.person_id AS person_id, p.name AS name, p.commune AS commune,"
        " q.quiz AS quiz, q.position + 1 AS question_no, q.question AS question, q.question AS question_text,"
        " q.question || ':' || q.chosen AS chosen_text, q.correct AS correct, q.answered_at AS answered_at"
        " FROM quiz_answers q JOIN people p ON p.id = q.person_id",
        order="q.attempt_id, q.position", date="q.answered_at",
    ),
    SheetQuery(
        "voices", ("voices", "voice_entries"),
        f"SELECT v.id AS voice_id, v.person_id AS person_id, {_PERSON}, v.kind AS voice_kind, v.body AS body,"
        " v.status AS voice_status, v.created_at AS created_at, v.updated_at AS updated_at,"
        " (SELECT group_concat(e.body, ' | ') FROM voice_entries e WHERE e.voice_id = v.id"
        "  AND e.kind = 'answer') AS answers,"
        " (SELECT group_concat(e.body, ' | ') FROM voice_entries e WHERE e.voice_id = v.id"
        "  AND e.kind = 'note') AS notes"
        " FROM voices v JOIN people p ON p.id = v.person_id",
        order="v.id", date="v.created_at",
    ),
    SheetQuery(
        "aspirations", ("aspirations",),
        f"SELECT a.person_id AS person_id, {_PERSON}, p.role AS role, a.wish AS wish, a.helps AS helps,"
        " a.consent_at AS consent_at, a.updated_at AS updated_at"
        " FROM aspirations a JOIN people p ON p.id = a.person_id",
        order="p.commune, p.name", date="a.updated_at", sensitive=True,
    ),
    SheetQuery(
        "classes", ("classes", "class_invitees"),
        "SELECT c.id AS class_id, c.title AS title, c.place AS place, c.starts_at AS starts_at,"
        " c.minutes AS minutes, c.status AS class_status,"
        " (SELECT count(*) FROM class_invitees i JOIN people p ON p.id = i.person_id"
        "  WHERE i.class_id = c.id AND (? IS NULL OR p.commune = ?) AND {scope}) AS invited,"
        " (SELECT count(*) FROM class_invitees i JOIN people p ON p.id = i.person_id"
        "  WHERE i.class_id = c.id AND i.rsvp = 'yes' AND (? IS NULL OR p.commune = ?) AND {scope}) AS rsvp_yes,"
        " (SELECT count(*) FROM class_invitees i JOIN people p ON p.id = i.person_id"
        "  WHERE i.class_id = c.id AND i.rsvp = 'no' AND (? IS NULL OR p.commune = ?) AND {scope}) AS rsvp_no,"
        " (SELECT count(*) FROM class_invitees i JOIN people p ON p.id = i.person_id"
        "  WHERE i.class_id = c.id AND i.attended_at IS NOT NULL AND (? IS NULL OR p.commune = ?) AND {scope})"
        " AS attended FROM classes c",
        order="c.starts_at, c.id", commune=None, date="c.starts_at",
        leading_params=("commune", "commune", "scope") * 4, audience="c.audience",
    ),
    SheetQuery(
        "invitees", ("classes", "class_invitees"),
        f"SELECT i.class_id AS class_id, c.title AS title, c.starts_at AS starts_at, i.person_id AS person_id,"
        f" {_PERSON}, i.rsvp AS rsvp, i.reason AS reason, i.answered_at AS answered_at,"
        " i.attended_at AS attended_at, i.attended_by AS attended_by"
        " FROM class_invitees i JOIN classes c ON c.id = i.class_id JOIN people p ON p.id = i.person_id",
        order="c.starts_at, c.id, p.commune, p.name", date="c.starts_at",
    ),
    SheetQuery(
        "broadcasts", ("broadcasts", "broadcast_acks", "deliveries"),
        "SELECT b.id AS broadcast_id, b.created_at AS created_at, b.not_before AS send_at, b.text AS body,"
        " b.recipients AS recipients,"
        " (SELECT count(*) FROM deliveries d WHERE d.kind = 'broadcast' AND d.ref = CAST(b.id AS TEXT)"
        "  AND d.status = 'sent') AS delivered,"
        " (SELECT count(*) FROM deliveries d WHERE d.kind = 'broadcast' AND d.ref = CAST(b.id AS TEXT)"
        "  AND d.status IN ('failed', 'blocked')) AS not_delivered,"
        " (SELECT count(*) FROM broadcast_acks k WHERE k.broadcast_id = b.id) AS acked,"
        " b.cancelled_at AS cancelled_at FROM broadcasts b",
        order="b.id", commune=None, date="b.created_at", audience="b.audience",
    ),
    SheetQuery(
        "deliveries", ("deliveries",),
        "SELECT d.id AS delivery_id, d.kind AS delivery_kind, d.ref AS ref, d.person_id AS person_id,"
        " p.name AS name, p.commune AS commune, d.channel AS channel, d.status AS delivery_status,"
        " d.attempts AS attempts, d.created_at AS created_at, d.sent_at AS sent_at, d.error AS error"
        " FROM deliveries d JOIN people p ON p.id = d.person_id",
        order="d.id", date="d.created_at",
    ),
    SheetQuery(
        "audit", ("audit_log",),
        "SELECT a.at AS created_at, a.actor AS actor, a.action AS action, a.scope AS audit_scope,"
        " a.subject AS subject FROM audit_log a",
        order="a.id", commune=None, date="a.at", operator=True,
    ),
)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection for an export (committed data only, WAL readers do not block writers)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def table_names(conn: sqlite3.Connection) -> set[str]:
    """Tables that exist in this database."""
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def sheet_rows(conn: sqlite3.Connection, sheet: SheetQuery, filters: Filters) -> tuple[list[str], Iterator[tuple]]:
    """(column keys, rows) of one sheet, streamed in batches; one read transaction for consistency."""
    sql, params = sheet.sql(filters)
    cursor = conn.execute(sql, params)
    columns = [d[0] for d in cursor.description]

    def rows() -> Iterator[tuple]:
        while batch := cursor.fetchmany(BATCH):
            yield from batch

    return columns, rows()


# ---------------------------------------------------------------- /stats


@dataclass
class Stats:
    """What /stats shows; a part is None when its tables are absent."""

    registered: int = 0
    reachable: int = 0
    roster_waiting: int = 0
    by_commune: list[tuple[str, int, int, int]] = field(default_factory=list)  # commune, registered, reachable, roster
    by_role: list[tuple[str, int]] = field(default_factory=list)
    topics_done: list[tuple[str, int]] | None = None  # topic id, people who finished it
    quiz: tuple[int, int, int] | None = None  # attempts finished, people who took one, people who passed one
    voices_open: list[tuple[str, int]] | None = None  # kind, open items
    aspirations: dict[str, int] | None = None  # wish -> count
    next_class: dict[str, Any] | None = None
    classes_table: bool = False
    last_broadcast: dict[str, Any] | None = None
    broadcasts_table: bool = False
    # commune, registered, read anything, took a quiz, passed one
    chart: list[tuple[str, int, int, int, int]] = field(default_factory=list)


async def stats(db: Database, now: str, pass_mark: int, scope: frozenset[str] | None = None,
                sensitive: bool = True) -> Stats:
    """Every figure of /stats from committed data, of leaders in `scope` (None = every commune);
    aspiration counts only when `sensitive`."""
    result = Stats()
    within, names = commune_in("p.commune", scope)
    leader = "(p.registered_at IS NOT NULL)"
    reach = "EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id) AND NOT p.unreachable AND NOT p.stopped"
    rows = await db.fetchall(
        f"SELECT COALESCE(p.commune, '') AS commune, sum({leader}) AS registered,"
        f" sum({leader} AND {reach}) AS reachable,"
        " sum(p.source = 'roster' AND p.registered_at IS NULL) AS waiting"
        f" FROM people p WHERE (p.registered_at IS NOT NULL OR p.source = 'roster') AND {within}"
        " GROUP BY COALESCE(p.commune, '') ORDER BY commune = '', commune", names)
    result.by_commune = [(r["commune"], int(r["registered"]), int(r["reachable"]), int(r["waiting"])) for r in rows]
    result.registered = sum(r[1] for r in result.by_commune)
    result.reachable = sum(r[2] for r in result.by_commune)
    result.roster_waiting = sum(r[3] for r in result.by_commune)
    result.by_role = [(r["role"] or "", int(r["n"])) for r in await db.fetchall(
        f"SELECT p.role, count(*) AS n FROM people p WHERE {leader} AND {within} GROUP BY p.role ORDER BY n DESC",
        names)]
    chart = {c: [c, registered, 0, 0, 0] for c, registered, _, _ in result.by_commune if registered}
    result.topics_done = [(r["topic"], int(r["n"])) for r in await db.fetchall(
        "SELECT d.topic, count(*) AS n FROM topic_done d JOIN people p ON p.id = d.person_id"
        f" WHERE {leader} AND {within} GROUP BY d.topic ORDER BY d.topic", names)]
    for r in await db.fetchall(
        "SELECT COALESCE(p.commune, '') AS commune, count(DISTINCT r.person_id) AS n FROM topic_reads r"
        f" JOIN people p ON p.id = r.person_id WHERE {leader} AND {within} GROUP BY COALESCE(p.commune, '')",
        names):
        if r["commune"] in chart:
            chart[r["commune"]][2] = int(r["n"])
    attempts = "quiz_attempts a" if scope is None else "people p CROSS JOIN quiz_attempts a ON a.person_id = p.id"
    # Scoped: '+' keeps the status index out, so each person's attempts are read by person_id.
    done = "a.status = 'done'" if scope is None else f"+a.status = 'done' AND {within}"
    row = await db.fetchone(
        f"SELECT count(*) AS attempts, count(DISTINCT a.person_id) AS people FROM {attempts} WHERE {done}",
        names if scope is not None else [])
    per_person = await db.fetchall(
        "SELECT COALESCE(p.commune, '') AS commune, count(*) AS took, sum(a.passed) AS passed FROM ("
        f"  SELECT person_id, max(total > 0 AND score * {QUIZ_SCALE} >= ? * total) AS passed"
        "  FROM quiz_attempts WHERE status = 'done' GROUP BY person_id"
        f") a JOIN people p ON p.id = a.person_id WHERE {leader} AND {within} GROUP BY COALESCE(p.commune, '')",
        (pass_mark, *names))
    passed = sum(int(r["passed"] or 0) for r in per_person)
    result.quiz = (int(row["attempts"]) if row else 0, int(row["people"]) if row else 0, passed)
    for r in per_person:
        if r["commune"] in chart:
            chart[r["commune"]][3:5] = [int(r["took"]), int(r["passed"] or 0)]
    result.voices_open = [(r["kind"], int(r["n"])) for r in await db.fetchall(
        "SELECT v.kind, count(*) AS n FROM voices v JOIN people p ON p.id = v.person_id"
        f" WHERE v.status IN ('new', 'in_progress') AND {within} GROUP BY v.kind ORDER BY v.kind", names)]
    if sensitive:
        result.aspirations = {r["wish"]: int(r["n"]) for r in await db.fetchall(
            f"SELECT a.wish, count(*) AS n FROM aspirations a JOIN people p ON p.id = a.person_id WHERE {within}"
            " GROUP BY a.wish", names)}
    result.classes_table = True
    result.next_class = await _next_class(db, now, scope)
    result.broadcasts_table = True
    mine, params = audience_within("b.audience", scope)
    row = await db.fetchone(
        "SELECT b.id, b.text, b.created_at, b.recipients,"
        " (SELECT count(*) FROM deliveries d WHERE d.kind = 'broadcast' AND d.ref = CAST(b.id AS TEXT)"
        "  AND d.status = 'sent') AS delivered,"
        " (SELECT count(*) FROM deliveries d WHERE d.kind = 'broadcast' AND d.ref = CAST(b.id AS TEXT)"
        "  AND d.status IN ('pending', 'sending')) AS pending,"
        " (SELECT count(*) FROM deliveries d WHERE d.kind = 'broadcast' AND d.ref = CAST(b.id AS TEXT)"
        "  AND d.status IN ('failed', 'blocked')) AS failed,"
        " (SELECT count(*) FROM broadcast_acks k WHERE k.broadcast_id = b.id) AS acked"
        f" FROM broadcasts b WHERE b.cancelled_at IS NULL AND {mine} ORDER BY b.id DESC LIMIT 1", params)
    result.last_broadcast = dict(row) if row else None
    result.chart = [tuple(v) for v in chart.values()]  # type: ignore[misc]
    return result


async def _next_class(db: Database, now: str, scope: frozenset[str] | None) -> dict[str, Any] | None:
    """The next scheduled class (within `scope`: invited only leaders of those communes), with its
    invitees counted among leaders in `scope`."""
    mine, params = audience_within("c.audience", scope)
    within, names = commune_in("p.commune", scope)
    invitees = f"class_invitees i JOIN people p ON p.id = i.person_id WHERE i.class_id = c.id AND {within}"
    row = await db.fetchone(
        "SELECT c.id, c.title, c.place, c.starts_at,"
        f" (SELECT count(*) FROM {invitees}) AS invited,"
        f" (SELECT count(*) FROM {invitees} AND i.rsvp = 'yes') AS yes,"
        f" (SELECT count(*) FROM {invitees} AND i.rsvp = 'no') AS no"
        f" FROM classes c WHERE c.status = 'scheduled' AND c.starts_at >= ? AND {mine}"
        " ORDER BY c.starts_at LIMIT 1", (*names, *names, *names, now, *params))
    return dict(row) if row else None
