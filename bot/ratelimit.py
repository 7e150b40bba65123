"""Per-person flood limit: a token bucket (a burst, refilled at a steady rate) on an injectable clock.

What an event costs depends on what it asks of the bot. Pressing a button or typing the number
of an option only picks from what the bot showed: it costs nothing and is never refused. A
command costs little; free text and uploads (which may be stored) cost more. So a leader paging
through a topic or answering a quiz quickly is never silenced, while a script sending ten texts
a second is stopped within a second or two and the bot keeps serving everyone else.

A refused person is told how long to wait, at most once every WARN_EVERY seconds; a refused
command is always answered. When the person is served again the bot says how many messages
were skipped, so nothing is dropped silently. Kept in memory (a restart forgives).
"""

from __future__ import annotations

import math
from collections.abc import Container
from dataclasses import dataclass
from enum import Enum

from bot.clock import Clock
from bot.config import Config
from bot.content.texts import Texts
from bot.model import Event, Identity, Reply
from bot.textutil import fold

DEFAULT_BURST = 30.0  # tokens a person starts with (and may save up to)
DEFAULT_RATE = 1.0  # tokens added per second
WARN_EVERY = 5.0  # seconds between two "please wait" notices to one person
_SWEEP_EVERY = 1000  # checks between sweeps of idle people, so memory stays bounded
_OPTION_NUMBER_DIGITS = 2  # "1" … "99" typed on Zalo/console picks a shown option


class Cost(Enum):
    """What an event costs, in tokens."""

    CHOICE = 0.0  # a button, or a typed option number
    COMMAND = 1.0  # /quiz, or a command word typed on Zalo/console ("menu")
    TEXT = 2.0  # free text: may be stored, and has to be read
    UPLOAD = 3.0  # a photo, voice note, file or contact


def cost_of(event: Event, command_words: Container[str] = frozenset()) -> Cost:
    """Classify an event before any database work: buttons and typed option numbers are free."""
    if event.kind == "choice":
        return Cost.CHOICE
    if event.kind == "command":
        return Cost.COMMAND
    if event.kind != "text":
        return Cost.UPLOAD
    typed = event.value.strip().rstrip(".)")
    if typed.isdigit() and len(typed) <= _OPTION_NUMBER_DIGITS:
        return Cost.CHOICE
    if typed.startswith("/") or fold(typed) in command_words:
        return Cost.COMMAND
    return Cost.TEXT


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one event."""

    allowed: bool
    warn: bool = False  # refused and the person was not told lately: tell them now
    wait_seconds: int = 0  # refused: when an event of this cost will be served again
    skipped: int = 0  # allowed after refusals: how many events were not processed
    command: bool = False  # refused event was a command (always answered)


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was computed
    skipped: int = 0
    warned_at: float = -math.inf


class RateLimiter:
    """A token bucket per identity."""

    def __init__(self, clock: Clock, burst: float = DEFAULT_BURST, rate: float = DEFAULT_RATE) -> None:
        if burst < max(c.value for c in Cost) or rate <= 0:
            raise ValueError("rate limit needs a burst of at least one text and a rate > 0")
        self.clock = clock
        self.burst = burst
        self.rate = rate
        self._buckets: dict[Identity, _Bucket] = {}
        self._checks = 0

    @classmethod
    def from_config(cls, clock: Clock, config: Config) -> RateLimiter:
        """Limits from CAUNOI_FLOOD_BURST (tokens) and CAUNOI_FLOOD_RATE (tokens per second)."""
        return cls(clock, config.flood_burst, config.flood_rate)

    def check(self, identity: Identity, cost: Cost = Cost.TEXT) -> Verdict:
        """Spend `cost` tokens of `identity` if they have them; otherwise say how long to wait."""
        now = self.clock.now().timestamp()
        self._checks += 1
        if self._checks % _SWEEP_EVERY == 0:
            self._sweep(now)
        bucket = self._buckets.get(identity)
        if bucket is None:
            bucket = self._buckets[identity] = _Bucket(self.burst, now)
        # A clock that jumps back must not take tokens away.
        bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= cost.value:
            bucket.tokens -= cost.value
            skipped, bucket.skipped = bucket.skipped, 0
            return Verdict(True, skipped=skipped)
        bucket.skipped += 1
        warn = now - bucket.warned_at >= WARN_EVERY or now < bucket.warned_at
        if warn:
            bucket.warned_at = now
        wait = max(1, math.ceil((cost.value - bucket.tokens) / self.rate))
        return Verdict(False, warn=warn, wait_seconds=wait, command=cost is Cost.COMMAND)

    def _sweep(self, now: float) -> None:
        """Forget people whose bucket is full again and who have nothing skipped to be told."""
        full = [key for key, b in self._buckets.items()
                if not b.skipped and b.tokens + (now - b.at) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


def refusal(verdict: Verdict, texts: Texts) -> list[Reply]:
    """The reply to a refused event: how long to wait, unless told in the last few seconds.
    A refused command is always answered, so nobody is left wondering why /menu did nothing."""
    if verdict.command:
        return [Reply(texts("ratelimit.command_wait", seconds=verdict.wait_seconds))]
    if not verdict.warn:
        return []
    return [Reply(texts("ratelimit.too_fast", seconds=verdict.wait_seconds))]


def skipped_notice(verdict: Verdict, texts: Texts) -> list[Reply]:
    """Told before the first answer after being limited: how many messages were not processed."""
    if not verdict.skipped:
        return []
    return [Reply(texts("ratelimit.skipped", count=verdict.skipped))]
