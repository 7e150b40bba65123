"""The `loaded` run of bench/broadcast.py: the live broadcast while the bot is busy as in real life.

Staff compose the broadcast through the running bot and press Gửi (as `live` does). Meanwhile:
- acks: most recipients (`ack_share`) press "Đã nhận ✅" under their copy a random short while
  after it arrives (uniform in `ack_delay`, from 0.3 s: some within the same second, when the
  reply to the ack and the broadcast meet Telegram's 1 message/s per chat);
- busy leaders (a tenth of them, at least 20, recipients too, not among those who press "Đã nhận"
  unless `busy_ack`): each does /menu, /topics and a topic button, waiting for each answer and
  1–2.5 s more, as a person reading it; half of them start in the same second at 30 % of the send
  (a burst), the others spread over the send. With `busy_ack` a busy leader may also press
  "Đã nhận" at any moment of that session: an answer then follows another in the same second,
  which the fake refuses (1/s per chat) and real Telegram allows as a short burst; the bot spaces
  only the outbox's messages from the rest, not one turn's answer from the next.
Everything is checked from the fake server's record and the database: every press answered
(answerCallbackQuery) and every update answered with a message; 429s split by kind (the chat
had an accepted send in the second before: per chat; otherwise: the overall window).
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content import load_content
from tests.broadcast_bot import (
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
from tests.fake_telegram import Call, FakeTelegram
from tests.proclog import spawn_logged

ANSWER_WITHIN = 60.0  # seconds an update may wait for its answer before it counts as unanswered


@dataclass
class Loaded:
    """One loaded run's figures."""

    leaders: int
    rate: float
    elapsed: float  # from the press of Gửi to the last broadcast message
    window_sends: int  # every accepted message between the first and the last broadcast message
    window: float
    overall_429s: int = 0
    chat_429s: int = 0
    broadcast_429s: int = 0  # of those, refused broadcast copies (the rest: replies)
    lost: int = 0
    duplicated: int = 0
    acks_pressed: int = 0
    acks_unanswered: int = 0
    acks_recorded: int = 0
    updates: int = 0  # ordinary updates of the busy leaders
    updates_unanswered: int = 0
    presses_unanswered: int = 0  # callback queries never answered (answerCallbackQuery)
    waits: list[float] = field(default_factory=list)  # seconds from each update to its answer
    statuses: dict[str, int] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at start and end

    @property
    def floor(self) -> float:
        return (self.leaders - 1) / self.rate

    @property
    def efficiency(self) -> float:
        return self.floor / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def busy_share(self) -> float:
        """Every accepted message in the broadcast's window, as a share of the limit over it."""
        return self.window_sends / (self.window * self.rate) if self.window > 0 else 0.0

    def wait(self, share: float) -> float:
        """The answer time below which `share` of the updates were answered."""
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def unanswered(self) -> int:
        return self.acks_unanswered + self.updates_unanswered + self.presses_unanswered

    def line(self, n: int) -> str:
        return (f"loaded#{n:<2} N={self.leaders} elapsed={self.elapsed:6.2f}s floor={self.floor:6.2f}s"
                f" efficiency={self.efficiency:5.3f} all-sends={self.busy_share:5.3f} of {self.rate:g}/s"
                f"  429s overall={self.overall_429s} per-chat={self.chat_429s} (broadcast {self.broadcast_429s})"
                f"  lost={self.lost} duplicated={self.duplicated}  acks pressed={self.acks_pressed}"
                f" recorded={self.acks_recorded} unanswered={self.acks_unanswered}"
                f"  updates={self.updates} unanswered={self.updates_unanswered}"
                f" presses unanswered={self.presses_unanswered}"
                f"  answered in p50={self.wait(0.5):.2f}s p95={self.wait(0.95):.2f}s max={self.wait(1.0):.2f}s"
                f"  load {self.load[0]:.1f}->{self.load[1]:.1f}  statuses={self.statuses}")


def summary(results: list[Loaded]) -> str:
    """The N runs in one paragraph."""
    eff = [r.efficiency for r in results]
    return (f"summary of {len(results)} loaded runs at N={results[0].leaders}: efficiency median"
            f" {statistics.median(eff):.3f} (min {min(eff):.3f}, max {max(eff):.3f});"
            f" 429s overall {sum(r.overall_429s for r in results)}, per-chat {sum(r.chat_429s for r in results)}"
            f" (runs with any: {sum(1 for r in results if r.overall_429s + r.chat_429s)});"
            f" lost {sum(r.lost for r in results)}, duplicated {sum(r.duplicated for r in results)};"
            f" acks pressed {sum(r.acks_pressed for r in results)}, recorded {sum(r.acks_recorded for r in results)};"
            f" updates {sum(r.updates for r in results) + sum(r.acks_pressed for r in results)},"
            f" unanswered {sum(r.unanswered for r in results)}; answered in p50"
            f" {statistics.median(r.wait(0.5) for r in results):.2f}s, p95 {max(r.wait(0.95) for r in results):.2f}s"
            f" (worst run), max {max(r.wait(1.0) for r in results):.2f}s;"
            f" load {min(r.load[0] for r in results):.1f}-{max(r.load[1] for r in results):.1f}")


def _ack_texts() -> frozenset[str]:
    texts = load_content().texts
    return frozenset(texts(f"broadcast.{key}") for key in ("ack_thanks", "ack_again", "ack_invalid"))


class Crowd:
    """The leaders around the broadcast: ack presses and busy leaders, and what they got back."""

    def __init__(self, tg: FakeTelegram, leaders: int, rng: random.Random, ack_share: float,
                 ack_delay: tuple[float, float], busy_ack: bool = False) -> None:
        self.tg = tg
        self.rng = rng
        self.ack_share = ack_share
        self.ack_delay = ack_delay
        self.ack_texts = _ack_texts()
        self.answers: dict[int, list[str]] = defaultdict(list)  # chat -> texts of non-broadcast messages
        self.answered = asyncio.Event()
        self.acks: Counter[int] = Counter()  # chat -> "Đã nhận" presses
        self.pressed_at: dict[int, list[float]] = defaultdict(list)  # chat -> times of unanswered presses
        self.waits: list[float] = []
        self.press_ids: list[str] = []
        self.updates = 0
        self.unanswered = 0
        self.timers: set[asyncio.TimerHandle] = set()
        self.topics = [t.id for t in load_content().topics]
        busy = max(20, leaders // 10)
        self.busy = rng.sample(range(FIRST_CHAT, FIRST_CHAT + leaders), min(busy, leaders))
        self.quiet = frozenset() if busy_ack else frozenset(self.busy)  # who never presses "Đã nhận"
        tg.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        if call.method != "sendMessage" or call.status != 200:
            return
        chat = int(call.params["chat_id"])
        text = str(call.params.get("text", ""))
        if text != MESSAGE:
            if text in self.ack_texts and self.pressed_at[chat]:
                self.waits.append(call.time - self.pressed_at[chat].pop(0))
            self.answers[chat].append(text)
            self.answered.set()
            return
        if chat not in self.quiet and self.rng.random() < self.ack_share:
            delay = self.rng.uniform(*self.ack_delay)
            data = call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            message_id = int(call.result["message_id"])
            handle = asyncio.get_running_loop().call_later(delay, self._ack, chat, data, message_id)
            self.timers.add(handle)

    def _ack(self, chat: int, data: str, message_id: int) -> None:
        self.acks[chat] += 1
        self.pressed_at[chat].append(time.monotonic())
        self.press_ids.append(self.tg.press(chat, data, message_id=message_id)["callback_query"]["id"])

    def pending_acks(self) -> int:
        return sum(1 for h in self.timers if not h.cancelled() and h.when() > asyncio.get_running_loop().time())

    async def _ask(self, chat: int, inject: Any) -> int:
        """One update from a busy leader; the message id of the answer (0: none within ANSWER_WITHIN)."""
        seen = len([t for t in self.answers[chat] if t not in self.ack_texts])
        update = inject()
        asked = time.monotonic()
        self.updates += 1
        if "callback_query" in update:
            self.press_ids.append(update["callback_query"]["id"])
        deadline = time.monotonic() + ANSWER_WITHIN
        while len([t for t in self.answers[chat] if t not in self.ack_texts]) <= seen:
            if time.monotonic() > deadline:
                self.unanswered += 1
                return 0
            self.answered.clear()
            try:
                async with asyncio.timeout(1.0):
                    await self.answered.wait()
            except TimeoutError:
                pass
        self.waits.append(time.monotonic() - asked)
        last = self.tg.last_message(chat)
        return int(last["message_id"]) if last else 0

    async def busy_leader(self, chat: int, start_at: float) -> None:
        """/menu, /topics, a topic button; each after the previous answer and a moment's reading."""
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        await self._ask(chat, lambda: self.tg.command(chat, "menu"))
        await asyncio.sleep(self.rng.uniform(1.0, 2.5))
        topics_message = await self._ask(chat, lambda: self.tg.command(chat, "topics"))
        await asyncio.sleep(self.rng.uniform(1.0, 2.5))
        topic = self.rng.choice(self.topics)
        await self._ask(chat, lambda: self.tg.press(chat, f"tp:{topic}", message_id=topics_message or None))

    def start_busy(self, pressed: float, floor: float) -> list[asyncio.Task[None]]:
        """Half the busy leaders at 30 % of the send together, the rest spread over it."""
        tasks = []
        for i, chat in enumerate(self.busy):
            if i % 2 == 0:
                at = pressed + 0.3 * floor + self.rng.uniform(0.0, 1.0)
            else:
                at = pressed + self.rng.uniform(0.5, max(1.0, 0.9 * floor))
            tasks.append(asyncio.create_task(self.busy_leader(chat, at)))
        return tasks

    def acks_unanswered(self) -> int:
        return sum(max(0, n - sum(1 for t in self.answers[chat] if t in self.ack_texts))
                   for chat, n in self.acks.items())


def classify_429s(tg: FakeTelegram) -> tuple[int, int, int]:
    """(overall, per chat, of which broadcast copies): a refusal is per chat when that chat had an
    accepted send within the second before it."""
    last_ok: dict[int, float] = {}
    overall = per_chat = broadcast = 0
    for call in tg.calls:
        if call.method not in ("sendMessage", "sendDocument", "sendPhoto"):
            continue
        chat = int(call.params.get("chat_id", 0))
        if call.status == 200:
            last_ok[chat] = call.time
        elif call.status == 429:
            if call.time - last_ok.get(chat, -10.0) < 1.0:
                per_chat += 1
            else:
                overall += 1
            broadcast += call.params.get("text") == MESSAGE
    return overall, per_chat, broadcast


def explain_429s(tg: FakeTelegram, ack_texts: frozenset[str]) -> list[str]:
    """For each refused send: what it was, and the chat's previous accepted message (what, how long before)."""
    def kind(call: Call) -> str:
        text = call.params.get("text")
        return "broadcast" if text == MESSAGE else "ack-answer" if text in ack_texts else "answer"

    previous: dict[int, Call] = {}
    lines = []
    for call in tg.calls:
        if call.method not in ("sendMessage", "sendDocument", "sendPhoto"):
            continue
        chat = int(call.params.get("chat_id", 0))
        if call.status == 429:
            before = previous.get(chat)
            after = f"{kind(before)} {call.time - before.time:.3f}s before" if before else "nothing before"
            lines.append(f"  429 on {kind(call)} to {chat}; previous: {after}")
        elif call.status == 200:
            previous[chat] = call
    return lines


def acks_recorded(db_path: Path) -> int:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM broadcast_acks").fetchone()[0])


async def run_loaded(leaders: int, rate: float, seed: int, ack_share: float = 0.85,
                     ack_delay: tuple[float, float] = (0.3, 4.0), busy_ack: bool = False,
                     within: float = 900.0) -> Loaded:
    """One loaded run on a fresh database and fake server."""
    load_start = os.getloadavg()[0]
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-") as folder:
        db_path = Path(folder) / "bench.sqlite3"
        await prepare(db_path, leaders, queue=False)
        async with FakeTelegram(flood_control=True, overall_rate=int(rate)) as tg:
            crowd = Crowd(tg, leaders, rng, ack_share, ack_delay, busy_ack)
            process = await start_bot(db_path, tg, rate, False)
            try:
                await tg.wait_for("getUpdates", within=60, since=0)
                pressed = await staff_sends(tg)
                busy = crowd.start_busy(pressed, (leaders - 1) / rate)
                await until(lambda: len(received(tg)) >= leaders, within, "every leader's message")
                await until(lambda: unsettled(db_path) == 0, within, "every delivery settled")
                await asyncio.gather(*busy)
                await until(lambda: crowd.pending_acks() == 0, within, "the last ack press")
                # The last presses' answers (an unanswered one is counted, not waited for forever).
                await until(lambda: crowd.acks_unanswered() == 0, ANSWER_WITHIN, "answers to the acks")
            except TimeoutError as exc:
                print(f"  {exc}", file=sys.stderr)
            finally:
                log = await stop_bot(process, Path(folder) / "bot.log")
            for handle in crowd.timers:
                handle.cancel()
            for text in explain_429s(tg, crowd.ack_texts):
                print(text, file=sys.stderr)
            if "Traceback" in log:
                print(log[-3000:], file=sys.stderr)
            got = received(tg)
            per_chat = Counter(chat for chat, _ in got)
            expected = {FIRST_CHAT + i for i in range(leaders)}
            first, last = (got[0][1], got[-1][1]) if got else (0.0, 0.0)
            window_sends = sum(1 for c in tg.calls if c.method == "sendMessage" and c.status == 200
                               and first <= c.time <= last)
            overall, chat_429s, broadcast_429s = classify_429s(tg)
            answered = set(tg.answered)
            return Loaded(
                leaders, rate, last - pressed if got else 0.0, window_sends, last - first,
                overall_429s=overall, chat_429s=chat_429s, broadcast_429s=broadcast_429s,
                lost=len(expected - set(per_chat)), duplicated=sum(n - 1 for n in per_chat.values() if n > 1),
                acks_pressed=sum(crowd.acks.values()), acks_unanswered=crowd.acks_unanswered(),
                acks_recorded=acks_recorded(db_path), updates=crowd.updates,
                updates_unanswered=crowd.unanswered,
                presses_unanswered=sum(1 for i in crowd.press_ids if i not in answered), waits=crowd.waits,
                statuses=statuses(db_path), load=(load_start, os.getloadavg()[0]))


async def start_hog(folder: Path) -> asyncio.subprocess.Process:
    """A CPU hog: one Python busy loop at normal priority (one of the machine's cores, all the time)."""
    return await spawn_logged([sys.executable, "-c", "while True: pass"], folder / "hog.log")
