"""Time: one injectable clock, so tests control it and nothing waits for real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The real clock; times are timezone-aware UTC."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class FakeClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 12, 1, 1, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The frozen time."""
        return self.current

    def advance(self, delta: timedelta) -> None:
        """Move time forward (or back, for clock-jump tests)."""
        self.current += delta


class Steady:
    """A view of a clock that never goes back: after the machine's clock is set back, it stays at
    the latest time seen until the clock catches up (issue 20 item 10). For deciding what is due,
    never for what is stored: a step back must not hold back what was already due."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._latest: datetime | None = None

    def now(self) -> datetime:
        """The clock's time, or the latest time it showed if it is earlier now."""
        current = self.clock.now()
        if self._latest is None or current > self._latest:
            self._latest = current
        return self._latest


def iso(moment: datetime) -> str:
    """A UTC timestamp as stored in SQLite: sortable text, e.g. 2026-12-05T01:00:00.000000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Inverse of iso()."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
