"""What `PRAGMA synchronous=FULL` costs the outbox's state changes, against NORMAL in the same run.

    python bench/durability.py [--messages 600 --rate 30 --rounds 3 --delay 0.05]

With WAL and synchronous=NORMAL a commit is durable only at the next checkpoint: a power cut can
undo the last commits, so a message recorded as sent may go back to `sending` → `unknown` (staff
are asked) or, for a claim, to pending and be sent again. FULL fsyncs the WAL at every commit.

Per round and mode, the real Outbox (bot/outbox.py, its GroupWriter and the store's claim/result
writes) sends MESSAGES queued deliveries through an in-process fake channel whose deliver() takes
DELAY seconds (a network round trip), paced at RATE messages/s, on a fresh SQLite file in the
working directory's file system (not /tmp, which may be memory). Printed: messages/s achieved,
commit latency (p50, p99, max) of the outbox's write transactions, CPU seconds of this process,
and an unpaced run (rate 0) for the capacity left. Ratios are FULL / NORMAL of the same round.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.clock import iso  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.outbox import ChannelSettings, Outbox  # noqa: E402
from tests.test_outbox_fakes import FakeChannel  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_run(folder: Path, mode: str, messages: int, rate: float, delay: float) -> dict[str, float]:
    """Send `messages` deliveries through the outbox with the writer at synchronous=`mode`."""
    path = folder / f"bench-{mode}-{rate:g}-{time.monotonic_ns()}.sqlite3"
    config = replace(load_config(env={}, dotenv=folder / "none.env"), db_path=path, backup_dir=None)
    app = await open_app(config)
    try:
        now = iso(app.clock.now())
        async with app.db.write() as conn:
            await conn.executemany("INSERT INTO people (id, name, registered_at, created_at) VALUES (?, ?, ?, ?)",
                                   [(i, f"L{i}", now, now) for i in range(1, messages + 1)])
            await conn.executemany("INSERT INTO identities (channel, address, person_id, last_seen) VALUES"
                                   " ('tg', ?, ?, ?)", [(str(i), i, now) for i in range(1, messages + 1)])
            payload = '{"text": "Thông báo thử"}'  # the shape of Reply.to_dict()
            await conn.executemany(
                "INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before, created_at)"
                " VALUES ('broadcast', '1', ?, 'tg', ?, ?, ?)",
                [(i, payload, now, now) for i in range(1, messages + 1)])
        latencies: list[float] = []
        original = app.db.write

        @contextlib.asynccontextmanager
        async def timed(durable: bool = False) -> AsyncIterator[Any]:
            async with original(durable) as conn:
                yield conn
                started = time.perf_counter()  # what follows the body is the COMMIT (and its fsync)
            latencies.append(time.perf_counter() - started)

        app.db.write = timed  # type: ignore[method-assign]
        channel = FakeChannel("tg", delay=delay)
        outbox = Outbox(app.services, {"tg": channel},
                        {"tg": ChannelSettings(rate=rate, per_chat=0, concurrency=16, idle_poll=0.05)})
        cpu, started = _cpu(), time.perf_counter()
        outbox.writer.durable = mode == "FULL"  # as shipped: FULL; NORMAL is the baseline
        await outbox.start()
        await channel.wait_sent(messages, within=messages / (rate or 1000) + 120)
        await outbox.writer.idle()
        elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
        await outbox.stop()
    finally:
        await app.close()
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    ordered = sorted(latencies)
    return {"rate": messages / elapsed, "p50": statistics.median(ordered) * 1000,
            "p99": ordered[int(0.99 * (len(ordered) - 1))] * 1000, "max": ordered[-1] * 1000, "cpu": cpu,
            "commits": len(ordered)}


def show(mode: str, rate: float, figures: dict[str, float]) -> None:
    """One line of figures."""
    print(f"  {mode:6} rate {rate:>4g}: {figures['rate']:7.1f} msg/s, {figures['commits']:5.0f} commits, "
          f"commit p50 {figures['p50']:6.2f} ms, p99 {figures['p99']:6.2f} ms, max {figures['max']:7.2f} ms, "
          f"CPU {figures['cpu']:.2f} s")


async def main() -> None:
    """Alternate NORMAL and FULL each round; print figures and FULL/NORMAL ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    ratios: dict[str, list[float]] = {"p50": [], "p99": [], "cpu": [], "capacity": []}
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix=".bench-durability-") as raw:
        folder = Path(raw)
        for number in range(1, args.rounds + 1):
            print(f"round {number}")
            paced = {}
            capacity = {}
            for mode in ("NORMAL", "FULL"):
                paced[mode] = await one_run(folder, mode, args.messages, args.rate, args.delay)
                show(mode, args.rate, paced[mode])
                capacity[mode] = await one_run(folder, mode, args.messages, 0, args.delay)
                show(mode, 0, capacity[mode])
            ratios["p50"].append(paced["FULL"]["p50"] / paced["NORMAL"]["p50"])
            ratios["p99"].append(paced["FULL"]["p99"] / paced["NORMAL"]["p99"])
            ratios["cpu"].append(paced["FULL"]["cpu"] / paced["NORMAL"]["cpu"])
            ratios["capacity"].append(capacity["FULL"]["rate"] / capacity["NORMAL"]["rate"])
    print("medians FULL/NORMAL: " + ", ".join(f"{name} {statistics.median(values):.2f}×"
                                              for name, values in ratios.items()))


if __name__ == "__main__":
    asyncio.run(main())
