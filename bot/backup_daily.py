"""The daily backup inside `caunoi run`, and the alert to province admins when backups stop.

A Component (start/stop) of the app: it sleeps until `CAUNOI_BACKUP_HOUR` local time, makes a
verified backup in a worker thread, records it (table `backups`), applies the retention and
logs one line. Once an hour it checks that the last good backup is younger than two days.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from bot import backup
from bot.clock import iso, parse_iso
from bot.context import Services
from bot.model import Reply
from bot.store import backups, people
from bot.store import outbox as outbox_store

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(days=2)


def next_run(now: datetime, hour: int, tz: object) -> datetime:
    """The next local `hour`:00 strictly after `now`."""
    local = now.astimezone(tz)  # type: ignore[arg-type]
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


async def run_backup(services: Services) -> backup.BackupResult | None:
    """Make, record and prune one backup into CAUNOI_BACKUP_DIR; log the outcome (never raises)."""
    config, db = services.config, services.db
    if config.backup_dir is None:
        return None
    started = services.clock.now()
    try:
        result = await backup.backup_async(db.path, config.backup_dir, started, config.backup_compress)
    except backup.BackupError as exc:
        log.error("backup failed: %s", exc)
        await backups.record(db, iso(started), iso(services.clock.now()), False, None, None, str(exc))
        return None
    await backups.record(db, iso(started), iso(services.clock.now()), True, str(result.path), result.size,
                         backup.summary(result.counts))
    days, weeks = config.backup_keep
    removed = backup.prune(config.backup_dir, days, weeks, config.tz, services.clock.now())
    log.info("backup written: %s (%d bytes, %.1f s; %s); %d old backup(s) pruned", result.path, result.size,
             result.seconds, backup.summary(result.counts), len(removed))
    return result


async def alert_if_stale(services: Services, since: datetime) -> int:
    """Queue one alert a day to each province admin when the last good backup is over two days old."""
    config, now = services.config, services.clock.now()
    if config.backup_dir is None:
        return 0
    last = await backups.last(services.db)
    reference = parse_iso(last.finished_at) if last else since
    if now - reference <= STALE_AFTER:
        return 0
    texts = services.content.texts
    when = reference.astimezone(config.tz).strftime("%H:%M %d/%m/%Y") if last else texts("backup.stale_never")
    reply = Reply(texts("backup.stale_alert", days=STALE_AFTER.days, when=when))
    queued = 0
    for identity in sorted(config.admins, key=str):
        person = await people.by_identity(services.db, identity)
        if person is not None and await outbox_store.enqueue_on(
                services.db, "alert", f"backup-stale:{iso(now)[:10]}", person.id, identity.channel, reply, now):
            queued += 1
    if queued:
        log.warning("last good backup is older than %d days; %d admin(s) alerted", STALE_AFTER.days, queued)
        services.hooks.wake()
    return queued


class DailyBackup:
    """Component: the daily backup and the hourly staleness check."""

    def __init__(self, services: Services, check_every: float = 3600.0) -> None:
        self.services = services
        self.check_every = check_every
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the background loop."""
        if self.services.config.backup_dir is None:
            log.info("daily backup is off (CAUNOI_BACKUP_DIR=off)")
            return
        self._task = asyncio.create_task(self._loop(), name="daily-backup")

    async def stop(self) -> None:
        """Stop the loop (a backup being written is abandoned; its temporary file is removed next time)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        config, clock = self.services.config, self.services.clock
        since = clock.now()
        due = next_run(since, config.backup_hour, config.tz)
        log.info("daily backup at %02d:00 into %s (next %s)", config.backup_hour, config.backup_dir, iso(due))
        while True:
            try:
                await alert_if_stale(self.services, since)
                if clock.now() >= due:
                    await run_backup(self.services)
                    due = next_run(clock.now(), config.backup_hour, config.tz)
            except Exception:
                log.exception("daily backup loop")
            wait = (due - clock.now()).total_seconds()
            await asyncio.sleep(max(min(1.0, self.check_every), min(self.check_every, wait)))
