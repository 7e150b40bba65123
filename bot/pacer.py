"""Pacing of sends to a channel's limit (Telegram: 30 messages in any second), shared by the
channel's direct replies and the outbox so that both draw on one budget.

Two rules decide when a send may start:
- Spacing: slots `1/rate` apart, handed out in order (`reserve`), so sends are smooth, never bursts.
- Window: a send starts only while fewer than `limit` sends are "possibly in the server's last
  `window` seconds": those still in flight, and those whose answer came back less than `window`
  ago. A send reaches the server after it starts and before its answer comes back, so the
  server never counts more than `limit` in any window, whatever the jitter on the way (a busy
  event loop, a slow database write before the call, a slow upload that arrives late). On
  loopback this costs one round trip per `limit` sends; against a far server the pace drops to
  about rate / (1 + round trip), which is the honest speed there.

A caller may reserve its slot early and prepare meanwhile (the outbox claims its row in the
database just before the slot), then `start(ticket)` waits for the slot and `finish(ticket)` is
called when the answer is back; `slot()` does both around a call. A reserved slot already allows
for the window rule as far as it can be known then, so a caller that prepares just before its
slot is not kept waiting after preparing (`start` still checks, and has the last word).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

# How often to look again while the send that opens the window has not been answered yet.
_POLL = 0.005


@dataclass(eq=False)
class Ticket:
    """One reserved slot."""

    at: float  # monotonic time the send may start
    after: float = 0.0  # the pacer's next free slot once this one was handed out
    started: float = 0.0  # when the send was let through (0: not yet)
    finished: float = 0.0  # when its answer came back (0: not yet)


class Pacer:
    """At most `rate` sends a second, smoothly, with at most `limit` in any `window` seconds."""

    def __init__(self, rate: float, window: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("a Pacer needs a positive rate")
        self.rate = rate
        self.window = window
        self.limit = max(1, math.floor(rate * window + 1e-9))
        self._next = 0.0
        self._paused_until = 0.0
        self._flying: set[Ticket] = set()  # started, answer not back yet
        self._answers: deque[float] = deque()  # when the answers of recent sends came back, in order
        self._waiting: set[Ticket] = set()  # reserved, not started yet

    @property
    def interval(self) -> float:
        """Seconds between two slots."""
        return 1.0 / self.rate

    def reserve(self, not_before: float = 0.0) -> Ticket:
        """The next free slot (no earlier than `not_before`, a monotonic time)."""
        now = time.monotonic()
        stale = [t for t in self._waiting if t.at < now - 2 * self.window]  # abandoned, never started
        self._waiting.difference_update(stale)
        room = self._room_at(now, ahead=len(self._waiting)) or 0.0  # unknown yet: `start` decides
        at = max(self._next, now, self._paused_until, not_before, room)
        self._next = at + self.interval
        ticket = Ticket(at, after=self._next)
        self._waiting.add(ticket)
        return ticket

    def release(self, ticket: Ticket) -> bool:
        """A reserved slot will not be used: give it back if no later slot was handed out."""
        self._waiting.discard(ticket)
        if not ticket.started and self._next == ticket.after:
            self._next = ticket.at
            return True
        return False

    def pause(self, seconds: float) -> None:
        """Let nothing through for `seconds` (the server asked us to wait)."""
        self._paused_until = max(self._paused_until, time.monotonic() + max(seconds, 0.0))
        self._next = max(self._next, self._paused_until)

    async def start(self, ticket: Ticket | None = None) -> Ticket:
        """Wait until the ticket's slot (a new one if None) and room in the window; mark it started."""
        ticket = ticket or self.reserve()
        while True:
            now = time.monotonic()
            room = self._room_at(now)
            ready = max(ticket.at, self._paused_until, now + _POLL if room is None else room)
            if ready <= now:  # no await between this check and the counting: concurrent starts stay counted
                ticket.started = now
                self._flying.add(ticket)
                self._waiting.discard(ticket)
                return ticket
            await asyncio.sleep(ready - now)

    def finish(self, ticket: Ticket) -> None:
        """The send's answer is back (or it failed)."""
        if ticket in self._flying:
            self._flying.discard(ticket)
            ticket.finished = time.monotonic()
            self._answers.append(ticket.finished)

    @contextlib.asynccontextmanager
    async def slot(self, ticket: Ticket | None = None) -> AsyncIterator[Ticket]:
        """`start` before the block, `finish` after it, even if it raises."""
        started = await self.start(ticket)
        try:
            yield started
        finally:
            self.finish(started)

    def _room_at(self, now: float, ahead: int = 0) -> float | None:
        """When one more send (after `ahead` others waiting to start) fits in the window: 0 for now,
        a time once enough answers have aged out of it, None if sends in flight must answer first."""
        while self._answers and self._answers[0] <= now - self.window:
            self._answers.popleft()
        excess = len(self._flying) + len(self._answers) + ahead + 1 - self.limit
        if excess <= 0:
            return 0.0
        if excess > len(self._answers):
            return None
        return self._answers[excess - 1] + self.window
