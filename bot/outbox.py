"""The outbox workers: durable, paced delivery of everything that is not a direct reply.

One worker per running channel takes that channel's due `pending` rows in id order. For each
row it reserves a slot from the channel's pacer (bot/pacer.py, shared with the channel's direct
replies; its own pacer for channels that have none and for paid broadcasts), claims the row
(`sending`, written before the call) just before that slot, calls `channel.deliver` with the
ticket, and writes the result at once. One gate, right before the request: a claimed row never
queues behind other sends, so a crash leaves in doubt only what was really on its way (on
Telegram it may still wait up to a second after a reply to the same person: 1 message/s per chat,
bot/channels/telegram_limiter.py). Several sends may be in flight so the rate is reached even
when one HTTP call takes longer than 1/rate.

- Flood control (RetryAfter): the whole worker pauses `seconds`; the row goes back to pending.
  One chat's limit (`chat_only`: a message to that chat had just gone) holds only that row back
  (`not_before`, no attempt counted); the others go on.
- Blocked: the person is marked unreachable, the row `blocked`.
- Transient: retried with exponential backoff (not_before, on the bot's clock) up to
  `max_attempts`, then `failed`. Rejected: `failed`.
- Unknown (timeout after sending): `unknown`, never resent automatically.
- QuotaExceeded: the row goes back to pending, the worker stops for `quota_pause` seconds and
  staff are told on another channel (and the log says so loudly).
- At start, rows a crash left in `sending` become `unknown`; pending rows simply continue.

The person is re-checked when the row is claimed (bot/store/outbox.claim): deleted, /stop
(except staff answers to the person's own question), unreachable, or gone from this channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiosqlite

from bot import staff
from bot.channels.base import Blocked, Channel, QuotaExceeded, Rejected, RetryAfter, Transient, Unknown
from bot.clock import Steady, iso
from bot.config import Config
from bot.context import Services
from bot.model import Reply
from bot.pacer import Pacer, Ticket
from bot.store import outbox as store
from bot.store import people
from bot.store.db import Database

log = logging.getLogger(__name__)
Op = Callable[[aiosqlite.Connection], Awaitable[Any]]

# Seconds between two tries to record a send's result (doubling up to the maximum).
RESULT_RETRY_FIRST, RESULT_RETRY_MAX = 0.05, 5.0
# Messages for staff only: they go to an identity listed as staff, not to every identity of the person.
STAFF_ONLY_KINDS = frozenset({"digest", "alert", "bprogress", "bdone"})
# Claim a row this much earlier than a usual claim takes (a database write, ~1 ms).
MIN_LEAD = 0.002


@dataclass(frozen=True)
class ChannelSettings:
    """How fast and how patiently one channel's worker sends."""

    rate: float = 30.0  # messages per second overall; 0 = no limit
    per_chat: float = 1.0  # seconds between two messages to the same person; 0 = none
    paid_rate: float = 0.0  # > 0: kinds in paid_kinds go out with deliver(paid=True) at this rate
    paid_kinds: frozenset[str] = frozenset({"broadcast"})
    concurrency: int = 8  # sends in flight at once
    max_attempts: int = 5  # for network / server errors
    backoff: float = 2.0  # seconds before the first retry; doubles each time
    quota_pause: float = 3600.0  # seconds the worker rests after QuotaExceeded
    idle_poll: float = 0.5  # seconds between two looks at the table when idle


def settings_for(config: Config, channel: str) -> ChannelSettings:
    """Per-channel settings from the configuration (CAUNOI_TELEGRAM_RATE, CAUNOI_PAID_BROADCAST,
    CAUNOI_PAID_RATE, CAUNOI_ZALO_RATE, CAUNOI_OUTBOX_CONCURRENCY)."""
    concurrency = config.outbox_concurrency
    if channel == "tg":
        paid_rate = config.paid_rate if config.paid_broadcast else 0.0
        return ChannelSettings(rate=config.telegram_rate, per_chat=1.0, paid_rate=paid_rate,
                               concurrency=concurrency)
    if channel == "zalo":
        return ChannelSettings(rate=config.zalo_rate, per_chat=1.0, concurrency=concurrency)
    return ChannelSettings(rate=0.0, per_chat=0.0, concurrency=concurrency)


@dataclass
class WorkerStats:
    """What one worker did since start (the bench and logs read it)."""

    counts: Counter[str] = field(default_factory=Counter)

    def __getitem__(self, key: str) -> int:
        return self.counts[key]


class GroupWriter:
    """Runs the outbox's small writes (claims, results) as soon as the writer is free, several per
    transaction: whatever queued while the previous transaction ran goes into the next one (group
    commit). Nothing waits on purpose, so each result is written at once, yet 1,000 sends a second
    do not need 2,000 commits a second. An operation runs to its end even if its caller is cancelled.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        # Claims and results are fsynced: after a power cut a message recorded as sent stays sent
        # (README "Durability"; bench/durability.py measures the cost).
        self.durable = True
        self._queue: list[tuple[Op, asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def run(self, op: Op) -> Any:
        """Queue `op(conn)` and return its result once committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((op, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush(), name="outbox-writer")
        return await asyncio.shield(future)

    async def idle(self) -> None:
        """Wait until everything queued is written."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self.db.write(durable=self.durable) as conn:
                    results = [await op(conn) for op, _ in batch]
            except Exception:
                # One bad operation must not sink the others: run each in its own transaction.
                for op, future in batch:
                    try:
                        async with self.db.write(durable=self.durable) as conn:
                            result = await op(conn)
                    except Exception as exc:
                        if not future.done():
                            future.set_exception(exc)
                    else:
                        if not future.done():
                            future.set_result(result)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


class ChannelWorker:
    """Sends one channel's due rows, paced, several in flight."""

    def __init__(self, outbox: Outbox, channel: Channel, settings: ChannelSettings) -> None:
        self.outbox = outbox
        self.channel = channel
        self.name = channel.name
        self.settings = settings
        # A channel serving one identity only (a `caunoi chat` terminal) takes only that one's rows.
        self.address: str | None = getattr(channel, "only_address", None)
        self.stats = WorkerStats()
        # The channel's pacer when it has one (its replies and these sends share one budget),
        # else one of our own at the configured rate; paid broadcasts have their own limit.
        self._shared: Pacer | None = getattr(channel, "pacer", None)
        self._pacer = self._shared or (Pacer(settings.rate) if settings.rate > 0 else None)
        self._paid_pacer = Pacer(settings.paid_rate) if settings.paid_rate > 0 else None
        # The outbox's own spacing (settings.rate, eased by _speed), on top of the pacer's.
        self._next_slot = 0.0
        # Eased down 3 % by each flood-control answer (to at most 85 %, i.e. 25/s of 30/s) and
        # back up slowly with each accepted send: whatever made the server refuse does not repeat.
        self._speed = 1.0
        self._paused_until = 0.0
        self._chat_ready: dict[int, float] = {}  # person id -> monotonic time of their next allowed send
        self._sending_to: set[int] = set()  # people with a send in flight
        self._inflight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished = asyncio.Event()  # set whenever a send settles (frees room for the next)
        self._claims: deque[float] = deque(maxlen=16)  # seconds the last claims took
        # Seconds each recent send held its row, less the time it waited for its slot: the
        # channel's own time, which decides how many must be in flight to keep the pace (_cap).
        self._busy: deque[float] = deque(maxlen=16)
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Run in the background."""
        self._stopping = False
        self._runner = asyncio.create_task(self._run(), name=f"outbox-{self.name}")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking rows; let in-flight sends record their result (up to `grace` seconds)."""
        self._stopping = True
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()  # its row stays `sending` and becomes `unknown` at the next start
            if late:
                await asyncio.gather(*late, return_exceptions=True)

    def wake(self) -> None:
        """New rows were queued: look now rather than at the next poll."""
        self._wake.set()

    @property
    def speed(self) -> float:
        """The share of the configured rate the worker paces at now (1.0 until flood control answers)."""
        return self._speed

    @property
    def busy(self) -> bool:
        """Whether sends are in flight."""
        return bool(self._inflight)

    def hold(self, person_id: int, seconds: float) -> None:
        """Send nothing to this person for `seconds` (a direct reply to them is on its way)."""
        self._chat_ready[person_id] = max(self._chat_ready.get(person_id, 0.0), time.monotonic() + seconds)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (flood control or quota). The channel's pacer is not paused:
        its replies go on (after a 429 the channel pauses it itself)."""
        until = time.monotonic() + max(seconds, 0.0)
        self._paused_until = max(self._paused_until, until)
        self._next_slot = max(self._next_slot, self._paused_until)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox worker %s: round failed; retrying in 1 s", self.name)
                await asyncio.sleep(1.0)

    async def _round(self) -> None:
        pause = self._paused_until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        services = self.outbox.services
        rows = [r for r in await store.due(services.db, self.name, self.outbox.steady.now(), limit=200,
                                           address=self.address)
                if r.id not in self._inflight]
        if not rows:
            await self._idle(self.settings.idle_poll)
            return
        launched = False
        soonest = float("inf")
        for row in rows:
            if self._paused_until > time.monotonic():
                return
            if row.person_id in self._sending_to:
                continue
            ready = self._chat_ready.get(row.person_id, 0.0)
            if ready > time.monotonic():
                soonest = min(soonest, ready)
                continue
            launched = await self._launch(row) or launched
        if not launched:  # every row waits for its person: until the soonest, or a send settles
            await self._idle(min(max(soonest - time.monotonic(), 0.005), self.settings.idle_poll))
        self._prune()

    def _cap(self, pacer: Pacer | None) -> int:
        """How many sends may be in flight: enough to keep the pace when a send takes longer than
        the interval (twice the quickest recent send, plus one), never more than `concurrency`.
        Few in flight means few rows left `sending` (so `unknown`) if the process is killed."""
        if pacer is None:
            return max(self.settings.concurrency, 1)
        quickest = min(self._busy) if self._busy else pacer.interval
        return max(1, min(self.settings.concurrency, math.ceil(2 * quickest / pacer.interval) + 1))

    def _lead(self, pacer: Pacer) -> float:
        """How long before its slot a row is claimed: a usual claim's time (the median of the
        recent ones) plus a little, at most half an interval. A slow claim makes its send a little
        late, which the pacer's window rule allows for; claiming earlier would leave more rows
        `sending` without being on their way."""
        typical = sorted(self._claims)[len(self._claims) // 2] if self._claims else 0.0
        return min(typical + MIN_LEAD, pacer.interval / 2)

    async def _launch(self, row: store.Due) -> bool:
        """Wait for room, reserve the row's slot, and start its send (claim, deliver, record) just
        before the slot."""
        paid = self._paid_pacer is not None and row.kind in self.settings.paid_kinds
        pacer = self._paid_pacer if paid else self._pacer
        ticket: Ticket | None = None
        if pacer is not None:
            # The slot is reserved before waiting for room: a send that held its room a little
            # long (a busy event loop) makes this one late, not every later one — the slots stay
            # on their grid and the late ones go as soon as there is room.
            ticket = pacer.reserve(not_before=self._next_slot)
            own_rate = (self.settings.paid_rate if paid else self.settings.rate) * self._speed
            self._next_slot = ticket.at + (1.0 / own_rate if own_rate > 0 else 0.0)
        while len(self._inflight) >= self._cap(pacer):
            self._finished.clear()
            await self._finished.wait()
        if pacer is not None and ticket is not None:
            delay = ticket.at - self._lead(pacer) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        if self._paused_until > time.monotonic():  # flood control arrived while waiting
            if pacer is not None and ticket is not None:
                pacer.release(ticket)
            return False
        self._sending_to.add(row.person_id)
        self._inflight.add(row.id)
        task = asyncio.create_task(self._send(row, paid, pacer, ticket))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _idle(self, seconds: float) -> None:
        self._wake.clear()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    def _prune(self) -> None:
        if len(self._chat_ready) > 5000:
            now = time.monotonic()
            self._chat_ready = {k: v for k, v in self._chat_ready.items() if v > now}

    async def _send(self, row: store.Due, paid: bool, pacer: Pacer | None, ticket: Ticket | None) -> None:
        """Claim the row (written before the call), call the channel, write the result at once.
        A cancellation during the call leaves the row `sending`, as a crash would."""
        began = time.monotonic()
        writer = self.outbox.writer
        try:
            if row.kind in STAFF_ONLY_KINDS and not await self._staff_address(row):
                self.stats.counts["not_staff"] += 1
                return
            claim: store.Claim = await writer.run(
                lambda conn: store.claim_in(conn, row.id, self.name, self.outbox.channels))
            claimed = time.monotonic()
            self._claims.append(claimed - began)
            if claim.action != "send":
                if pacer is not None and ticket is not None and pacer.release(ticket):
                    self._next_slot = min(self._next_slot, ticket.at)  # nothing went out
                self.stats.counts[claim.action] += 1
                if claim.action == "moved":
                    self.outbox.wake(claim.channel)
                return
            await self._deliver(row, claim, paid, pacer, ticket)
            if ticket is not None and ticket.started:
                self._busy.append((claimed - began) + (time.monotonic() - ticket.started))
        finally:
            if self.settings.per_chat > 0:
                ready = time.monotonic() + self.settings.per_chat  # from the answer: the request arrived before it
                self._chat_ready[row.person_id] = max(self._chat_ready.get(row.person_id, 0.0), ready)
            self._sending_to.discard(row.person_id)
            self._inflight.discard(row.id)
            self._finished.set()
            self._wake.set()

    async def _write_result(self, op: Op) -> None:
        """Write a send's result, again until it is written (locked database, full disk): a row left
        `sending` would hold its broadcast open until a restart, then be offered for resending
        although the message arrived. The row stays in flight meanwhile, so nothing else takes it."""
        delay = RESULT_RETRY_FIRST
        while True:
            try:
                await self.outbox.writer.run(op)
                return
            except sqlite3.OperationalError as exc:
                self.stats.counts["result_retry"] += 1
                log.warning("outbox %s: could not record a result (%s); retrying in %.1f s", self.name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RESULT_RETRY_MAX)

    async def _staff_address(self, row: store.Due) -> bool:
        """Whether a staff-only row may go out here: only to an identity listed as staff, never to
        another identity the person linked (a guessed /link must not receive the digest). Else the
        row moves to the person's staff identity on another running channel, or is skipped."""
        services = self.outbox.services
        listed = [i for i in await people.identities_of(services.db, row.person_id)
                  if await staff.lookup(services.db, services.config, i) is not None]
        if any(i.channel == self.name for i in listed):
            return True
        elsewhere = next((i.channel for i in listed if i.channel in self.outbox.channels), None)
        await self.outbox.writer.run(lambda conn: store.reroute_or_skip_in(conn, row.id, elsewhere))
        if elsewhere is not None:
            self.outbox.wake(elsewhere)
        return False

    async def _deliver(self, row: store.Due, claim: store.Claim, paid: bool, pacer: Pacer | None,
                       ticket: Ticket | None) -> None:
        try:
            reply = row.reply()
            if pacer is not None and pacer is self._shared:  # the channel's gate, right before its request
                message_id = await self.channel.deliver(claim.address, reply, paid=paid, ticket=ticket)
            elif pacer is not None:  # our own pacer: the gate is here
                async with pacer.slot(ticket):
                    message_id = await self.channel.deliver(claim.address, reply, paid=paid)
            else:
                message_id = await self.channel.deliver(claim.address, reply, paid=paid)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bad payload (ValueError, TypeError) or the channel's answer
            await self._record(row, claim, exc)
        else:
            await self._record(row, claim, None, message_id)
        finally:
            if pacer is not None and ticket is not None and not ticket.started:
                pacer.release(ticket)  # nothing went out (a bad payload or address): give the slot back

    async def _record(self, row: store.Due, claim: store.Claim, error: Exception | None,
                      message_id: str | None = None) -> None:
        """Write the result of one send (or of its failure) and act on it."""
        services = self.outbox.services
        write = self._write_result
        counts = self.stats.counts
        now = services.clock.now()
        if error is None:
            counts["sent"] += 1
            self._speed = min(1.0, self._speed + 0.0005)
            await write(lambda conn: store.mark_sent_in(conn, row.id, message_id, now))
        elif isinstance(error, RetryAfter) and error.chat_only:  # that chat's second: only its row waits
            counts["retry_after"] += 1
            when = now + timedelta(seconds=error.seconds)
            await write(lambda conn: store.release_in(conn, row.id, f"chat busy, retry after {error.seconds}s", when))
        elif isinstance(error, RetryAfter):
            counts["retry_after"] += 1
            self._speed = max(0.85, self._speed * 0.97)
            log.warning("outbox %s: flood control, pausing %.1f s", self.name, error.seconds)
            self.pause(error.seconds)
            await write(lambda conn: store.release_in(conn, row.id, f"retry after {error.seconds}s"))
        elif isinstance(error, Blocked):
            counts["blocked"] += 1
            await write(lambda conn: store.mark_blocked_in(conn, row.id, row.person_id, str(error) or "blocked"))
        elif isinstance(error, Transient) and claim.attempts < self.settings.max_attempts:
            counts["retried"] += 1
            when = now + timedelta(seconds=self.settings.backoff * 2 ** (claim.attempts - 1))
            await write(lambda conn: store.retry_at_in(conn, row.id, when, str(error)))
        elif isinstance(error, Transient):
            counts["failed"] += 1
            text = f"gave up after {claim.attempts} tries: {error}"
            await write(lambda conn: store.mark_in(conn, row.id, "failed", text))
        elif isinstance(error, Unknown):
            counts["unknown"] += 1
            await write(lambda conn: store.mark_in(conn, row.id, "unknown", str(error) or "timeout after sending"))
        elif isinstance(error, QuotaExceeded):
            counts["quota"] += 1
            self.pause(self.settings.quota_pause)
            await write(lambda conn: store.release_in(conn, row.id, f"quota exceeded: {error}"))
            await self.outbox.alert_quota(self.name, str(error))
        else:  # Rejected, a bad payload, or a channel bug: never resend blindly
            if not isinstance(error, (Rejected, ValueError, TypeError)):
                log.error("outbox %s: delivery %s raised %r", self.name, row.id, error)
            counts["failed"] += 1
            text = f"{type(error).__name__}: {error}"
            await write(lambda conn: store.mark_in(conn, row.id, "failed", text))


class Outbox:
    """The component `caunoi run` starts beside the channels: one ChannelWorker per channel."""

    def __init__(
        self, services: Services, channels: Mapping[str, Channel],
        settings: Mapping[str, ChannelSettings] | None = None, *, shared: bool = False,
    ) -> None:
        self.services = services
        # shared: another process (`caunoi run`) may be sending the other channels' rows right now,
        # so their `sending` rows are not crashed ones and their pending rows are not to be moved.
        self.shared = shared
        self.channels = dict(channels)
        self.writer = GroupWriter(services.db)
        self.steady = Steady(services.clock)  # what is due never goes back with the wall clock
        chosen = dict(settings or {})
        self.workers = {
            name: ChannelWorker(self, channel, chosen.get(name) or settings_for(services.config, name))
            for name, channel in self.channels.items()
        }

    async def start(self) -> None:
        """Settle what a crash left behind, then start every worker."""
        db = self.services.db
        if not self.shared:
            recovered = await store.recover(db)
            if recovered:
                log.warning("outbox: %d deliveries were being sent when the bot stopped; marked unknown", recovered)
            moved = await store.reroute(db, self.channels)
            if moved:
                log.info("outbox: %d pending deliveries moved to a running channel", moved)
        self.services.hooks = self
        for worker in self.workers.values():
            worker.start()

    async def stop(self) -> None:
        """Stop every worker, letting in-flight sends finish briefly."""
        await asyncio.gather(*(worker.stop() for worker in self.workers.values()))
        await self.writer.idle()

    def wake(self, channel: str | None = None) -> None:
        """Rows were queued (for `channel`, or any): workers look now."""
        for name, worker in self.workers.items():
            if channel is None or name == channel:
                worker.wake()

    def hold(self, person_id: int) -> None:
        """Keep queued messages away from a person the bot is answering right now: the direct reply
        and an outbox message in the same second would break Telegram's 1 message/s per chat."""
        for worker in self.workers.values():
            worker.hold(person_id, 1.5 * worker.settings.per_chat)

    async def edit(self, channel: str, address: str, message_id: str, reply: Reply) -> bool:
        """Edit a message the outbox delivered (progress reports); False if not possible."""
        target = self.channels.get(channel)
        if target is None:
            return False
        try:
            await target.edit(address, message_id, reply)
        except Exception as exc:  # an edit is cosmetic: never let it break the caller
            log.info("outbox: edit of %s on %s failed: %s", message_id, channel, exc)
            return False
        return True

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts per channel: sent, blocked, retry_after (429), failed, unknown, skipped…"""
        return {name: dict(worker.stats.counts) for name, worker in self.workers.items()}

    async def alert_quota(self, channel: str, detail: str) -> None:
        """Tell staff (on another running channel) that `channel` is out of quota; always log it."""
        log.error("OUTBOX: channel %s is out of quota (%s); its deliveries wait %.0f s",
                  channel, detail, self.workers[channel].settings.quota_pause)
        services = self.services
        now = services.clock.now()
        text = services.content.texts("outbox.quota_alert", channel=channel,
                                      minutes=round(self.workers[channel].settings.quota_pause / 60))
        if note := getattr(self.channels[channel], "quota_note", ""):  # the channel's plan, e.g. Zalo's
            text = f"{text}\n\n{note}"
        ref = f"{channel}:{iso(now)[:13]}"  # at most one alert per channel per hour
        for identity in services.config.admins:
            if identity.channel == channel or identity.channel not in self.workers:
                continue
            person = await people.by_identity(services.db, identity)
            if person is not None:
                await store.enqueue_on(services.db, "alert", ref, person.id, identity.channel, Reply(text), now)
                self.wake(identity.channel)

    async def drain(self, within: float = 10.0) -> bool:
        """Wait until no due row is pending and nothing is in flight (tests, bench); False on timeout."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            busy = any(w.busy for w in self.workers.values())
            if not busy:
                due = [await store.due(self.services.db, name, self.steady.now(), limit=1,
                                       address=worker.address)
                       for name, worker in self.workers.items()]
                if not any(due) and not any(w.busy for w in self.workers.values()):
                    return True
            await asyncio.sleep(0.02)
        return False
