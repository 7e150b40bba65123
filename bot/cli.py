"""The command line: `caunoi run | chat | check-content | …` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import logmask
from bot.config import ConfigError, load_config


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="caunoi", description="Cầu Nối — chatbot nối cán bộ Đảng ủy với trưởng thôn, tổ dân phố.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run every configured channel (Telegram, Zalo), the outbox and scheduler")
    run.add_argument("--webhook-url", help="Zalo webhook mode: public HTTPS URL of this bot")
    run.add_argument("--listen", default="0.0.0.0:8443", help="webhook listen address (host:port)")

    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    chat.add_argument("--admin", action="store_true", help="act as staff")
    chat.add_argument("--user", default="console", help="who you are (several people can share one database)")

    check = sub.add_parser("check-content", help="validate the content folder; print file:line problems")
    check.add_argument("folder", nargs="?", type=Path, help="content folder (default: CAUNOI_CONTENT or packaged)")

    roster = sub.add_parser("import-roster", help="pre-register leaders from a CSV/XLSX list (dry run unless --apply)")
    roster.add_argument("file", type=Path, help="CSV (UTF-8) or .xlsx with Họ và tên, Số điện thoại, Xã/Phường…")
    roster.add_argument("--apply", action="store_true", help="write the changes (default: only report them)")

    export = sub.add_parser("export", help="export leaders and activity to .xlsx (or a .zip of UTF-8 CSV files)")
    export.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    export.add_argument("--format", choices=("xlsx", "csv"),
                        help="xlsx (default); csv: one CSV per sheet in a .zip, or only Leaders when FILE ends in .csv")
    export.add_argument("--commune", help="only this commune (diacritics optional)")
    export.add_argument("--from", dest="date_from", help="from this local date (YYYY-MM-DD or DD/MM/YYYY)")
    export.add_argument("--to", dest="date_to", help="to this local date, inclusive")
    add_ops_parsers(sub)
    return parser


def add_ops_parsers(sub: argparse._SubParsersAction) -> None:
    """`caunoi backup | restore | status` (operations)."""
    backup = sub.add_parser("backup", help="a verified copy of the live database (safe while `caunoi run` runs)")
    backup.add_argument("folder", nargs="?", type=Path, help="where to write it (default: CAUNOI_BACKUP_DIR)")
    backup.add_argument("--gzip", action="store_true", help="compress the copy (.sqlite3.gz)")
    restore = sub.add_parser("restore", help="put a backup in place of the database (the bot must be stopped)")
    restore.add_argument("file", type=Path, help="a caunoi-….sqlite3 or .sqlite3.gz backup file")
    status = sub.add_parser("status", help="health at a glance; exit code 1 when something needs attention")
    status.add_argument("--recent", type=int, default=5, help="how many recent senders to list (to find your id)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    os.umask(0o077)  # every file the bot creates (database, exports, backups) is for its owner only
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO if args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines would print the bot token
    mask = logmask.install()  # Telegram-shaped tokens are masked in every log line, whoever logs them
    if args.command is None:
        parser.print_help()
        return 0
    try:
        config = load_config()
        mask.add(secret.reveal() for secret in (config.telegram_token, config.zalo_token,
                                                 config.zalo_webhook_secret) if secret)
        return COMMANDS[args.command](args, config)
    except ConfigError as exc:
        print(f"caunoi: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def cmd_run(args: argparse.Namespace, config: object) -> int:
    """`caunoi run`."""
    from bot.app import NoChannelError, run_forever
    from bot.content import ContentError
    from bot.lock import LockHeld, RunLock

    try:
        run_lock = RunLock(config.db_path).acquire()  # type: ignore[attr-defined]  # one bot per database
    except LockHeld as exc:
        print(f"caunoi: another `caunoi run` (process {exc.pid or '?'}) already uses this database; "
              f"stop it first ({exc.path})", file=sys.stderr)
        return 3
    try:
        asyncio.run(run_forever(config, {"webhook_url": args.webhook_url, "listen": args.listen}))  # type: ignore[arg-type]
    except NoChannelError as exc:
        print(f"caunoi: {exc}", file=sys.stderr)
        return 2
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1
    finally:
        run_lock.release()
    return 0


def cmd_chat(args: argparse.Namespace, config: object) -> int:
    """`caunoi chat`."""
    from bot.content import ContentError

    try:
        asyncio.run(_chat(config, args.user, args.admin))
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1
    except EOFError:
        pass
    return 0


async def _chat(config: object, user: str, admin: bool) -> None:
    from bot.app import open_app, with_admin
    from bot.channels.console import ConsoleChannel
    from bot.config import Config
    from bot.model import Identity

    assert isinstance(config, Config)
    identity = Identity("console", user)
    if admin:
        config = with_admin(config, identity)
    app = await open_app(config)
    try:
        console = ConsoleChannel(app.dispatch, user=user, hint=app.content.texts("core.numbered_hint"),
                                 saved=app.content.texts("core.console_file_saved"))
        app.channels = {"console": console}
        print(app.content.texts("core.console_banner"))
        await console.chat()
    finally:
        await app.close()


def cmd_check_content(args: argparse.Namespace, config: object) -> int:
    """`caunoi check-content [FOLDER]`: problems (exit 1) and warnings, each as `file:line: …`."""
    from datetime import datetime

    from bot.config import Config
    from bot.content import default_content_dir
    from bot.content.audit import audit_folder

    assert isinstance(config, Config)
    folder = args.folder or config.content_dir or default_content_dir()
    if not folder.is_dir():
        print(f"{folder}: not a folder", file=sys.stderr)
        return 1
    report = audit_folder(folder, datetime.now(config.tz).date())
    for line in (*report.problems, *report.warnings):
        print(line, file=sys.stderr)
    if report.problems or report.content is None:
        print(f"{len(report.problems)} problem(s) in {folder}", file=sys.stderr)
        return 1
    content = report.content
    print(f"content OK: {folder} — {len(content.texts.entries)} texts, {len(content.units.communes)} communes, "
          f"{len(content.topics)} topics, {len(content.quizzes)} quiz banks, {report.citations} citations of "
          f"{report.documents} documents in references.yaml, {len(report.warnings)} warning(s)")
    return 0


def cmd_import_roster(args: argparse.Namespace, config: object) -> int:
    """`caunoi import-roster FILE [--apply]`: print what would change (or changed); 1 if the file is unusable."""
    from bot.config import Config
    from bot.content import ContentError

    assert isinstance(config, Config)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"caunoi: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_import_roster(config, data, args.file.name, args.apply))
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1


async def _import_roster(config: object, data: bytes, name: str, write: bool) -> int:
    from bot import roster
    from bot.app import open_app
    from bot.clock import iso
    from bot.config import Config

    assert isinstance(config, Config)
    app = await open_app(config)
    try:
        t = app.content.texts
        year = app.clock.now().astimezone(config.tz).year
        try:
            if write:
                plan = await roster.apply(app.db, app.content, data, name, year, iso(app.clock.now()))
            else:
                plan = await roster.dry_run(app.db, app.content, data, name, year)
        except roster.RosterError as exc:
            print(roster.render_error(t, exc), file=sys.stderr)
            return 1
        print(roster.render_report(t, plan, name, note="roster.cli_note"))
        return 0
    finally:
        await app.close()


def cmd_export(args: argparse.Namespace, config: object) -> int:
    """`caunoi export -o FILE [--format xlsx|csv] [--commune X] [--from D --to D]`."""
    from bot.config import Config
    from bot.content import ContentError

    assert isinstance(config, Config)
    try:
        return asyncio.run(_export(config, args))
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1


async def _export(config: object, args: argparse.Namespace) -> int:
    from bot import export
    from bot.app import open_app
    from bot.config import Config

    assert isinstance(config, Config)
    suffix = args.output.suffix.lower()
    fmt = args.format or ("csv" if suffix in (".zip", ".csv") else "xlsx")
    if fmt == "csv" and suffix == ".csv":
        fmt = "csv-leaders"  # a single CSV file holds one table: the leaders
    app = await open_app(config)
    try:
        try:
            query = export.make_query(app.content, config.tz, args.commune, args.date_from, args.date_to,
                                       config.pass_mark)
        except export.ExportError as exc:
            print(f"caunoi: {app.content.texts(f'export.{exc.key}', **exc.values)}", file=sys.stderr)
            return 2
        try:
            summary = await export.export_to_file(app.db, app.content, config, query, args.output, fmt)
        except OSError as exc:
            print(f"caunoi: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"{args.output}: " + ", ".join(f"{title} {rows}" for title, rows in summary))
        return 0
    finally:
        await app.close()


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


COMMANDS = {"run": cmd_run, "chat": cmd_chat, "check-content": cmd_check_content,
            "import-roster": cmd_import_roster, "export": cmd_export,
            "backup": cmd_backup, "restore": cmd_restore, "status": cmd_status}
