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


def iso(moment: datetime) -> str:
    """A UTC timestamp as stored in SQLite: sortable text, e.g. 2026-12-05T01:00:00.000000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Inverse of iso()."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
