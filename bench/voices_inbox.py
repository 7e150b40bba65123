"""Staff inbox on a large store: /inbox and its filters against /admin (a menu, no query) as baseline.

Run: .venv/bin/python bench/voices_inbox.py [--people 5000] [--items 50000] [--rounds 200]

A temporary SQLite file gets every migration, N leaders spread over 70 communes and M feedback
items (a third answered). Through the real dispatcher, the same staff identity then runs
`/admin` (baseline: a menu built, state stored, no voices query), `/inbox`, a filtered page
(commune + status), an item opened, and the flood limiter's check on its own. Printed: the
mean milliseconds of each and its ratio to the baseline measured in the same run. The same
screens are then timed for commune staff who cover 1 of the 70 communes (the scoped run).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.clock import FakeClock, iso  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.model import Event, Identity  # noqa: E402
from bot.ratelimit import RateLimiter  # noqa: E402
from bot.store import staff as staff_store  # noqa: E402

COMMUNES = ["Xã Hương Khê", "Xã Hà Linh", "Xã Hương Bình", "Xã Hương Phố", "Xã Hương Xuân", "Xã Phúc Trạch",
            "Xã Hương Đô", *(f"Xã Thử {n}" for n in range(8, 71))]
KINDS = ["kho_khan", "tam_tu", "gop_y", "nguyen_vong"]
STAFF = Identity("tg", "9000")
SCOPED = Identity("tg", "7001")  # commune staff: one commune of 70


async def fill(db: object, people: int, items: int, clock: FakeClock) -> None:
    """Leaders and items written straight into the tables (setup only)."""
    rng = random.Random(7)
    start = clock.now().timestamp() - items * 60
    async with db.write() as conn:  # type: ignore[attr-defined]
        await conn.executemany(
            "INSERT INTO people (id, name, role, commune, hamlet, registered_at, created_at, last_channel)"
            " VALUES (?, ?, 'truong_thon', ?, ?, ?, ?, 'tg')",
            [(i, f"Người {i}", COMMUNES[i % len(COMMUNES)], f"Thôn {i % 12 + 1}", iso(clock.now()), iso(clock.now()))
             for i in range(1, people + 1)])
        rows = []
        for n in range(1, items + 1):
            stamp = iso(clock.now().fromtimestamp(start + n * 60, clock.now().tzinfo))
            status = rng.choice(["new", "new", "in_progress", "answered", "done"])
            rows.append((n, rng.randint(1, people), rng.choice(KINDS), f"Nội dung góp ý số {n} " * 5, status,
                         stamp, stamp))
        await conn.executemany(
            "INSERT INTO voices (id, person_id, kind, body, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        await conn.executemany(
            "INSERT INTO voice_entries (voice_id, kind, body, created_at) VALUES (?, 'answer', 'Đã trả lời', ?)",
            [(r[0], r[5]) for r in rows if r[4] == "answered"])


async def timed(app: object, event: Event, rounds: int) -> float:
    """Mean milliseconds of one dispatch of `event` (after one warm-up)."""
    await app.dispatch(event)  # type: ignore[attr-defined]
    began = time.perf_counter()
    for _ in range(rounds):
        await app.dispatch(event)  # type: ignore[attr-defined]
    return (time.perf_counter() - began) * 1000 / rounds


async def alternate(app: object, events: list[Event], rounds: int) -> float:
    """Mean milliseconds per dispatch of `events` pressed in turn, `rounds` times each."""
    began = time.perf_counter()
    for _ in range(rounds):
        for event in events:
            replies = await app.dispatch(event)  # type: ignore[attr-defined]
            assert "đã cũ" not in replies[0].text, replies[0].text  # a stale button would time the wrong path
    return (time.perf_counter() - began) * 1000 / (rounds * len(events))


async def scoped_run(app: object, rounds: int) -> dict[str, float]:
    """The same screens for commune staff of one commune: the filter is in the queries."""
    db = app.db  # type: ignore[attr-defined]
    await staff_store.add(db, str(SCOPED), communes=frozenset({COMMUNES[0]}), sensitive=False, province=False,
                          by="bench", at="2026-01-01T00:00:00Z")
    results = {"scoped: /inbox": await timed(app, Event(SCOPED, "command", "inbox"), rounds)}
    await app.dispatch(Event(SCOPED, "command", "inbox"))  # type: ignore[attr-defined]
    await app.dispatch(Event(SCOPED, "choice", "ib:fs:a.a.a.0"))  # type: ignore[attr-defined]
    await app.dispatch(Event(SCOPED, "choice", "ib:l:a.a.0.0"))  # type: ignore[attr-defined]
    results["scoped: status pages"] = await alternate(
        app, [Event(SCOPED, "choice", "ib:l:a.a.0.1"), Event(SCOPED, "choice", "ib:l:a.a.0.0")], rounds)
    newest = int(await db.fetchval(
        "SELECT max(v.id) FROM voices v JOIN people p ON p.id = v.person_id WHERE p.commune = ?", (COMMUNES[0],)))
    await app.dispatch(Event(SCOPED, "command", "inbox"))  # type: ignore[attr-defined]
    results["scoped: open an item / back"] = await alternate(
        app, [Event(SCOPED, "choice", f"ib:o:{newest}:a.a.a.0"), Event(SCOPED, "choice", "ib:l:a.a.a.0")], rounds)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--items", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        config = replace(load_config(env={"CAUNOI_ADMINS": "tg:9000"}, dotenv=Path(folder) / "none.env"),
                         db_path=path)
        clock = FakeClock()
        app = await open_app(config, clock=clock)
        try:
            began = time.perf_counter()
            await fill(app.db, args.people, args.items, clock)
            print(f"setup: {args.people} people, {args.items} items in {time.perf_counter() - began:.1f} s")
            # The staff identity's last shown options must contain the pressed payloads.
            await app.dispatch(Event(STAFF, "command", "inbox"))
            rows = {
                "/admin (baseline)": Event(STAFF, "command", "admin"),
                "/inbox": Event(STAFF, "command", "inbox"),
            }
            results = {name: await timed(app, event, args.rounds) for name, event in rows.items()}
            # Buttons must be among those last shown, so pages and items are timed going back and forth.
            await app.dispatch(Event(STAFF, "command", "inbox"))
            await app.dispatch(Event(STAFF, "choice", "ib:fs:a.a.a.0"))
            await app.dispatch(Event(STAFF, "choice", "ib:l:a.a.0.0"))  # status new
            await app.dispatch(Event(STAFF, "choice", "ib:fc:a.a.0.0"))
            await app.dispatch(Event(STAFF, "choice", "ib:l:a.3.0.0"))  # and the 4th commune
            results["filtered pages (commune+status)"] = await alternate(
                app, [Event(STAFF, "choice", "ib:l:a.3.0.1"), Event(STAFF, "choice", "ib:l:a.3.0.0")], args.rounds)
            await app.dispatch(Event(STAFF, "command", "inbox"))
            newest = args.items
            results["open an item / back to list"] = await alternate(
                app, [Event(STAFF, "choice", f"ib:o:{newest}:a.a.a.0"), Event(STAFF, "choice", "ib:l:a.a.a.0")],
                args.rounds)
            results.update(await scoped_run(app, args.rounds))
        finally:
            await app.close()
    limiter = RateLimiter(FakeClock())
    who = [Identity("tg", str(n)) for n in range(1000)]
    began = time.perf_counter()
    for n in range(100_000):
        limiter.check(who[n % 1000])
    results["flood limiter check alone"] = (time.perf_counter() - began) * 1000 / 100_000
    base = results["/admin (baseline)"]
    width = max(len(name) for name in results)
    for name, ms in results.items():
        print(f"{name:<{width}}  {ms:8.3f} ms   ratio to baseline {ms / base:6.2f}")


if __name__ == "__main__":
    asyncio.run(main())
