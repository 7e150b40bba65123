"""Throughput of the real bot process against a bare python-telegram-bot echo bot, in the same run.

    python bench/throughput.py [--burst] [--leaders 200 --updates 2000 --rounds 3]   # the default figure
    python bench/throughput.py --turns [--leaders 500 --updates 5000 --mix onboarding|learning]  # latency
    python bench/throughput.py --rounds 1 --profile /tmp/prof   # cProfile the caunoi process (slower)
    python bench/throughput.py --rounds 1 --py-spy /tmp/spy     # sample both bots (pip install py-spy)

Both bots run as separate processes polling a fake Bot API server (tests/fake_telegram.py, in this
process) with the send limit off (CAUNOI_TELEGRAM_RATE=0): `caunoi run` on its own temporary
SQLite file, and an echo bot (`--echo-bot`: echoes text with one inline button, answers a button
press and sends one message with one button). Each round starts each bot on a fresh server and
folder; the order alternates between rounds.

Burst (default): LEADERS onboarded leaders are written into the database, then UPDATES updates —
/menu, /topics, a topic button, a section button, /help, in turn, each leader's in order — wait
in the fake server's queue before the bot polls, as when a broadcast's presses or a class hall
answer at once. The same updates go to the echo bot. Measured from the bot's first getUpdates to
its last message (every update answered, then a second of silence): updates/s, CPU per update
(utime+stime of the bot process from /proc/<pid>/stat over the same span) and peak RSS (VmHWM).
The ratios caunoi/echo1 for updates/s and echo1/caunoi for CPU per update are the figure (target
≥ 0.7 both, medians of the rounds; echo1 is PTB with its defaults, issue 18's baseline). Against
`echo` (the same set-up as caunoi) the ratio shows what caunoi's own code costs.

Turns (--turns, bench/throughput_turns.py): simulated users each wait for the whole answer
before their next update; the figure is the reply latency (p50/p95 from update to first message).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.botproc import Result, cpu_seconds, line, peak_rss_mb, self_cpu, start_bot, summary  # noqa: E402
from bot.clock import iso  # noqa: E402
from bot.content import load_content  # noqa: E402
from bot.store.db import Database  # noqa: E402
from tests.fake_telegram import Call, FakeTelegram  # noqa: E402

SENDS = ("sendMessage", "sendDocument", "sendPhoto")
SETTLE = 1.0  # seconds of silence after the last expected answer that end a burst
BURST_TIMEOUT = 600.0


# ----- the echo bot (run as a subprocess of this script)

def run_echo_bot(token: str, api_url: str, concurrency: int, transport: str) -> None:
    """A bare python-telegram-bot bot; with concurrency 64 and transport "aiohttp" the same set-up as
    the real one (64 updates at once, a pool of 64 + 32 connections, bot/channels/telegram_http.py),
    with 1 and "httpx" PTB's default (one at a time, HTTPXRequest)."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import Application, ContextTypes, TypeHandler

    from bot.channels.telegram_http import AiohttpRequest

    button = InlineKeyboardMarkup([[InlineKeyboardButton("Tiếp", callback_data="next")]])

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
            await context.bot.send_message(update.callback_query.from_user.id, "Đã bấm", reply_markup=button)
        elif update.message is not None and update.message.text is not None:
            await update.message.reply_text(update.message.text, reply_markup=button)

    builder = (Application.builder().token(token).base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot")
               .concurrent_updates(concurrency).job_queue(None))
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest(concurrency + 32, pool_timeout=30.0)).get_updates_request(
            AiohttpRequest(1, read_timeout=20.0))
    else:
        builder = builder.connection_pool_size(concurrency + 32).pool_timeout(30.0)
    app = builder.build()
    app.add_handler(TypeHandler(Update, on_update))
    app.run_polling(allowed_updates=["message", "callback_query"], timeout=10)


# ----- burst mode

def odd_prefixes() -> tuple[str, ...]:
    """Starts of the replies that mean the run lost its way (stale menu, error, flood refusal)."""
    texts = load_content().texts
    return (texts("core.stale"), texts("core.error"), texts("core.not_understood"),
            texts("ratelimit.too_fast", seconds=0)[:20], texts("ratelimit.command_wait", seconds=0)[:20],
            texts("ratelimit.skipped", count=0)[:20])


async def seed_leaders(db_path: Path, leaders: int, first_chat: int) -> None:
    """Onboarded leaders on Telegram (chat ids first_chat…), last seen a day ago, nothing read yet."""
    content = load_content()
    communes = list(content.units.communes)
    stamp = iso(datetime.now(UTC))
    people, identities = [], []
    for i in range(leaders):
        commune = communes[i % len(communes)]
        hamlet = commune.hamlets[i % len(commune.hamlets)] if commune.hamlets else f"Thôn {i % 9 + 1}"
        people.append((i + 1, f"Nguyễn Văn {i}", "truong_thon", commune.name, hamlet, stamp, stamp, stamp, "tg"))
        identities.append(("tg", str(first_chat + i), i + 1, f"Người dùng {first_chat + i}", "2000-01-01T00:00:00Z"))
    db = await Database(db_path).open()
    try:
        async with db.write() as conn:
            await conn.executemany(
                "INSERT INTO people (id, name, role, commune, hamlet, consent_at, registered_at, created_at,"
                " last_channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
            await conn.executemany(
                "INSERT INTO identities (channel, address, person_id, display_name, last_seen)"
                " VALUES (?, ?, ?, ?, ?)", identities)
    finally:
        await db.close()


def queue_burst(tg: FakeTelegram, leaders: int, updates: int, first_chat: int) -> None:
    """UPDATES updates in the fake server's queue, leader after leader, each leader's in this order."""
    topics = list(load_content().topics)
    for n in range(updates):
        turn, leader = divmod(n, leaders)
        chat = first_chat + leader
        topic = topics[(leader + turn // 5) % len(topics)]
        kind = turn % 5
        if kind == 0:
            tg.command(chat, "menu")
        elif kind == 1:
            tg.command(chat, "topics")
        elif kind == 2:
            tg.press(chat, f"tp:{topic.id}", message_id=1)
        elif kind == 3:
            tg.press(chat, f"tp:{topic.id}:{turn // 5 % len(topic.sections) + 1}", message_id=1)
        else:
            tg.command(chat, "help")


class BurstProbe:
    """Watches the fake server: the bot's first poll, its last message, how much it had used by then."""

    def __init__(self, tg: FakeTelegram, updates: int, odd: tuple[str, ...]) -> None:
        self.tg = tg
        self.updates = updates
        self.odd_texts = odd
        self.pid = 0
        self.started = self.last = 0.0
        self.cpu_start = self.cpu_last = 0.0
        self.sends = 0
        self.odd = 0
        tg.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        if call.method == "getUpdates":
            if not self.started and self.pid:
                self.started = time.perf_counter()
                self.cpu_start = cpu_seconds(self.pid)
        elif call.method in SENDS and call.status == 200:
            self.sends += 1
            self.last = time.perf_counter()
            self.cpu_last = cpu_seconds(self.pid)
            if str(call.params.get("text", "")).startswith(self.odd_texts):
                self.odd += 1

    async def done(self) -> None:
        """Every update fetched and answered (at least one message each), then SETTLE seconds of silence."""
        deadline = time.monotonic() + BURST_TIMEOUT
        while not (self.tg.pending_updates == 0 and self.sends >= self.updates
                   and time.perf_counter() - self.last >= SETTLE):
            if time.monotonic() > deadline:
                raise TimeoutError(f"burst not answered: {self.sends} messages for {self.updates} updates")
            await asyncio.sleep(0.1)


async def measure_burst(which: str, leaders: int, updates: int, first_chat: int,
                        profile: Path | None = None, spy: Path | None = None) -> Result:
    """One bot on a fresh fake server whose queue already holds the whole burst."""
    async with FakeTelegram() as tg:
        with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as tmp:
            folder = Path(tmp)
            if which == "caunoi":
                await seed_leaders(folder / "bench.sqlite3", leaders, first_chat)
            queue_burst(tg, leaders, updates, first_chat)
            probe = BurstProbe(tg, updates, odd_prefixes())
            driver_before = self_cpu()
            bot = await start_bot(which, tg.token, tg.url, folder, profile, spy)
            probe.pid = bot.pid
            try:
                await probe.done()
                rss = peak_rss_mb(bot.pid)
            finally:
                await bot.stop()
            driver = self_cpu() - driver_before
    return Result(updates, probe.last - probe.started, probe.cpu_last - probe.cpu_start, rss, driver,
                  probe.odd, probe.sends)


# ----- the runs

async def main(args: argparse.Namespace) -> int:
    from bench.throughput_turns import measure_turns

    leaders = args.leaders or (200 if args.mode == "burst" else 500)
    updates = args.updates or (2000 if args.mode == "burst" else 5000)
    what = "burst (all updates queued before the bot polls)" if args.mode == "burst" else f"turns, mix={args.mix}"
    print(f"throughput: {what}; {leaders} leaders, {updates} updates, rounds={args.rounds}; "
          f"CPUs={os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bots = ["caunoi", *(b for b in args.baselines.split(",") if b)]
    for folder in (args.profile, args.py_spy):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[Result]] = {name: [] for name in bots}
    for round_no in range(args.rounds):
        base = 10_000_000 + round_no * 100_000
        # Rotate which runs first so warm caches and noisy neighbours hit all alike.
        order = bots[round_no % len(bots):] + bots[:round_no % len(bots)]
        for which in order:
            profile = args.profile / f"caunoi-{round_no + 1}.prof" if args.profile and which == "caunoi" else None
            spy = args.py_spy / f"{which}-{round_no + 1}.txt" if args.py_spy else None
            if args.mode == "burst":
                result = await measure_burst(which, leaders, updates, base, profile, spy)
            else:
                result = await measure_turns(which, leaders, updates, args.mix, base, profile)
            results[which].append(result)
        print(f"round {round_no + 1}:")
        for name in bots:
            print(line(name, results[name][-1]))
        for name in bots[1:]:
            ours, theirs = results["caunoi"][-1], results[name][-1]
            print(f"  ratio against {name}: updates/s {ours.rate / theirs.rate:.2f}, "
                  f"CPU/update {theirs.cpu_per_update / ours.cpu_per_update:.2f}")
    for text in summary(results):
        print(text)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--burst", dest="mode", action="store_const", const="burst",
                      help="all updates queued before the bot polls (default)")
    mode.add_argument("--turns", dest="mode", action="store_const", const="turns",
                      help="users take turns: reply latency")
    parser.set_defaults(mode="burst")
    parser.add_argument("--leaders", "--users", type=int, default=0, help="default 200 (burst), 500 (turns)")
    parser.add_argument("--updates", type=int, default=0, help="default 2000 (burst), 5000 (turns)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baselines", default="echo,echo1",
                        help="echo: the echo bot with caunoi's set-up (64 updates at once, aiohttp); "
                             "echo_httpx: the same on PTB's httpx; echo1: one at a time on httpx "
                             "(python-telegram-bot's default); comma-separated, may be empty")
    parser.add_argument("--mix", choices=("onboarding", "learning"), default="onboarding", help="turns only")
    parser.add_argument("--profile", type=Path, help="folder for cProfile files of the caunoi process")
    parser.add_argument("--py-spy", type=Path, help="burst: folder for py-spy samples (collapsed stacks) of both bots")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--echo-bot":
        run_echo_bot(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(asyncio.run(main(parse_args(sys.argv[1:]))))
