"""Turn-taking mode of bench/throughput.py: simulated users who each wait for the whole answer
before their next update, as a person does. Its figure is the reply latency (p50/p95): with users
taking turns, both bots idle between turns, so updates/s mostly measures the harness.

A turn ends after a silence following the last message: QUIET seconds (or QUIET_SHARE of the
turn's latency, if longer) after a message with buttons, LONE_QUIET (or LONE_QUIET_SHARE of the
latency) after one without; the rule is the same for both bots.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.botproc import Result, cpu_seconds, peak_rss_mb, self_cpu, start_bot
from bot.content import load_content
from bot.textutil import fold
from tests.fake_telegram import Call, FakeTelegram

_texts = load_content().texts
ODD_TEXTS = (_texts("core.stale"), _texts("core.error"), _texts("core.not_understood"))
READ_LABELS = ("Đọc tiếp", "Đọc từ đầu", "Đọc tiếp từ")
QUIET = 0.02
QUIET_SHARE = 0.5
LONE_QUIET = 0.25
LONE_QUIET_SHARE = 1.0
TURN_TIMEOUT = 60.0
SENDS = ("sendMessage", "sendDocument", "sendPhoto")


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
        self.latencies: list[float] = []  # seconds from an update to the first message of its answer
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
        self.users.latencies.append(latency)
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




async def measure_turns(which: str, users: int, updates: int, mix: str, first_chat: int,
                        profile: Path | None = None) -> Result:
    """Start one bot process on a fresh fake server, run the users, stop it."""
    async with FakeTelegram() as tg:
        box = Users(tg)
        with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as tmp:
            bot = await start_bot(which, tg.token, tg.url, Path(tmp), profile)
            try:
                await tg.wait_for("getUpdates", within=60, since=0)
                per_user = max(1, updates // users)
                people = [User(box, first_chat + i) for i in range(users)]
                if which == "caunoi":
                    flow = learning if mix == "learning" else onboarding
                    runs = [flow(u, per_user) for u in people]
                else:
                    runs = [echo_user(u, per_user, mix) for u in people]
                cpu_before = cpu_seconds(bot.pid)
                driver_before = self_cpu()
                started = time.perf_counter()
                await asyncio.gather(*runs)
                elapsed = box.last_arrival - started  # the final quiet waits are the users', not the bot's
                cpu = cpu_seconds(bot.pid) - cpu_before
                rss = peak_rss_mb(bot.pid)
                driver = self_cpu() - driver_before
                sent = sum(u.sent for u in people)
            finally:
                await bot.stop()
    messages = sum(len(inbox.messages) for inbox in box.inboxes.values())
    return Result(sent, elapsed, cpu, rss, driver, box.odd, messages, box.latencies)
