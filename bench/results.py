"""How fast staff get /results and the follow-up list on a big database.

    python bench/results.py [--leaders 100000 --answers 500000 --rounds 3]

Generates registered leaders in 70 communes (the 7 of units.yaml and 63 more), topics read,
finished quiz attempts of 5 answers each (answers / 5 attempts) into a temporary SQLite file
through the real migrations, then times, through the real dispatcher as staff: /results, the
per-commune table, the follow-up list (all communes, first page) and one commune's list; then
the same as commune staff who cover 1 of the 70 communes (the scoped run). The baseline is a
plain full scan of the answers table (`SELECT sum(correct) FROM quiz_answers`) measured in
the same run; each figure is printed with its ratio to that baseline. Target: under 1 s each.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App, open_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.model import Event, Identity  # noqa: E402
from bot.store import staff as staff_store  # noqa: E402

STAFF = Identity("tg", "9000")
SCOPED = Identity("tg", "7001")  # commune staff: one commune of 70
COMMUNES = 70
BATCH = 50_000


async def generate(app: App, leaders: int, answers: int, rng: random.Random) -> None:
    """Fill people, topic_done, quiz_attempts and quiz_answers with plausible data."""
    communes = [c.name for c in app.content.units.communes]
    communes += [f"Xã Thử {n}" for n in range(len(communes) + 1, COMMUNES + 1)]
    topics = [t.id for t in app.content.topics]
    banks = {quiz: [q.id for q in bank] for quiz, bank in app.content.quizzes.items()}
    mixed = [qid for bank in banks.values() for qid in bank]
    now = "2026-03-01T00:00:00Z"
    db = app.db
    async with db.write() as conn:
        first = int((await (await conn.execute("SELECT coalesce(max(id), 0) FROM people")).fetchone())[0]) + 1
        rows = [(first + i, f"Người {i}", communes[i % len(communes)], f"Thôn {(i // 7) % 20 + 1}",
                 f"09{i:08d}", now, now) for i in range(leaders)]
        for start in range(0, len(rows), BATCH):
            await conn.executemany(
                "INSERT INTO people (id, name, commune, hamlet, phone, registered_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", rows[start:start + BATCH])
    ids = [row[0] for row in rows]
    done = [(pid, topic, now) for pid in ids for share, topic in zip((0.7, 0.5, 0.35), topics, strict=False)
            if rng.random() < share]
    async with db.write() as conn:
        for start in range(0, len(done), BATCH):
            await conn.executemany("INSERT INTO topic_done (person_id, topic, done_at) VALUES (?, ?, ?)",
                                   done[start:start + BATCH])
    attempts = answers // 5
    quizzes = [*banks, "mix"]
    attempt_rows, answer_rows = [], []
    for number in range(1, attempts + 1):
        person = rng.choice(ids)
        quiz = rng.choice(quizzes)
        pool = mixed if quiz == "mix" else banks[quiz]
        questions = rng.sample(pool, 5)
        score = 0
        for position, qid in enumerate(questions):
            correct = rng.random() < 0.72
            score += correct
            answer_rows.append((number, position, person, quiz, qid, 0 if correct else 1, int(correct), now))
        attempt_rows.append((number, person, quiz, "[]", 5, score, 5, "done", now, now))
    async with db.write() as conn:
        for start in range(0, len(attempt_rows), BATCH):
            await conn.executemany(
                "INSERT INTO quiz_attempts (id, person_id, quiz, questions, position, score, total, status,"
                " started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", attempt_rows[start:start + BATCH])
        for start in range(0, len(answer_rows), BATCH):
            await conn.executemany(
                "INSERT INTO quiz_answers (attempt_id, position, person_id, quiz, question, chosen, correct,"
                " answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", answer_rows[start:start + BATCH])
    async with db.write() as conn:
        await conn.execute("ANALYZE")


async def timed(action: Callable[[], Awaitable[object]], rounds: int) -> float:
    """Median seconds of `rounds` runs (after one warm-up run)."""
    await action()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(env={"CAUNOI_DB": f"{folder}/bench.sqlite3", "CAUNOI_ADMINS": "tg:9000",
                                  "CAUNOI_FLOOD_BURST": "1000000"}, dotenv=Path(folder) / "none.env")
        config = replace(config, db_path=Path(folder) / "bench.sqlite3")
        app = await open_app(config)
        try:
            start = time.perf_counter()
            await generate(app, args.leaders, args.answers, random.Random(7))
            print(f"generated {args.leaders:,} leaders and {args.answers:,} answers "
                  f"in {time.perf_counter() - start:.1f} s")

            who = STAFF

            async def send(kind: str, value: str) -> str:
                replies = await app.dispatch(Event(who, kind, value))  # type: ignore[arg-type]
                return "\n".join(r.text for r in replies)

            async def baseline() -> object:
                return await app.db.fetchval("SELECT sum(correct) FROM quiz_answers")

            async def followup(payload: str) -> str:
                await send("command", "followup")  # shows the commune buttons the choice must come from
                return await send("choice", payload)

            checks: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                ("/results", lambda: send("command", "results")),
                ("/results then per commune (rs:c)", lambda: _per_commune(send)),
                ("/followup then all, page 1", lambda: followup("rs:f:a:0")),
                ("/followup then one commune, page 1", lambda: followup("rs:f:0:0")),
            ]
            base = await timed(baseline, args.rounds)
            print(f"baseline: full scan of quiz_answers   {base * 1000:8.1f} ms")
            worst = 0.0
            for name, action in checks:
                seconds = await timed(action, args.rounds)
                worst = max(worst, seconds)
                print(f"{name:<36} {seconds * 1000:8.1f} ms   ratio to baseline {seconds / base:5.2f}")
            sample = await send("command", "results")
            print("\n" + sample.split("\n\n")[1])
            await staff_store.add(app.db, str(SCOPED), communes=frozenset({app.content.units.communes[0].name}),
                                  sensitive=False, province=False, by="bench", at="2026-03-01T00:00:00Z")
            who = SCOPED
            print(f"\nscoped: commune staff of 1 commune of {COMMUNES}")
            for name, action in checks:
                seconds = await timed(action, args.rounds)
                worst = max(worst, seconds)
                print(f"{name:<36} {seconds * 1000:8.1f} ms   ratio to baseline {seconds / base:5.2f}")
            print(f"\nslowest {worst * 1000:.0f} ms — target < 1000 ms: {'OK' if worst < 1 else 'TOO SLOW'}")
        finally:
            await app.close()


async def _per_commune(send: Callable[[str, str], Awaitable[str]]) -> str:
    await send("command", "results")  # shows the rs:c button
    return await send("choice", "rs:c")


if __name__ == "__main__":
    asyncio.run(main())
