"""`caunoi backup | restore | status`: the operator's commands (bot/backup.py, bot/status.py)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any


def add_parsers(sub: Any) -> None:
    """`caunoi backup | restore | status` (operations)."""
    backup = sub.add_parser("backup", help="a verified copy of the live database (safe while `caunoi run` runs)")
    backup.add_argument("folder", nargs="?", type=Path, help="where to write it (default: CAUNOI_BACKUP_DIR)")
    backup.add_argument("--gzip", action="store_true", help="compress the copy (.sqlite3.gz)")
    restore = sub.add_parser("restore", help="put a backup in place of the database (the bot must be stopped)")
    restore.add_argument("file", type=Path, help="a caunoi-….sqlite3 or .sqlite3.gz backup file")
    status = sub.add_parser("status", help="health at a glance; exit code 1 when something needs attention")
    status.add_argument("--recent", type=int, default=5, help="how many recent senders to list (to find your id)")


def cmd_backup(args: argparse.Namespace, config: object) -> int:
    """`caunoi backup [FOLDER] [--gzip]`: 0 when a verified backup was written, 1 otherwise."""
    from bot.config import Config

    assert isinstance(config, Config)
    folder = args.folder or config.backup_dir or config.db_path.parent / "backups"
    if not config.db_path.is_file():
        print(f"caunoi: no database at {config.db_path} (CAUNOI_DB)", file=sys.stderr)
        return 1
    keep = config.backup_dir is not None and folder.resolve() == config.backup_dir.resolve()
    return _backup(config, folder, args.gzip or config.backup_compress, keep)


def _backup(config: object, folder: Path, compress: bool, keep: bool) -> int:
    from bot import backup
    from bot.clock import Clock, iso
    from bot.config import Config
    from bot.store import backups

    assert isinstance(config, Config)
    clock = Clock()
    started = clock.now()
    try:
        result = backup.make_backup(config.db_path, folder, started, compress)
    except backup.BackupError as exc:
        backups.record_file(config.db_path, iso(started), iso(clock.now()), False, None, None, str(exc))
        print(f"caunoi: {exc}", file=sys.stderr)
        return 1
    backups.record_file(config.db_path, iso(started), iso(clock.now()), True, str(result.path.resolve()),
                        result.size, backup.summary(result.counts))
    pruned: list[Path] = []
    if keep:  # the retention applies to the configured folder only
        days, weeks = config.backup_keep
        pruned = backup.prune(folder, days, weeks, config.tz, clock.now())
    logging.getLogger("bot.backup").info("backup written: %s", result.path)
    print(f"{result.path}: {result.size} bytes in {result.seconds:.1f} s, verified "
          f"({backup.summary(result.counts)})" + (f"; {len(pruned)} old backup(s) pruned" if pruned else ""))
    return 0


def cmd_restore(args: argparse.Namespace, config: object) -> int:
    """`caunoi restore FILE`: refuses while `caunoi run` holds the database; 0 when restored."""
    from bot import backup
    from bot.clock import Clock
    from bot.config import Config
    from bot.lock import LockHeld

    assert isinstance(config, Config)
    try:
        result = backup.restore(config.db_path, args.file, Clock().now())
    except LockHeld as exc:
        print(f"caunoi: the bot is running on {config.db_path} (process {exc.pid or '?'}); "
              "stop it first (e.g. sudo systemctl stop caunoi), then restore", file=sys.stderr)
        return 3
    except backup.BackupError as exc:
        print(f"caunoi: nothing restored: {exc}", file=sys.stderr)
        return 1
    when = result.taken_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
    print(f"restored {args.file} (made {when}) into {config.db_path}: {backup.summary(result.counts)}")
    if result.aside is not None:
        print(f"the previous database is kept as {result.aside}")
    return 0


def cmd_status(args: argparse.Namespace, config: object) -> int:
    """`caunoi status`: print the health report; 0 all well, 1 needs attention, 2 no database."""
    from bot import status
    from bot.clock import Clock
    from bot.config import Config

    assert isinstance(config, Config)
    if not config.db_path.is_file():
        print(f"caunoi: no database at {config.db_path} (CAUNOI_DB); start the bot once with `caunoi run`",
              file=sys.stderr)
        return 2
    report = status.build(config, Clock().now(), recent=args.recent)
    print("\n".join(report.lines))
    print("needs attention: see the lines marked !" if report.exit_code else "all well")
    return report.exit_code


COMMANDS = {"backup": cmd_backup, "restore": cmd_restore, "status": cmd_status}
