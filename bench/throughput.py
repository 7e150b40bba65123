"""Throughput of the real bot process against a bare python-telegram-bot echo bot.

    python bench/throughput.py [--users 500 --updates 5000 --rounds 3 --mix onboarding|learning]
                               [--profile DIR]   # cProfile the caunoi process (slower; ratios then mean little)

Both bots run as separate processes polling the same kind of fake Bot API server
(tests/fake_telegram.py, in this process) with the send limit off (CAUNOI_TELEGRAM_RATE=0):
`caunoi run` on its own temporary SQLite file, and an echo bot (`--echo-bot`) that echoes
text with one inline button and answers each button press with a message with one button.
N simulated users act concurrently; each waits for the bot's answer before its next update,
as a person does. A turn ends after a silence following the last message: QUIET seconds (or
QUIET_SHARE of the turn's latency, if longer) after a message with buttons, LONE_QUIET (or
LONE_QUIET_SHARE of the latency) after one without; the rule is the same for both bots.

Printed per round and as medians: updates/s, CPU seconds per update (utime+stime of the bot
process from /proc/<pid>/stat during the load only), peak RSS (VmHWM), and the ratios
caunoi/echo for updates/s and echo/caunoi for CPU per update (both ≥ 0.7 is the target).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SELF = str(Path(__file__).resolve())
sys.path.insert(0, str(ROOT))

from bot.content import load_content  # noqa: E402
from bot.textutil import fold  # noqa: E402
from tests.fake_telegram import Call, FakeTelegram  # noqa: E402
from tests.proclog import log_tail, spawn_logged  # noqa: E402

_texts = load_content().texts
ODD_TEXTS = (_texts("core.stale"), _texts("core.error"), _texts("core.not_understood"))
READ_LABELS = ("Đọc tiếp", "Đọc từ đầu", "Đọc tiếp từ")
QUIET = 0.02
QUIET_SHARE = 0.5
LONE_QUIET = 0.25
LONE_QUIET_SHARE = 1.0
TURN_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SENDS = ("sendMessage", "sendDocument", "sendPhoto")


# ----- the echo bot (run as a subprocess of this script)

def run_echo_bot(token: str, api_url: str) -> None:
    """A bare python-telegram-bot bot with the same polling set-up as the real one."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import Application, ContextTypes, TypeHandler

    button = InlineKeyboardMarkup([[InlineKeyboardButton("Tiếp", callback_data="next")]])

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
            await context.bot.send_message(update.callback_query.from_user.id, "Đã bấm", reply_markup=button)
        elif update.message is not None and update.message.text is not None:
            await update.message.reply_text(update.message.text, reply_markup=button)

    app = (Application.builder().token(token).base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot")
           .concurrent_updates(256).connection_pool_size(256).pool_timeout(30.0).job_queue(None).build())
    app.add_handler(TypeHandler(Update, on_update))
    app.run_polling(allowed_updates=["message", "callback_query"], timeout=10)


# ----- simulated users

@dataclass
class Inbox:
    """The bot's messages to one chat, as they arrive."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class Users:
    """Routes the fake server's recorded sends to per-chat inboxes."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.inboxes: dict[int, Inbox] = defaultdict(Inbox)
        self.last_arrival = 0.0
        self.odd = 0  # "menu is out of date" / "something went wrong" replies: the simulator lost its way
        tg.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        if call.method in SENDS and call.status == 200:
            inbox = self.inboxes[int(call.params["chat_id"])]
            message = dict(call.params)
            message["message_id"] = call.result["message_id"]
            inbox.messages.append(message)
            self.last_arrival = time.perf_counter()
            if str(message.get("text", "")).startswith(ODD_TEXTS):
                self.odd += 1
            inbox.arrived.set()


def has_buttons(message: dict[str, Any]) -> bool:
    markup = message.get("reply_markup")
    return isinstance(markup, dict) and bool(markup.get("inline_keyboard") or markup.get("keyboard"))


class User:
    """One person: sends an update, waits for the whole answer, looks at the buttons."""

    def __init__(self, users: Users, chat_id: int) -> None:
        self.users = users
        self.tg = users.tg
        self.chat_id = chat_id
        self.inbox = users.inboxes[chat_id]
        self.last: list[dict[str, Any]] = []
        self.keyboard: list[str] = []
        self.sent = 0

    async def _turn(self, inject: Callable[[], Any]) -> None:
        start = len(self.inbox.messages)
        self.inbox.arrived.clear()
        sent_at = time.perf_counter()
        inject()
        self.sent += 1
        deadline = time.monotonic() + TURN_TIMEOUT
        latency = 0.0
        while True:
            count = len(self.inbox.messages)
            if count > start:
                if not latency:
                    latency = time.perf_counter() - sent_at
                # Under load the gap between one answer's messages grows with the latency: so does
                # the silence that ends a turn (same rule for both bots).
                if has_buttons(self.inbox.messages[-1]):
                    quiet = max(QUIET, QUIET_SHARE * latency)
                else:
                    quiet = max(LONE_QUIET, LONE_QUIET_SHARE * latency)
            else:
                quiet = deadline - time.monotonic()
                if quiet <= 0:
                    raise TimeoutError(f"chat {self.chat_id}: no answer within {TURN_TIMEOUT}s")
            self.inbox.arrived.clear()
            try:
                await asyncio.wait_for(self.inbox.arrived.wait(), quiet)
            except TimeoutError:
                if len(self.inbox.messages) > start:
                    break
        self.last = self.inbox.messages[start:]
        for message in self.last:
            markup = message.get("reply_markup") or {}
            if "keyboard" in markup:
                self.keyboard = [b["text"] for row in markup["keyboard"] for b in row]
            elif markup.get("remove_keyboard"):
                self.keyboard = []

    def buttons(self) -> list[tuple[str, str, int]]:
        """(label, callback data, message id) of the inline buttons of the last answer."""
        return [(b["text"], b["callback_data"], m["message_id"]) for m in self.last
                for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]

    async def command(self, name: str) -> None:
        await self._turn(lambda: self.tg.command(self.chat_id, name))

    async def text(self, text: str) -> None:
        await self._turn(lambda: self.tg.text(self.chat_id, text))

    async def press(self, label: str | None = None, fallback_text: str = "Thôn 1") -> str:
        """Press the button whose label contains `label`, else the first; type when there are none."""
        wanted = fold(label) if label else None
        inline = self.buttons()
        choice = next((b for b in inline if wanted and wanted in fold(b[0])), None)
        if choice is None and wanted:
            typed = next((t for t in self.keyboard if wanted in fold(t)), None)
            if typed is not None:
                await self.text(typed)
                return typed
        if choice is None and inline:
            choice = inline[0]
        if choice is None:
            await self.text(fallback_text)
            return fallback_text
        label_text, data, message_id = choice
        await self._turn(lambda: self.tg.press(self.chat_id, data, message_id))
        return label_text

    def has(self, label: str) -> bool:
        wanted = fold(label)
        return any(wanted in fold(b[0]) for b in self.buttons())


async def onboarding(user: User, budget: int) -> None:
    """/start, agree, name, role, commune, hamlet, skip phone, confirm, /menu; then /menu again."""
    await user.command("start")
    await user.press("Tôi đồng ý")
    await user.text(f"Nguyễn Văn {user.chat_id}")
    await user.press("Trưởng thôn")
    await user.press(None)  # the first commune
    if user.has("khác"):
        await user.press("khác")
    else:
        await user.press(None)  # the first hamlet (or types one when none are listed)
    await user.press("Bỏ qua")
    await user.press("Đúng")
    while user.sent < budget:
        await user.command("menu")


async def learning(user: User, budget: int) -> None:
    """Onboarding, then /topics (first topic, "Đọc tiếp" while shown) and /quiz (answers)."""
    await onboarding(user, 0)
    while user.sent < budget:
        await user.command("topics")
        if user.sent < budget and user.buttons():
            await user.press(None)
        for _ in range(20):  # "Đọc từ đầu" on the topic card, then "Đọc tiếp" page after page
            label = next((w for w in READ_LABELS if user.has(w)), None)
            if user.sent >= budget or label is None:
                break
            await user.press(label)
        if user.sent >= budget:
            break
        await user.command("quiz")
        for _ in range(12):
            if user.sent >= budget or not user.buttons():
                break
            await user.press(None)


async def echo_user(user: User, budget: int, mix: str) -> None:
    """The same kinds of updates (commands, texts, presses) against the echo bot."""
    pattern = ["cmd", "press", "text", "press", "press", "text", "text", "press"]
    if mix == "learning":
        pattern += ["cmd", "press", "press", "press", "cmd", "press", "press", "press", "press", "press"]
    while user.sent < budget:
        kind = pattern[user.sent % len(pattern)] if user.sent < len(pattern) or mix == "learning" else "cmd"
        if kind == "press" and user.buttons():
            await user.press(None)
        elif kind == "text":
            await user.text(f"Nguyễn Văn {user.chat_id}")
        else:
            await user.command("menu" if user.sent else "start")


# ----- processes and measurement

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Result:
    updates: int
    seconds: float
    cpu: float
    rss_mb: float
    driver_cpu: float
    odd: int

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_per_update(self) -> float:
        return self.cpu / self.updates


async def measure(which: str, users: int, updates: int, mix: str, first_chat: int,
                  profile: Path | None = None) -> Result:
    """Start one bot process on a fresh fake server, run the users, stop it."""
    async with FakeTelegram() as tg:
        box = Users(tg)
        with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("CAUNOI_", "TELEGRAM_", "ZALO_"))}
            env.update({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url, "CAUNOI_TELEGRAM_RATE": "0",
                        "CAUNOI_DB": str(Path(tmp) / "bench.sqlite3"), "PYTHONPATH": str(ROOT)})
            if which == "caunoi":
                argv = [sys.executable, "-m", "bot", "run"]
                if profile is not None:  # cProfile writes its file when SIGTERM ends the bot cleanly
                    argv[1:1] = ["-m", "cProfile", "-o", str(profile)]
            else:
                argv = [sys.executable, SELF, "--echo-bot", tg.token, tg.url]
            log_path = Path(tmp) / f"{which}.log"  # a file: a pipe nobody reads would hang the bot when full
            process = await spawn_logged(argv, log_path, cwd=tmp, env=env)
            try:
                await tg.wait_for("getUpdates", within=60, since=0)
                per_user = max(1, updates // users)
                people = [User(box, first_chat + i) for i in range(users)]
                if which == "caunoi":
                    flow = learning if mix == "learning" else onboarding
                    runs = [flow(u, per_user) for u in people]
                else:
                    runs = [echo_user(u, per_user, mix) for u in people]
                cpu_before = cpu_seconds(process.pid)
                driver_before = _self_cpu()
                started = time.perf_counter()
                await asyncio.gather(*runs)
                elapsed = box.last_arrival - started  # the final quiet waits are the users', not the bot's
                cpu = cpu_seconds(process.pid) - cpu_before
                rss = peak_rss_mb(process.pid)
                driver = _self_cpu() - driver_before
                sent = sum(u.sent for u in people)
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
            if process.returncode not in (0, -signal.SIGTERM):
                raise RuntimeError(f"{which} exited with {process.returncode}: {log_tail(log_path, 2000)}")
    return Result(sent, elapsed, cpu, rss, driver, box.odd)


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def line(name: str, r: Result) -> str:
    return (f"  {name:7s} {r.updates:6d} updates in {r.seconds:6.2f}s = {r.rate:7.1f} updates/s, "
            f"{r.cpu_per_update * 1000:6.2f} ms CPU/update, peak RSS {r.rss_mb:5.1f} MB "
            f"(driver CPU {r.driver_cpu:.1f}s, stale/error replies {r.odd})")


async def main(args: argparse.Namespace) -> int:
    print(f"throughput: {args.users} users, {args.updates} updates, mix={args.mix}, rounds={args.rounds}; "
          f"CPUs={os.cpu_count()}")
    ours: list[Result] = []
    echo: list[Result] = []
    for round_no in range(args.rounds):
        base = 10_000_000 + round_no * 100_000
        # Alternate which runs first so warm caches and noisy neighbours hit both alike.
        order = ("echo", "caunoi") if round_no % 2 == 0 else ("caunoi", "echo")
        for which in order:
            profile = args.profile / f"caunoi-{round_no + 1}.prof" if args.profile and which == "caunoi" else None
            result = await measure(which, args.users, args.updates, args.mix, base, profile)
            (ours if which == "caunoi" else echo).append(result)
        print(f"round {round_no + 1}:")
        print(line("caunoi", ours[-1]))
        print(line("echo", echo[-1]))
        print(f"  ratio: updates/s {ours[-1].rate / echo[-1].rate:.2f}, "
              f"CPU/update {echo[-1].cpu_per_update / ours[-1].cpu_per_update:.2f}")
    rate_ratio = statistics.median(o.rate / e.rate for o, e in zip(ours, echo, strict=True))
    cpu_ratio = statistics.median(e.cpu_per_update / o.cpu_per_update for o, e in zip(ours, echo, strict=True))
    print("median:")
    print(f"  caunoi {statistics.median(r.rate for r in ours):7.1f} updates/s, "
          f"{statistics.median(r.cpu_per_update for r in ours) * 1000:.2f} ms CPU/update, "
          f"peak RSS {max(r.rss_mb for r in ours):.1f} MB")
    print(f"  echo   {statistics.median(r.rate for r in echo):7.1f} updates/s, "
          f"{statistics.median(r.cpu_per_update for r in echo) * 1000:.2f} ms CPU/update, "
          f"peak RSS {max(r.rss_mb for r in echo):.1f} MB")
    print(f"  ratio updates/s (caunoi/echo) {rate_ratio:.2f}, CPU per update (echo/caunoi) {cpu_ratio:.2f} "
          f"— target ≥ 0.70: {'met' if min(rate_ratio, cpu_ratio) >= 0.7 else 'NOT met'}")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mix", choices=("onboarding", "learning"), default="onboarding")
    parser.add_argument("--profile", type=Path, help="folder for cProfile files of the caunoi process")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--echo-bot":
        run_echo_bot(sys.argv[2], sys.argv[3])
    else:
        sys.exit(asyncio.run(main(parse_args(sys.argv[1:]))))
