"""Per-person flood limit: more than `limit` events in `window` seconds are not processed.

The person is told once per flood that messages sent too fast are skipped, and when they
are served again the bot says how many were skipped — nothing is dropped silently.
Only processed events count, so a flood never extends itself: the person waits at most
`window` seconds. Kept in memory (a restart forgives), keyed by channel identity.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.config import Config
from bot.content.texts import Texts
from bot.model import Identity, Reply

DEFAULT_LIMIT = 30
DEFAULT_WINDOW = 60.0
_SWEEP_EVERY = 1000  # checks between sweeps of idle people, so memory stays bounded


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one event."""

    allowed: bool
    warn: bool = False  # refused, and the first refusal of this flood: tell the person
    wait_seconds: int = 0  # refused: when the next event will be processed
    skipped: int = 0  # allowed after a flood: how many events were not processed


@dataclass
class _State:
    times: deque[float] = field(default_factory=deque)
    skipped: int = 0


class RateLimiter:
    """A sliding-window counter per identity on an injectable clock."""

    def __init__(self, clock: Clock, limit: int = DEFAULT_LIMIT, window: float = DEFAULT_WINDOW) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("rate limit needs limit >= 1 and window > 0")
        self.clock = clock
        self.limit = limit
        self.window = window
        self._states: dict[Identity, _State] = {}
        self._checks = 0

    @classmethod
    def from_config(cls, clock: Clock, config: Config) -> RateLimiter:
        """Limits from CAUNOI_FLOOD_LIMIT (events) and CAUNOI_FLOOD_WINDOW (seconds)."""
        return cls(clock, config.flood_limit, config.flood_window)

    def check(self, identity: Identity) -> Verdict:
        """Count one event of `identity` if it may be processed now."""
        now = _seconds(self.clock.now())
        self._checks += 1
        if self._checks % _SWEEP_EVERY == 0:
            self._sweep(now)
        state = self._states.setdefault(identity, _State())
        times = state.times
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            state.skipped += 1
            wait = max(1, int(times[0] + self.window - now + 0.999))
            return Verdict(False, warn=state.skipped == 1, wait_seconds=wait)
        times.append(now)
        skipped, state.skipped = state.skipped, 0
        return Verdict(True, skipped=skipped)

    def _sweep(self, now: float) -> None:
        idle = [key for key, s in self._states.items()
                if not s.skipped and (not s.times or s.times[-1] <= now - self.window)]
        for key in idle:
            del self._states[key]

    def __len__(self) -> int:
        return len(self._states)


def refusal(verdict: Verdict, texts: Texts) -> list[Reply]:
    """The one polite reply for the first refused event of a flood; nothing for the rest of it."""
    if not verdict.warn:
        return []
    return [Reply(texts("ratelimit.too_fast", seconds=verdict.wait_seconds))]


def skipped_notice(verdict: Verdict, texts: Texts) -> list[Reply]:
    """Told before the first answer after a flood: how many messages were not processed."""
    if not verdict.skipped:
        return []
    return [Reply(texts("ratelimit.skipped", count=verdict.skipped))]


def _seconds(moment: datetime) -> float:
    return moment.timestamp()
