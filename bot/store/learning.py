"""Learning: sections read, quiz attempts and answers, and the figures staff follow up on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.store.db import Database
from bot.store.scope import commune_in

QUIZ_SCALE = 5  # the pass mark is given "out of 5" whatever the quiz length


@dataclass(frozen=True)
class Attempt:
    """One quiz taken by one person; `questions` holds each question id and the option order shown."""

    id: int
    person_id: int
    quiz: str
    questions: list[tuple[str, list[int]]]
    position: int
    score: int
    total: int
    status: str
    started_at: str
    finished_at: str | None

    @property
    def done(self) -> bool:
        """All questions answered."""
        return self.status == "done"


class _NotRecorded(Exception):
    """The answer was already given (or the attempt moved on): roll back, count nothing."""


def _attempt(row: aiosqlite.Row) -> Attempt:
    questions = [(str(q), [int(i) for i in order]) for q, order in json.loads(row["questions"])]
    return Attempt(
        id=row["id"], person_id=row["person_id"], quiz=row["quiz"], questions=questions,
        position=row["position"], score=row["score"], total=row["total"], status=row["status"],
        started_at=row["started_at"], finished_at=row["finished_at"],
    )


# --- reading -------------------------------------------------------------------------------

async def record_read(db: Database, person_id: int, topic: str, section: int, sections: int, now: str) -> int:
    """Mark one section (1-based) as read; mark the topic done once every section is. Returns sections read."""
    async with db.write() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO topic_reads (person_id, topic, section, read_at) VALUES (?, ?, ?, ?)",
            (person_id, topic, section, now),
        )
        async with conn.execute(
            "SELECT count(*) FROM topic_reads WHERE person_id = ? AND topic = ? AND section BETWEEN 1 AND ?",
            (person_id, topic, sections),
        ) as cursor:
            row = await cursor.fetchone()
        count = int(row[0]) if row else 0
        if count >= sections:
            await conn.execute(
                "INSERT OR IGNORE INTO topic_done (person_id, topic, done_at) VALUES (?, ?, ?)",
                (person_id, topic, now),
            )
    return count


async def sections_read(db: Database, person_id: int, topic: str) -> set[int]:
    """Which sections (1-based) of a topic this person has read."""
    rows = await db.fetchall("SELECT section FROM topic_reads WHERE person_id = ? AND topic = ?", (person_id, topic))
    return {int(row["section"]) for row in rows}


async def reading_progress(db: Database, person_id: int) -> dict[str, int]:
    """Sections read per topic for one person."""
    rows = await db.fetchall(
        "SELECT topic, count(*) AS n FROM topic_reads WHERE person_id = ? GROUP BY topic", (person_id,)
    )
    return {row["topic"]: int(row["n"]) for row in rows}


# --- quizzes -------------------------------------------------------------------------------

async def start_attempt(
    db: Database, person_id: int, quiz: str, questions: list[tuple[str, list[int]]], now: str
) -> Attempt:
    """Begin a quiz; any quiz this person left open is marked abandoned (its buttons become stale)."""
    async with db.write() as conn:
        await conn.execute("UPDATE quiz_attempts SET status = 'abandoned' WHERE person_id = ? AND status = 'open'",
                           (person_id,))
        cursor = await conn.execute(
            "INSERT INTO quiz_attempts (person_id, quiz, questions, total, started_at) VALUES (?, ?, ?, ?, ?)",
            (person_id, quiz, json.dumps(questions), len(questions), now),
        )
        attempt_id = int(cursor.lastrowid or 0)
    return Attempt(attempt_id, person_id, quiz, questions, 0, 0, len(questions), "open", now, None)


async def get_attempt(db: Database, attempt_id: int) -> Attempt | None:
    """The attempt with this id, or None."""
    row = await db.fetchone("SELECT * FROM quiz_attempts WHERE id = ?", (attempt_id,))
    return _attempt(row) if row else None


async def open_attempt(db: Database, person_id: int) -> Attempt | None:
    """The quiz this person left unfinished, if any."""
    row = await db.fetchone(
        "SELECT * FROM quiz_attempts WHERE person_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1", (person_id,)
    )
    return _attempt(row) if row else None


async def abandon(db: Database, attempt_id: int) -> None:
    """Close an open attempt that cannot go on (e.g. its questions left the bank)."""
    await db.execute("UPDATE quiz_attempts SET status = 'abandoned' WHERE id = ? AND status = 'open'", (attempt_id,))


async def record_answer(
    db: Database, attempt: Attempt, position: int, chosen: int, correct: bool, now: str
) -> Attempt | None:
    """Store one answer and move the attempt on, atomically; None if it was already answered."""
    question = attempt.questions[position][0]
    finished = position + 1 >= attempt.total
    try:
        async with db.write() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO quiz_answers (attempt_id, position, person_id, quiz, question, chosen, correct,"
                " answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (attempt.id, position, attempt.person_id, attempt.quiz, question, chosen, int(correct), now),
            )
            if cursor.rowcount != 1:
                raise _NotRecorded
            cursor = await conn.execute(
                "UPDATE quiz_attempts SET position = position + 1, score = score + ?, status = ?, finished_at = ?"
                " WHERE id = ? AND position = ? AND status = 'open'",
                (int(correct), "done" if finished else "open", now if finished else None, attempt.id, position),
            )
            if cursor.rowcount != 1:
                raise _NotRecorded
    except _NotRecorded:
        return None
    return Attempt(attempt.id, attempt.person_id, attempt.quiz, attempt.questions, position + 1,
                   attempt.score + int(correct), attempt.total, "done" if finished else "open",
                   attempt.started_at, now if finished else None)


async def answers_of(db: Database, attempt_id: int) -> list[tuple[int, str, int, bool]]:
    """(position, question id, chosen bank option, correct) of an attempt, in order."""
    rows = await db.fetchall(
        "SELECT position, question, chosen, correct FROM quiz_answers WHERE attempt_id = ? ORDER BY position",
        (attempt_id,),
    )
    return [(int(r["position"]), r["question"], int(r["chosen"]), bool(r["correct"])) for r in rows]


async def finished_count(db: Database, person_id: int) -> int:
    """How many quizzes this person has finished."""
    return int(await db.fetchval(
        "SELECT count(*) FROM quiz_attempts WHERE person_id = ? AND status = 'done'", (person_id,)) or 0)


# --- results for staff ----------------------------------------------------------------------

@dataclass
class QuizStats:
    """Figures of one quiz (a topic id or 'mix') over finished attempts."""

    quiz: str
    attempts: int = 0
    people: int = 0
    mean: float = 0.0
    median: float = 0.0
    passed: int = 0
    missed: list[tuple[str, int, int]] | None = None  # (question id, answers, wrong answers), worst first

    @property
    def pass_rate(self) -> float:
        """Share of finished attempts that passed."""
        return self.passed / self.attempts if self.attempts else 0.0


def _passes(score: int, total: int, pass_mark: int) -> bool:
    return total > 0 and score * QUIZ_SCALE >= pass_mark * total


def _median(histogram: list[tuple[float, int]]) -> float:
    """Median of values given as (value, count) pairs."""
    count = sum(n for _, n in histogram)
    if not count:
        return 0.0
    ordered = sorted(histogram)

    def nth(k: int) -> float:
        seen = 0
        for value, n in ordered:
            seen += n
            if k < seen:
                return value
        return ordered[-1][0]

    return (nth((count - 1) // 2) + nth(count // 2)) / 2


def _scoped(table: str, scope: frozenset[str] | None) -> tuple[str, list[str]]:
    """`table`, or its rows of people in `scope` (that commune's people first, then their rows)."""
    if scope is None:
        return table, []
    within, params = commune_in("p.commune", scope)
    return f"(SELECT t.* FROM people p CROSS JOIN {table} t ON t.person_id = p.id WHERE {within})", params


async def quiz_stats(db: Database, pass_mark: int, top: int = 3,
                     scope: frozenset[str] | None = None) -> dict[str, QuizStats]:
    """Per quiz: attempts, people, mean and median score (out of 5), passes, and the most-missed questions
    (of leaders in `scope`; None = every commune)."""
    stats: dict[str, QuizStats] = {}
    attempts, params = _scoped("quiz_attempts", scope)
    for row in await db.fetchall(
        f"SELECT quiz, count(*) AS attempts, count(DISTINCT person_id) AS people FROM {attempts}"
        " WHERE status = 'done' GROUP BY quiz", params
    ):
        stats[row["quiz"]] = QuizStats(row["quiz"], int(row["attempts"]), int(row["people"]))
    histograms: dict[str, list[tuple[float, int]]] = {}
    for row in await db.fetchall(
        f"SELECT quiz, score, total, count(*) AS n FROM {attempts} WHERE status = 'done' GROUP BY quiz, score, total",
        params,
    ):
        score, total, n = int(row["score"]), int(row["total"]), int(row["n"])
        scaled = score * QUIZ_SCALE / total if total else 0.0
        histograms.setdefault(row["quiz"], []).append((scaled, n))
        if row["quiz"] in stats and _passes(score, total, pass_mark):
            stats[row["quiz"]].passed += n
    for quiz, histogram in histograms.items():
        if quiz in stats:
            count = sum(n for _, n in histogram)
            stats[quiz].mean = sum(v * n for v, n in histogram) / count if count else 0.0
            stats[quiz].median = _median(histogram)
    per_question: dict[str, list[tuple[str, int, int]]] = {}
    answers, params = _scoped("quiz_answers", scope)
    for row in await db.fetchall(
        f"SELECT quiz, question, count(*) AS n, sum(correct) AS right FROM {answers} GROUP BY quiz, question", params
    ):
        n = int(row["n"])
        per_question.setdefault(row["quiz"], []).append((row["question"], n, n - int(row["right"] or 0)))
    for quiz, rows in per_question.items():
        rows.sort(key=lambda r: (-r[2] / r[1], -r[1], r[0]))
        stats.setdefault(quiz, QuizStats(quiz)).missed = [r for r in rows if r[2] > 0][:top]
    return stats


@dataclass
class CommuneStats:
    """Per commune: registered leaders, how many read each topic, took a quiz, passed one."""

    commune: str
    registered: int = 0
    read: dict[str, int] | None = None
    took: int = 0
    passed: int = 0


async def commune_stats(db: Database, pass_mark: int, scope: frozenset[str] | None = None) -> list[CommuneStats]:
    """Figures per commune of registered people in `scope` (None = all; a commune of NULL shows as '')."""
    stats: dict[str, CommuneStats] = {}
    within, names = commune_in("p.commune", scope)
    # Commune staff: only their people's attempts are grouped (not everyone's, then filtered).
    mine = "1" if scope is None else f"person_id IN (SELECT p.id FROM people p WHERE {within})"

    def get(commune: str | None) -> CommuneStats:
        key = commune or ""
        if key not in stats:
            stats[key] = CommuneStats(key, read={})
        return stats[key]

    for row in await db.fetchall(
        f"SELECT p.commune, count(*) AS n FROM people p WHERE p.registered_at IS NOT NULL AND {within}"
        " GROUP BY p.commune", names
    ):
        get(row["commune"]).registered = int(row["n"])
    for row in await db.fetchall(
        "SELECT p.commune, d.topic, count(*) AS n FROM topic_done d JOIN people p ON p.id = d.person_id"
        f" WHERE p.registered_at IS NOT NULL AND {within} GROUP BY p.commune, d.topic", names
    ):
        read = get(row["commune"]).read
        assert read is not None
        read[row["topic"]] = int(row["n"])
    for row in await db.fetchall(
        "SELECT p.commune, count(*) AS took, sum(a.passed) AS passed FROM ("
        "  SELECT person_id, max(score * ? >= ? * total) AS passed FROM quiz_attempts"
        f"  WHERE status = 'done' AND total > 0 AND {mine} GROUP BY person_id"
        f") a JOIN people p ON p.id = a.person_id WHERE p.registered_at IS NOT NULL AND {within} GROUP BY p.commune",
        (QUIZ_SCALE, pass_mark, *names, *names),
    ):
        entry = get(row["commune"])
        entry.took, entry.passed = int(row["took"]), int(row["passed"] or 0)
    return sorted(stats.values(), key=lambda s: (s.commune == "", s.commune))


@dataclass(frozen=True)
class FollowUp:
    """A leader who has not read every topic or not passed a quiz."""

    person_id: int
    name: str
    commune: str
    hamlet: str
    phone: str
    unread: tuple[str, ...]
    passed: bool
    best: tuple[int, int] | None  # best finished score (right, total), None if no quiz finished


async def followup(
    db: Database, topics: Sequence[str], pass_mark: int, commune: str | None, offset: int, limit: int,
    scope: frozenset[str] | None = None,
) -> tuple[int, list[FollowUp]]:
    """(how many in all, one page) of registered leaders (in `scope`, None = all) who have not read
    every topic or not passed."""
    marks = ",".join("?" * len(topics)) or "''"
    within, names = commune_in("p.commune", scope)
    where = f"p.registered_at IS NOT NULL AND {within}" + (" AND p.commune = ?" if commune is not None else "")
    params: list[object] = [*topics, QUIZ_SCALE, pass_mark, *names]
    if commune is not None:
        params.append(commune)
    params += [len(topics), limit, offset]
    rows = await db.fetchall(
        "SELECT * FROM ("
        "  SELECT p.id, p.name, p.commune, p.hamlet, p.phone,"
        f"   (SELECT count(*) FROM topic_done d WHERE d.person_id = p.id AND d.topic IN ({marks})) AS done,"
        "    EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.person_id = p.id AND a.status = 'done'"
        "            AND a.score * ? >= ? * a.total) AS passed"
        f"  FROM people p WHERE {where}"
        ") WHERE done < ? OR NOT passed"
        " ORDER BY commune, hamlet, name, id LIMIT ? OFFSET ?",
        params,
    )
    total_params = [*params[:-2]]
    total = int(await db.fetchval(
        "SELECT count(*) FROM ("
        "  SELECT "
        f"   (SELECT count(*) FROM topic_done d WHERE d.person_id = p.id AND d.topic IN ({marks})) AS done,"
        "    EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.person_id = p.id AND a.status = 'done'"
        "            AND a.score * ? >= ? * a.total) AS passed"
        f"  FROM people p WHERE {where}"
        ") WHERE done < ? OR NOT passed",
        total_params,
    ) or 0)
    ids = [int(r["id"]) for r in rows]
    done: dict[int, set[str]] = {i: set() for i in ids}
    if ids:
        for row in await db.fetchall(
            f"SELECT person_id, topic FROM topic_done WHERE person_id IN ({','.join('?' * len(ids))})", ids
        ):
            done[int(row["person_id"])].add(row["topic"])
    best = await best_scores(db, ids)
    page = [
        FollowUp(int(r["id"]), r["name"] or "", r["commune"] or "", r["hamlet"] or "", r["phone"] or "",
                 tuple(t for t in topics if t not in done[int(r["id"])]), bool(r["passed"]), best.get(int(r["id"])))
        for r in rows
    ]
    return total, page


async def best_scores(db: Database, person_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Each person's best finished quiz score as (right, total), by share of right answers."""
    best: dict[int, tuple[int, int]] = {}
    if not person_ids:
        return best
    rows = await db.fetchall(
        "SELECT person_id, score, total FROM quiz_attempts WHERE status = 'done' AND total > 0"
        f" AND person_id IN ({','.join('?' * len(person_ids))})", list(person_ids),
    )
    for row in rows:
        pid, score, total = int(row["person_id"]), int(row["score"]), int(row["total"])
        if pid not in best or score * best[pid][1] > best[pid][0] * total:
            best[pid] = (score, total)
    return best


async def quiz_bests(db: Database, person_id: int) -> dict[str, tuple[int, int]]:
    """One person's best finished score per quiz, as (right, total)."""
    best: dict[str, tuple[int, int]] = {}
    for row in await db.fetchall(
        "SELECT quiz, score, total FROM quiz_attempts WHERE person_id = ? AND status = 'done' AND total > 0",
        (person_id,),
    ):
        quiz, score, total = row["quiz"], int(row["score"]), int(row["total"])
        if quiz not in best or score * best[quiz][1] > best[quiz][0] * total:
            best[quiz] = (score, total)
    return best


async def communes_with_people(db: Database, scope: frozenset[str] | None = None) -> list[str]:
    """Communes of registered people (in `scope`; None = all), for the follow-up filter."""
    within, names = commune_in("commune", scope)
    rows = await db.fetchall(
        "SELECT DISTINCT commune FROM people WHERE registered_at IS NOT NULL AND commune IS NOT NULL"
        f" AND {within} ORDER BY commune", names
    )
    return [row["commune"] for row in rows]
