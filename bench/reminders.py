"""Benchmark the reminder job: 100,000 leaders invited to 200 classes (500 each), generated
straight into SQLite.

Times one run of the real periodic job (handlers.classes.send_due_reminders) when nothing is
due and when 10,000 reminders fall due (20 classes x 500 people), and prints each against a
baseline measured in the same run on the same database: a bare indexed SELECT for the idle
run, a bare executemany of 10,000 rows for the due run. Targets: idle < 50 ms, 10,000 < 2 s.
Also the idle run of the other class job (invite people who registered late).

    .venv/bin/python bench/reminders.py [--leaders 100000] [--classes 200] [--due 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import FakeClock, iso
from bot.config import Config
from bot.content import load_content
from bot.context import Services
from bot.store.db import Database
from handlers.classes import invite_latecomers, send_due_reminders

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def populate(db: Database, leaders: int, n_classes: int, due: int) -> None:
    """Leaders, classes and invitations; the first `due` classes start in exactly one day."""
    created = iso(NOW - timedelta(days=10))
    async with db.write() as conn:
        await conn.executemany(
            "INSERT INTO people (id, name, role, commune, hamlet, registered_at, last_channel, created_at)"
            " VALUES (?, ?, 'truong_thon', 'Xã Hương Khê', ?, ?, 'tg', ?)",
            ((i, f"Người {i}", f"Thôn {i % 40}", created, created) for i in range(1, leaders + 1)))
        classes = []
        for c in range(1, n_classes + 1):
            # due classes: the 1-day reminder is due now; the others start weeks later
            start = NOW + timedelta(days=1) if c <= due else NOW + timedelta(days=3 + c % 60, hours=c % 10)
            next_due = start - timedelta(days=1)
            classes.append((c, f"Lớp {c}", "Hội trường UBND xã", iso(start), created, iso(next_due), created, created))
        await conn.executemany(
            "INSERT INTO classes (id, title, place, starts_at, reminders_from, next_reminder_at, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", classes)
        per_class = leaders // n_classes
        await conn.executemany(
            "INSERT INTO class_invitees (class_id, person_id, invited_at) VALUES (?, ?, ?)",
            (((p - 1) // per_class + 1, p, created) for p in range(1, per_class * n_classes + 1)))
    await db.execute("ANALYZE")


async def timed(coro_factory: Callable[[], Awaitable[object]], repeat: int = 1) -> float:
    """Median seconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await coro_factory()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def main(leaders: int, n_classes: int, due: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database(Path(tmp) / "bench.sqlite3").open()
        try:
            t0 = time.perf_counter()
            await populate(db, leaders, n_classes, due)
            print(f"generated {leaders:,} leaders, {n_classes} classes, "
                  f"{await db.fetchval('SELECT count(*) FROM class_invitees'):,} invitations "
                  f"in {time.perf_counter() - t0:.1f} s")
            clock = FakeClock(NOW - timedelta(hours=1))  # nothing due yet
            services = Services(db=db, content=load_content(), config=Config(db_path=Path(tmp) / "bench.sqlite3"),
                                clock=clock)

            bare_select = await timed(lambda: db.fetchone("SELECT id FROM classes WHERE id = ?", (7,)), 50)
            idle = await timed(lambda: send_due_reminders(services), 50)
            latecomers = await timed(lambda: invite_latecomers(services), 20)
            queued_before = await db.fetchval("SELECT count(*) FROM deliveries")
            assert queued_before == 0, "the idle run queued something"

            await db.execute("CREATE TABLE bench_rows (a INTEGER, b TEXT, c TEXT)")
            payload = '{"text": "' + "x" * 400 + '"}'
            bare_insert = await timed(lambda: db.executemany(
                "INSERT INTO bench_rows VALUES (?, ?, ?)", ((i, "reminder:1:86400:1", payload) for i in range(10_000))))

            clock.current = NOW
            due_run = await timed(lambda: send_due_reminders(services))
            queued = await db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'reminder'")
            rerun = await timed(lambda: send_due_reminders(services))
            queued_after = await db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'reminder'")
        finally:
            await db.close()

    print(f"idle run (nothing due):     {idle * 1000:8.2f} ms   bare indexed SELECT {bare_select * 1000:.3f} ms"
          f"   ratio {idle / bare_select:6.1f}x   target < 50 ms: {'OK' if idle < 0.05 else 'MISSED'}")
    print(f"latecomer job (no one new): {latecomers * 1000:8.2f} ms   ratio {latecomers / bare_select:6.1f}x")
    print(f"due run ({queued:,} queued):  {due_run * 1000:8.1f} ms   bare executemany of 10,000 rows "
          f"{bare_insert * 1000:.1f} ms   ratio {due_run / bare_insert:5.1f}x   target < 2 s: "
          f"{'OK' if due_run < 2 else 'MISSED'}")
    print(f"second run at the same time: {rerun * 1000:8.2f} ms, reminders queued {queued_after:,} (no duplicates)")
    ok = idle < 0.05 and latecomers < 0.05 and due_run < 2 and queued == queued_after == due * (leaders // n_classes)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--due", type=int, default=20)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.leaders, args.classes, args.due)))
