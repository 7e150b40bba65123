"""Broadcast benchmark: `caunoi run` delivers one broadcast to N leaders through the fake Bot API
with flood control on (429 beyond 30/s overall or 1/s per chat, or 1000/s for paid broadcasts).

    .venv/bin/python bench/broadcast.py [--leaders 1000] [--rate 30] [--paid-rate 1000]
        [--only live|plain|kill|paid|loaded] [--repeat N] [--hog]

Four runs by default (and `loaded` on request), each on a fresh database (N registered
leaders, one staff member, the broadcast queued exactly as /broadcast queues it) and a fresh
fake server in this process:
- live:  start-up included: the bot is already running; staff compose the broadcast through it
         (/broadcast, the text, "all") and press Gửi; elapsed counts from that press.
- plain: the bot runs until every delivery is settled.
- kill:  `kill -9` of the bot when half the leaders have their message, then a restart.
- paid:  CAUNOI_PAID_BROADCAST=1 against a 1000/s paid limit.
- loaded: as live, while recipients press "Đã nhận ✅" soon after their copy arrives and other
         leaders use the bot (/menu, /topics, topic buttons) during the send (bench/broadcast_loaded.py);
         prints 429s by kind, unanswered updates and the acks recorded, and a summary over the runs.
         The figure: `--only loaded --repeat 10 --leaders 300` (`--hog`: one busy-loop process beside;
         `--busy-ack`: the busy leaders press "Đã nhận" too).
`--repeat N` runs each chosen run N times.
Printed per run: elapsed from the first to the last accepted broadcast message (bot start-up
and, for kill, the time the bot was down are not counted), the floor (N-1)/rate — the least
time the limit allows — their ratio (efficiency, target ≥ 0.95), 429s received, and the counts
from the fake server's record: lost (a leader with no message) and duplicated (extra copies);
targets 0 and 0 (kill: at most the one message in flight may be lost or doubled). A row left
`sending` by the kill is marked `unknown` on restart and never resent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.broadcast_loaded import Loaded, run_loaded, start_hog, summary  # noqa: E402
from tests.broadcast_bot import (  # noqa: E402
    FIRST_CHAT,
    MESSAGE,
    prepare,
    received,
    staff_sends,
    start_bot,
    statuses,
    stop_bot,
    unsettled,
    until,
)
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.proclog import log_tail, spawn_logged  # noqa: E402


@dataclass
class Result:
    """One run's figures."""

    name: str
    leaders: int
    rate: float
    elapsed: float
    down: float
    flood_429s: int
    lost: int
    duplicated: int
    statuses: dict[str, int]

    @property
    def floor(self) -> float:
        return (self.leaders - 1) / self.rate

    @property
    def efficiency(self) -> float:
        return self.floor / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        return (f"{self.name:6} N={self.leaders:<5} limit={self.rate:g}/s  elapsed={self.elapsed:7.2f}s"
                f"  floor={self.floor:7.2f}s  efficiency={self.efficiency:5.3f}  429s={self.flood_429s:<3}"
                f" lost={self.lost} duplicated={self.duplicated}  down={self.down:4.1f}s  statuses={self.statuses}")


async def run(name: str, leaders: int, rate: float, paid_rate: float, kill_at: float | None = None,
              within: float = 600.0) -> Result:
    """One run on a fresh database and fake server; `kill_at` = fraction received before kill -9."""
    paid = name == "paid"
    limit = paid_rate if paid else rate
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as folder:
        db_path = Path(folder) / "bench.sqlite3"
        await prepare(db_path, leaders)
        async with FakeTelegram(flood_control=True, overall_rate=int(rate), paid_rate=int(paid_rate)) as tg:
            process = await start_bot(db_path, tg, rate, paid)
            down = 0.0
            try:
                if kill_at is not None:
                    await until(lambda: len(received(tg)) >= leaders * kill_at, within, "half of the messages")
                    process.kill()  # SIGKILL: no clean-up at all
                    await process.wait()
                    killed = time.monotonic()
                    process = await start_bot(db_path, tg, rate, paid)
                    count = len(received(tg))
                    await until(lambda: len(received(tg)) > count, within, "the first message after restart")
                    down = time.monotonic() - killed
                await until(lambda: unsettled(db_path) == 0, within, "every delivery settled")
            finally:
                log = await stop_bot(process, Path(folder) / "bot.log")
            got = received(tg)
            per_chat = Counter(chat for chat, _ in got)
            expected = {FIRST_CHAT + i for i in range(leaders)}
            elapsed = (got[-1][1] - got[0][1]) - down if got else 0.0
            result = Result(name, leaders, limit, elapsed, down, tg.flood_429s,
                            lost=len(expected - set(per_chat)),
                            duplicated=sum(n - 1 for n in per_chat.values() if n > 1),
                            statuses=statuses(db_path))
            if tg.flood_429s:
                refused = Counter(int(c.params.get("chat_id", 0)) for c in tg.calls if c.status == 429)
                print(f"  429s by chat: {dict(refused.most_common(5))}", file=sys.stderr)
            if "Traceback" in log:
                print(log[-3000:], file=sys.stderr)
            return result


async def run_live(leaders: int, rate: float, within: float = 600.0) -> Result:
    """Start-up included: the bot is running when staff press Gửi; elapsed runs from the press to the
    last broadcast message (the staff's own answer shares the 30/s budget)."""
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as folder:
        db_path = Path(folder) / "bench.sqlite3"
        await prepare(db_path, leaders, queue=False)
        async with FakeTelegram(flood_control=True, overall_rate=int(rate)) as tg:
            process = await start_bot(db_path, tg, rate, False)
            try:
                await tg.wait_for("getUpdates", within=60, since=0)
                pressed = await staff_sends(tg)
                await until(lambda: len(received(tg)) >= leaders, within, "every leader's message")
                await until(lambda: unsettled(db_path) == 0, within, "every delivery settled")
            finally:
                await stop_bot(process, Path(folder) / "bot.log")
            got = received(tg)
            per_chat = Counter(chat for chat, _ in got)
            expected = {FIRST_CHAT + i for i in range(leaders)}
            return Result("live", leaders, rate, got[-1][1] - pressed if got else 0.0, 0.0, tg.flood_429s,
                          lost=len(expected - set(per_chat)),
                          duplicated=sum(n - 1 for n in per_chat.values() if n > 1), statuses=statuses(db_path))


async def bare_sender(url: str, token: str, leaders: int, concurrency: int) -> None:
    """The baseline for paid mode (run in its own process): a bare python-telegram-bot Bot sending
    the N paid messages as fast as it can, `concurrency` at a time, no database, no pacing."""
    from telegram import Bot
    from telegram.error import RetryAfter
    from telegram.request import HTTPXRequest

    bot = Bot(token, base_url=f"{url}/bot", request=HTTPXRequest(connection_pool_size=concurrency,
                                                                 pool_timeout=30.0))
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            while True:
                try:
                    await bot.send_message(FIRST_CHAT + i, MESSAGE, allow_paid_broadcast=True)
                    return
                except RetryAfter:
                    await asyncio.sleep(1.0)

    async with bot:
        await asyncio.gather(*(one(i) for i in range(leaders)))


async def baseline(leaders: int, paid_rate: float, concurrency: int = 16) -> Result:
    """Bare PTB against a fresh fake with the same paid limit (the same machine, the same run)."""
    async with FakeTelegram(flood_control=True, paid_rate=int(paid_rate)) as tg:
        with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as folder:
            log_path = Path(folder) / "bare.log"
            process = await spawn_logged(
                [sys.executable, __file__, "--bare-sender", tg.url, tg.token, str(leaders), str(concurrency)],
                log_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
            await asyncio.wait_for(process.wait(), 600)
            if process.returncode:
                print(log_tail(log_path, 2000), file=sys.stderr)
        got = received(tg)
        per_chat = Counter(chat for chat, _ in got)
        return Result("bare", leaders, paid_rate, got[-1][1] - got[0][1] if got else 0.0, 0.0, tg.flood_429s,
                      lost=leaders - len(per_chat), duplicated=sum(n - 1 for n in per_chat.values() if n > 1),
                      statuses={})


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaders", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=30.0, help="the fake's overall limit and CAUNOI_TELEGRAM_RATE")
    parser.add_argument("--paid-rate", type=float, default=1000.0, help="the fake's limit for paid broadcasts")
    parser.add_argument("--only", choices=("live", "plain", "kill", "paid", "loaded"), action="append")
    parser.add_argument("--repeat", type=int, default=1, help="run each chosen run this many times")
    parser.add_argument("--hog", action="store_true", help="a busy-loop Python process runs beside (loaded)")
    parser.add_argument("--seed", type=int, default=1, help="the loaded runs' first random seed")
    parser.add_argument("--busy-ack", action="store_true",
                        help="loaded: the busy leaders press Đã nhận too, at any moment of their session")
    args = parser.parse_args()
    runs = args.only or ["live", "plain", "kill", "paid"]
    print(f"broadcast to {args.leaders} leaders through the fake Bot API (flood control on),"
          f" load average {os.getloadavg()[0]:.1f}", flush=True)
    for name in runs:
        if name == "loaded":
            await loaded_runs(args)
            continue
        for _ in range(args.repeat):
            await one_run(name, args)


async def one_run(name: str, args: argparse.Namespace) -> None:
    """One live, plain, kill or paid run, printed."""
    if name == "live":
        print((await run_live(args.leaders, args.rate)).line(), flush=True)
        return
    result = await run(name, args.leaders, args.rate, args.paid_rate, kill_at=0.5 if name == "kill" else None)
    print(result.line(), flush=True)
    if name == "paid":
        bare = await baseline(args.leaders, args.paid_rate)
        print(bare.line(), flush=True)
        print(f"paid: caunoi {args.leaders / result.elapsed:.0f} msg/s, bare PTB {args.leaders / bare.elapsed:.0f}"
              f" msg/s, ratio caunoi/bare = {bare.elapsed / result.elapsed:.2f}", flush=True)


async def loaded_runs(args: argparse.Namespace) -> None:
    """`--repeat` loaded runs (optionally beside a CPU hog), each printed, then their summary."""
    results: list[Loaded] = []
    with tempfile.TemporaryDirectory(prefix="caunoi-hog-") as folder:
        hog = await start_hog(Path(folder)) if args.hog else None
        try:
            for n in range(1, args.repeat + 1):
                result = await run_loaded(args.leaders, args.rate, seed=args.seed + n - 1, busy_ack=args.busy_ack)
                results.append(result)
                print(result.line(n), flush=True)
        finally:
            if hog is not None:
                hog.kill()
                await hog.wait()
    print(summary(results) + (" (beside a busy-loop process)" if args.hog else "")
          + (" (busy leaders press Đã nhận too)" if args.busy_ack else ""), flush=True)

if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--bare-sender":
        asyncio.run(bare_sender(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    else:
        asyncio.run(main())
