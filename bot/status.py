"""`caunoi status`: the bot's health at a glance, for the operator at the server and for monitoring.

Exit code 0 = all well, 1 = something needs attention (each such line starts with "!"),
2 = no database at the configured path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import lock
from bot.clock import iso, parse_iso
from bot.config import Config
from bot.store import health, snapshot
from bot.store.db import migrations

BACKUP_STALE = timedelta(days=2)


@dataclass
class Report:
    """Lines to print and whether any needs attention."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def add(self, line: str, problem: bool = False) -> None:
        """One line; a problem is marked with "!" and counted."""
        self.lines.append(("! " if problem else "  ") + line)
        self.problems += problem

    @property
    def exit_code(self) -> int:
        """0 when nothing needs attention, else 1."""
        return 1 if self.problems else 0


def _size(path_size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if path_size < 1024 or unit == "GB":
            return f"{path_size:.0f} {unit}" if unit == "B" else f"{path_size:.1f} {unit}"
        path_size /= 1024  # type: ignore[assignment]
    return str(path_size)


def _local(stored: str | None, config: Config) -> str:
    if not stored:
        return "never"
    try:
        return parse_iso(stored).astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stored


def build(config: Config, now: datetime, recent: int = 5) -> Report:
    """Every check, in the order printed."""
    report = Report()
    db = config.db_path
    files = [db.with_name(db.name + suffix) for suffix in ("", "-wal")]
    report.add(f"database {db}: {_size(sum(f.stat().st_size for f in files if f.exists()))}")
    check = snapshot.quick_check(db)
    report.add(f"integrity (quick_check): {check}", problem=check != "ok")
    figures = health.read(db, iso(now - timedelta(hours=1)), recent)
    newest = max(number for number, _, _ in migrations())
    report.add(f"migrations: schema {figures.schema_version:04d}, this program {newest:04d}"
               + ("" if figures.schema_version >= newest else " (applied at the next start)"))
    holder = lock.holder(db)
    report.add("caunoi run: " + (f"running (pid {holder or '?'})" if holder is not None else "NOT running"),
               problem=holder is None)
    report.add(f"leaders: {figures.registered} registered, {figures.people} people in all; "
               f"staff in CAUNOI_ADMINS: {len(config.admins)}")
    _outbox(report, figures, config)
    _backup(report, figures, config, now)
    _recent(report, figures, config)
    return report


def _outbox(report: Report, figures: health.Health, config: Config) -> None:
    channels = sorted(set(figures.queue) | set(figures.last_seen) | set(figures.last_sent))
    if not channels:
        report.add("channels: no message received or sent yet")
    for channel in channels:
        queue = figures.queue.get(channel, {})
        report.add(f"{channel}: queue pending {queue.get('pending', 0)}, sending {queue.get('sending', 0)}, "
                   f"unknown {queue.get('unknown', 0)}, failed {queue.get('failed', 0)}; "
                   f"last update received {_local(figures.last_seen.get(channel), config)}, "
                   f"last message sent {_local(figures.last_sent.get(channel), config)}")
    if figures.stuck:
        report.add(f"outbox: {figures.stuck} message(s) due over an hour ago still wait (is a channel down?)",
                   problem=True)


def _backup(report: Report, figures: health.Health, config: Config, now: datetime) -> None:
    where = f" into {config.backup_dir}" if config.backup_dir else " (daily backup off: CAUNOI_BACKUP_DIR=off)"
    if figures.last_backup is None:
        report.add(f"last backup: never{where}", problem=config.backup_dir is not None)
    else:
        finished, path = figures.last_backup
        old = now - parse_iso(finished) > BACKUP_STALE
        report.add(f"last backup: {_local(finished, config)} {path or ''}{where}"
                   + (" — older than 2 days" if old else ""), problem=old and config.backup_dir is not None)
    if figures.last_backup_failed is not None:
        when, error = figures.last_backup_failed
        report.add(f"latest backup attempt FAILED at {_local(when, config)}: {error}", problem=True)


def _recent(report: Report, figures: health.Health, config: Config) -> None:
    if not figures.recent:
        return
    report.lines.append("")
    report.lines.append("  who wrote to the bot last (your own id goes in CAUNOI_ADMINS, e.g. tg:123456789):")
    for channel, address, name, seen in figures.recent:
        report.lines.append(f"    {channel}:{address}  {name or '-'}  {_local(seen, config)}")
