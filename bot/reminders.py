"""When class reminders are due: pure planning plus the job body that enqueues them.

The classes table is the truth: each class keeps `next_reminder_at`, the earliest reminder
still to queue, so the idle run is one indexed probe. Queued rows are unique on
(kind, ref, person) with ref `reminder:{class}:{offset seconds}:{version}`, so a second run,
a restart or a clock jump never queues one twice; an edit (new version) moves them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.model import Reply
from bot.store import classes
from bot.store.classes import ClassRow
from bot.store.db import Database

log = logging.getLogger(__name__)

ReplyBuilder = Callable[[ClassRow, timedelta, datetime], Reply]  # (class, offset, now)


def next_due(starts_at: datetime, offsets: Sequence[timedelta], after: datetime) -> datetime | None:
    """The earliest reminder time strictly after `after`, or None (none left that makes sense)."""
    future = [starts_at - o for o in offsets if starts_at - o > after]
    return min(future) if future else None


def plan(klass: ClassRow, offsets: Sequence[timedelta], now: datetime) -> tuple[timedelta | None, list[timedelta]]:
    """(the offset to send now, the offsets missed and skipped).

    Only reminders falling due after the class was planned or last changed count (a class
    planned 3 hours ahead gets no 1-day reminder). When several fell due (the bot was down),
    only the latest is sent: two reminders at once would only confuse.
    """
    if now >= klass.starts_at:
        return None, []
    pending_from = klass.next_reminder_at or klass.reminders_from  # earlier ones were already queued
    due = sorted((o for o in offsets if klass.reminders_from < klass.starts_at - o <= now
                  and klass.starts_at - o >= pending_from), reverse=True)
    if not due:
        return None, []
    return due[-1], due[:-1]


async def enqueue_due(db: Database, offsets: Sequence[timedelta], now: datetime, build: ReplyBuilder) -> int:
    """Queue every reminder due at `now`; return how many delivery rows are new."""
    queued = 0
    for klass in await classes.due_for_reminders(db, now):
        following = next_due(klass.starts_at, offsets, max(now, klass.reminders_from))
        if now >= klass.starts_at:
            log.warning("class %s started before its reminder was queued; reminder skipped", klass.id)
            await classes.enqueue_reminder(db, klass, None, None, now=now, next_reminder=None)
            continue
        offset, missed = plan(klass, offsets, now)
        for old in missed:
            log.info("class %s: reminder %s before start was missed; a later one is sent instead", klass.id, old)
        if offset is None:
            await classes.enqueue_reminder(db, klass, None, None, now=now, next_reminder=following)
            continue
        queued += await classes.enqueue_reminder(
            db, klass, int(offset.total_seconds()), build(klass, offset, now), now=now, next_reminder=following)
    return queued
