"""Memory of `caunoi run` with a big database: idle, while a broadcast to everyone is queued, while it is sent.

    .venv/bin/python bench/memory.py [--leaders 100000] [--send 20000]

A temporary SQLite file gets N registered leaders on Telegram and one staff member (tg:9000); the
bot runs against the fake Bot API (tests/fake_telegram.py, in this process) with the send limit
off. Printed from /proc/<pid>/status of the bot: RSS after start-up and a few idle seconds (target
< 80 MB at 100,000 leaders), peak RSS (VmHWM) once staff have queued a broadcast to all N through
the bot (/broadcast, the text, "all", Gửi), and RSS/peak after the first `--send` messages went
out and again after twice as many. If the outbox held every recipient's row or message at once,
the peak would grow with N during the enqueue and with the messages sent; chunked, it stays flat.
The baseline in the same run: the same bot on an empty database (the cost of the data itself).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.botproc import peak_rss_mb  # noqa: E402
from tests.broadcast_bot import MESSAGE, STAFF_CHAT, prepare  # noqa: E402
from tests.fake_telegram import Call, FakeTelegram  # noqa: E402
from tests.proclog import spawn_logged  # noqa: E402

IDLE_SECONDS = 5.0


def rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def start(db_path: Path, tg: FakeTelegram) -> asyncio.subprocess.Process:
    """`caunoi run` on db_path, staff tg:9000, no send limit; stderr to a file beside the database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "CAUNOI_"))}
    env.update({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url, "CAUNOI_DB": str(db_path),
                "CAUNOI_ADMINS": f"tg:{STAFF_CHAT}", "CAUNOI_TELEGRAM_RATE": "0", "PYTHONPATH": str(ROOT)})
    return await spawn_logged([sys.executable, "-m", "bot", "run"], db_path.parent / "bot.stderr",
                              cwd=db_path.parent, env=env)


async def staff_step(tg: FakeTelegram, inject: object) -> None:
    """One staff action, then wait for the bot's answer (a person reads it for a second)."""
    tg.mark()
    inject()  # type: ignore[operator]
    await tg.wait_for("sendMessage", within=120, chat_id=STAFF_CHAT)
    await asyncio.sleep(1.1)


class SentCounter:
    """Counts the broadcast's accepted messages as the fake server records them."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.count = 0
        self.target = 0
        self.reached = asyncio.Event()
        tg.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        if call.method == "sendMessage" and call.status == 200 and call.params.get("text") == MESSAGE:
            self.count += 1
            if self.count >= self.target:
                self.reached.set()

    async def until(self, target: int, within: float) -> None:
        self.target = target
        self.reached.clear()
        if self.count < target:
            await asyncio.wait_for(self.reached.wait(), within)


async def measure(leaders: int, send: int) -> dict[str, float]:
    """The figures for one database size."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as folder:
        db_path = Path(folder) / "bench.sqlite3"
        await prepare(db_path, leaders, queue=False)
        async with FakeTelegram() as tg:
            sent = SentCounter(tg)
            bot = await start(db_path, tg)
            try:
                await tg.wait_for("getUpdates", within=120, since=0)
                await asyncio.sleep(IDLE_SECONDS)
                figures["idle"] = rss_mb(bot.pid)
                figures["idle_peak"] = peak_rss_mb(bot.pid)
                if leaders and send:
                    await staff_step(tg, lambda: tg.command(STAFF_CHAT, "broadcast"))
                    await staff_step(tg, lambda: tg.text(STAFF_CHAT, MESSAGE))
                    await staff_step(tg, lambda: tg.press(STAFF_CHAT, "bc:aud:all"))
                    await staff_step(tg, lambda: tg.press(STAFF_CHAT, "bc:send"))  # answered once queued
                    figures["queued_peak"] = peak_rss_mb(bot.pid)
                    for step in (1, 2):
                        await sent.until(min(send * step, leaders), 900)
                        figures[f"sent{step}"] = rss_mb(bot.pid)
                        figures[f"sent{step}_peak"] = peak_rss_mb(bot.pid)
                        figures[f"sent{step}_count"] = sent.count
            finally:
                if bot.returncode is None:
                    bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), 60)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=20_000, help="messages to send before each reading")
    args = parser.parse_args()
    print(f"memory of caunoi run: {args.leaders} leaders; load average {os.getloadavg()[0]:.2f}")
    empty = await measure(0, 0)
    print(f"  empty database: idle RSS {empty['idle']:.1f} MB (peak {empty['idle_peak']:.1f} MB)")
    big = await measure(args.leaders, args.send)
    print(f"  {args.leaders} leaders: idle RSS {big['idle']:.1f} MB (peak {big['idle_peak']:.1f} MB), "
          f"{big['idle'] - empty['idle']:+.1f} MB against the empty database — target < 80 MB")
    if "queued_peak" in big:
        print(f"  broadcast to all queued: peak RSS {big['queued_peak']:.1f} MB")
        for step in (1, 2):
            print(f"  after {int(big[f'sent{step}_count'])} messages sent: RSS {big[f'sent{step}']:.1f} MB, "
                  f"peak {big[f'sent{step}_peak']:.1f} MB")


if __name__ == "__main__":
    asyncio.run(main())
