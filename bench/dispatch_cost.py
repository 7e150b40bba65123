"""The bot's own cost per update without any channel: the burst of bench/throughput.py (200 onboarded
leaders; /menu, /topics, a topic button, a section button, /help, in turn) fed straight to the real
dispatcher, in this process, on a temporary SQLite file.

    .venv/bin/python bench/dispatch_cost.py [--leaders 200 --updates 2000 --rounds 5]

Printed per round: CPU per update (this process, all threads: time.process_time) and trips to
aiosqlite's threads per update (every call queued on a connection's thread); medians at the end.
Python-telegram-bot, HTTP and the fake server are left out, so this is the part of the burst's
cost that the bot's own code decides (bench/throughput.py measures the whole).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402

from bench.throughput import seed_leaders  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.model import Event, Identity  # noqa: E402

FIRST_CHAT = 10_000_000
_trips = 0
_execute = aiosqlite.Connection._execute


async def _counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
    global _trips
    _trips += 1
    return await _execute(self, fn, *args, **kwargs)


def events(app_topics: list[Any], leaders: int, updates: int) -> list[Event]:
    """The same updates, in the same order, as bench/throughput.py's burst."""
    out = []
    for n in range(updates):
        turn, leader = divmod(n, leaders)
        who = Identity("tg", str(FIRST_CHAT + leader))
        topic = app_topics[(leader + turn // 5) % len(app_topics)]
        kind = turn % 5
        if kind == 0:
            out.append(Event(who, "command", "menu", display_name="x"))
        elif kind == 1:
            out.append(Event(who, "command", "topics", display_name="x"))
        elif kind == 2:
            out.append(Event(who, "choice", f"tp:{topic.id}", display_name="x"))
        elif kind == 3:
            section = turn // 5 % len(topic.sections) + 1
            out.append(Event(who, "choice", f"tp:{topic.id}:{section}", display_name="x"))
        else:
            out.append(Event(who, "command", "help", display_name="x"))
    return out


async def one_round(leaders: int, updates: int) -> tuple[float, float]:
    """(CPU seconds per update, trips per update) for one fresh database."""
    global _trips
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        await seed_leaders(db_path, leaders, FIRST_CHAT)
        config = replace(load_config(env={"CAUNOI_DB": str(db_path)}, dotenv=Path(tmp) / "none.env"), db_path=db_path)
        app = await open_app(config)
        try:
            burst = events(list(app.content.topics), leaders, updates)
            _trips = 0
            started = time.process_time()
            # As the channel does: many updates at once, each person's in order (the dispatcher's lock).
            await asyncio.gather(*(app.dispatch(event) for event in burst))
            cpu = time.process_time() - started
            trips = _trips
        finally:
            await app.close()
    return cpu / updates, trips / updates


async def main(args: argparse.Namespace) -> None:
    aiosqlite.Connection._execute = _counted  # type: ignore[method-assign]
    print(f"dispatcher alone: {args.leaders} leaders, {args.updates} updates, code from {ROOT}")
    results = []
    for round_no in range(args.rounds):
        cpu, trips = await one_round(args.leaders, args.updates)
        results.append((cpu, trips))
        print(f"  round {round_no + 1}: {cpu * 1000:.3f} ms CPU/update, {trips:.2f} trips to aiosqlite's thread/update")
    print(f"  median: {statistics.median(c for c, _ in results) * 1000:.3f} ms CPU/update, "
          f"{statistics.median(t for _, t in results):.2f} trips/update")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaders", type=int, default=200)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
