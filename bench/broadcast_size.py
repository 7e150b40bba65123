"""Broadcast storage benchmark: bytes the database grows by, per recipient, when one 3,000-character
broadcast is queued for N leaders (issue 20 item 11).

    .venv/bin/python bench/broadcast_size.py [--leaders 10000]

Two fresh databases with the same N registered leaders: in one the broadcast is queued exactly as
/broadcast queues it (the body stored once, each delivery refers to it); in the other, the baseline,
the same message is queued the old way, one full copy of the payload per delivery. Printed: bytes
per recipient of each (logical size: used pages, WAL included) and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import iso  # noqa: E402
from bot.model import Option, Reply  # noqa: E402
from bot.store import broadcasts, deliveries  # noqa: E402
from bot.store.db import Database  # noqa: E402

BODY = ("Kính gửi các đồng chí trưởng thôn, tổ trưởng tổ dân phố, trưởng chi đoàn, chi hội trưởng. " * 40)[:3000]
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def used_bytes(db: Database) -> int:
    pages, free, size = [int(await db.fetchval(f"PRAGMA {p}")) for p in ("page_count", "freelist_count", "page_size")]
    return (pages - free) * size


async def fresh(path: Path, leaders: int) -> tuple[Database, int]:
    db = await Database(path).open()
    stamp = iso(NOW)
    async with db.write() as conn:
        await conn.executemany(
            "INSERT INTO people (name, commune, role, registered_at, created_at, last_channel)"
            " VALUES (?, ?, ?, ?, ?, 'tg')",
            [(f"Người {n}", "Xã Hương Khê", "truong_thon", stamp, stamp) for n in range(leaders)])
        await conn.executemany("INSERT INTO identities (channel, address, person_id, last_seen) VALUES ('tg', ?, ?, ?)",
                               [(str(1000 + n), n + 1, stamp) for n in range(leaders)])
    return db, 1


async def measure(folder: Path, leaders: int, shared: bool) -> float:
    db, staff_id = await fresh(folder / ("shared.sqlite3" if shared else "copies.sqlite3"), leaders)
    try:
        before = await used_bytes(db)
        if shared:
            def message(broadcast_id: int) -> Reply:
                return Reply(BODY, [Option("Đã nhận ✅", f"ack:{broadcast_id}")])

            _, queued = await broadcasts.create(db, staff_id, BODY, {"kind": "all"}, NOW, NOW, message,
                                                lambda i, n: Reply(f"#{i}: 0/{n}"))
        else:
            ids = [r[0] for r in await db.fetchall("SELECT id FROM people ORDER BY id")]
            queued = await deliveries.enqueue(db, "broadcast", "1", ids, Reply(BODY, [Option("Đã nhận ✅", "ack:1")]),
                                              now=NOW)
        return (await used_bytes(db) - before) / queued
    finally:
        await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shared = await measure(Path(tmp), args.leaders, shared=True)
        copies = await measure(Path(tmp), args.leaders, shared=False)
    print(f"broadcast of {len(BODY)} characters to {args.leaders} leaders: {shared:.0f} bytes per recipient "
          f"(body stored once) vs {copies:.0f} (a copy per delivery, baseline): {copies / shared:.1f}x smaller")


if __name__ == "__main__":
    asyncio.run(main())
