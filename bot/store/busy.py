"""A locked database or a full disk: recognise it and retry briefly (issue 20 item 4).

SQLite reports both as OperationalError; they are passing conditions (another process holds
the write lock, space is freed), so the caller retries a few times and then tells the person
to send again later instead of dropping the message.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeGuard, TypeVar

T = TypeVar("T")
_MARKERS = ("database is locked", "database is busy", "database table is locked",
            "database or disk is full", "disk i/o error")
PAUSES = (0.2, 0.5)  # seconds between attempts; SQLite's busy_timeout already waited in each


def is_busy(error: BaseException) -> TypeGuard[sqlite3.OperationalError]:
    """Whether `error` is SQLite saying it is locked or out of space (not a bug in a query)."""
    return isinstance(error, sqlite3.OperationalError) and str(error).lower().startswith(_MARKERS)


async def retrying(operation: Callable[[], Awaitable[T]], pauses: tuple[float, ...] = PAUSES) -> T:
    """Run `operation`, again after each pause while the database is busy; the last error is raised."""
    for pause in pauses:
        try:
            return await operation()
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
        await asyncio.sleep(pause)
    return await operation()
