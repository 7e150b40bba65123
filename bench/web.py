"""How fast the staff web dashboard renders its heavy pages on a big database.

    python bench/web.py [--leaders 100000 --voices 20000 --attempts 40000 --rounds 30]

Fills a temporary SQLite file (real migrations) with registered leaders in the shipped communes,
feedback items, topics read and finished quiz attempts, starts the real dashboard (aiohttp,
Jinja2) on loopback, logs in with one-time links as a province admin and as commune staff of one
commune, then times full HTTP requests for each page against the same store queries run bare in
the same process: p50 and p95 of each, and the page/bare ratio. Targets (issue 21): leaders
search < 200 ms, results < 500 ms, overview < 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from bot.clock import iso  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.model import Identity  # noqa: E402
from bot.store import leaders, learning, reports, voices  # noqa: E402
from bot.store import staff as stored  # noqa: E402
from bot.store import web as web_store  # noqa: E402
from bot.web.server import WebServer  # noqa: E402
from bot.web.settings import WebSettings  # noqa: E402

STAFF = Identity("tg", "9000")
COMMUNE_STAFF = Identity("tg", "7001")
Case = tuple[str, "Callable[[], Awaitable[Any]]", "Callable[[], Awaitable[Any]]", float]
BATCH = 50_000


async def generate(app: App, count: int, items: int, attempts: int) -> None:
    """Registered leaders spread over the communes; feedback items from some of them; topics read
    and finished quizzes of 5 questions."""
    communes = [c.name for c in app.content.units.communes]
    now = "2026-11-01T00:00:00.000000Z"
    rows = [(i + 1, f"Nguyễn Văn {i}", "truong_thon", communes[i % len(communes)], f"Thôn {(i // 7) % 20 + 1}",
             f"09{i:08d}", now, now) for i in range(count)]
    async with app.db.write() as conn:
        for start in range(0, len(rows), BATCH):
            await conn.executemany(
                "INSERT INTO people (id, name, role, commune, hamlet, phone, registered_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows[start:start + BATCH])
        await conn.executemany(
            "INSERT INTO voices (person_id, kind, body, media, created_at, updated_at) VALUES (?, ?, ?, '[]', ?, ?)",
            [((i * 37) % count + 1, voices.KINDS[i % 4], f"Góp ý số {i}", now, now) for i in range(items)])
        topics = [t.id for t in app.content.topics]
        await conn.executemany("INSERT INTO topic_done (person_id, topic, done_at) VALUES (?, ?, ?)",
                               [(pid, topic, now) for pid in range(1, count + 1, 2) for topic in topics[:2]])
        banks = {quiz: [q.id for q in bank] for quiz, bank in app.content.quizzes.items()}
        quizzes = list(banks)
        attempt_rows, answer_rows = [], []
        for number in range(1, attempts + 1):
            person, quiz = (number * 7919) % count + 1, quizzes[number % len(quizzes)]
            score = 0
            for position, qid in enumerate(banks[quiz][:5]):
                correct = (number + position) % 4 != 0
                score += correct
                answer_rows.append((number, position, person, quiz, qid, 0 if correct else 1, int(correct), now))
            attempt_rows.append((number, person, quiz, "[]", 5, score, 5, "done", now, now))
        await conn.executemany(
            "INSERT INTO quiz_attempts (id, person_id, quiz, questions, position, score, total, status, started_at,"
            " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", attempt_rows)
        await conn.executemany(
            "INSERT INTO quiz_answers (attempt_id, position, person_id, quiz, question, chosen, correct, answered_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", answer_rows)


async def timed(rounds: int, page: Callable[[], Awaitable[Any]],
                bare: Callable[[], Awaitable[Any]]) -> tuple[list[float], list[float]]:
    """Milliseconds of each call of the page and of the bare queries, alternated so that the load
    of this shared machine weighs on both alike (after one warm-up call of each when rounds > 1)."""
    if rounds > 1:
        await page()
        await bare()
    found: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for call, into in ((page, found[0]), (bare, found[1])):
            start = time.perf_counter()
            await call()
            into.append((time.perf_counter() - start) * 1000)
    return found


def p95(values: list[float]) -> float:
    """The 95th percentile (the maximum of fewer than 2 values)."""
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else max(values)


def line(name: str, page: list[float], bare: list[float], target: float) -> str:
    p50, page95 = statistics.median(page), p95(page)
    b50, b95 = statistics.median(bare), p95(bare)
    verdict = "ok" if page95 < target else "OVER"
    return (f"{name:<16} page p50 {p50:7.1f} ms  p95 {page95:7.1f} ms | bare p50 {b50:7.1f} ms  p95 {b95:7.1f} ms"
            f" | ratio {p50 / b50 if b50 else float('inf'):5.1f}x | target {target:.0f} ms: {verdict}")


async def login(app: App, client: httpx.AsyncClient, identity: Identity) -> None:
    """Use a one-time link; the client keeps the session cookie."""
    token = await web_store.create_link(app.db, str(identity), app.clock.now())
    assert (await client.post(f"/login/{token}")).status_code == 303


def cases(app: App, get: Callable[[str], Awaitable[None]], scope: frozenset[str] | None) -> list[Case]:
    """Each page with the store queries it runs, bare."""
    db, mark, now = app.db, app.config.pass_mark, iso(app.clock.now())

    async def results_bare() -> None:
        await learning.quiz_stats(db, mark, top=5, scope=scope)
        await learning.commune_stats(db, mark, scope=scope)

    return [
        ("overview", lambda: get("/"), lambda: reports.stats(db, now, mark, scope=scope), 500),
        ("leaders search", lambda: get("/leaders?name=nguyen+van+12"),
         lambda: leaders.search(db, scope, name="nguyen van 12", limit=51), 200),
        ("results", lambda: get("/results"), results_bare, 500),
        ("inbox", lambda: get("/inbox"),
         lambda: voices.inbox(db, kind=None, commune=None, status=None, limit=25, scope=scope), 500),
    ]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = replace(load_config(env={"CAUNOI_ADMINS": "tg:9000"}, dotenv=Path(folder) / "none.env"),
                         db_path=Path(folder) / "bench.sqlite3")
        app = await open_app(config)
        try:
            started = time.perf_counter()
            await generate(app, args.leaders, args.voices, args.attempts)
            print(f"generated {args.leaders:,} leaders, {args.voices:,} items, {args.attempts:,} quiz attempts"
                  f" in {time.perf_counter() - started:.1f} s")
            commune = frozenset({app.content.units.communes[0].name})
            await stored.add(app.db, str(COMMUNE_STAFF), communes=commune, sensitive=False, province=False,
                             by="bench", at=iso(app.clock.now()))
            server = WebServer(app.services, WebSettings("127.0.0.1", 0, "http://127.0.0.1", timedelta(minutes=30)))
            await server.start()
            for label, identity, scope, rounds in (
                    ("province admin", STAFF, None, args.rounds),
                    (f"commune staff (1 of {len(app.content.units.communes)})", COMMUNE_STAFF, commune,
                     args.scoped_rounds)):
                print(f"-- {label}")
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=900) as client:
                    await login(app, client, identity)

                    async def get(path: str, client: httpx.AsyncClient = client) -> None:
                        response = await client.get(path)
                        assert response.status_code == 200, (path, response.status_code)

                    for name, page, bare, target in cases(app, get, scope):
                        print(line(name, *await timed(rounds, page, bare), target), flush=True)
            await server.stop()
        finally:
            await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--voices", type=int, default=20_000)
    parser.add_argument("--attempts", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--scoped-rounds", type=int, default=30, help="rounds of the commune staff's run")
    asyncio.run(main(parser.parse_args()))
