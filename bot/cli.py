"""The command line: `caunoi run | chat | check-content | …` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import cli_leaders, cli_ops, cli_web, logmask
from bot.config import ConfigError, load_config

if TYPE_CHECKING:  # imported lazily at run time: `caunoi --help` stays quick
    from bot.app import App
    from bot.model import Identity


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="caunoi", description="Cầu Nối — chatbot nối cán bộ Đảng ủy với trưởng thôn, tổ dân phố.",
        epilog="The command line is the server operator's: it is not limited to any commune and exports"
               " everything (commune scopes and the aspiration permission apply to staff in chat).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run every configured channel (Telegram, Zalo), the outbox and scheduler")
    run.add_argument("--webhook-url", help="Zalo webhook mode: public HTTPS URL of this bot")
    run.add_argument("--listen", default="0.0.0.0:8443", help="webhook listen address (host:port)")
    run.add_argument("--web", metavar="HOST:PORT", help="also serve the staff web dashboard (or CAUNOI_WEB)")

    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    chat.add_argument("--admin", action="store_true", help="act as staff")
    chat.add_argument("--user", default="console", help="who you are (several people can share one database)")
    chat.add_argument("--name", help="your name as shown to others (e.g. on a staff answer); default: --user")

    check = sub.add_parser("check-content", help="validate the content folder; print file:line problems")
    check.add_argument("folder", nargs="?", type=Path, help="content folder (default: CAUNOI_CONTENT or packaged)")

    roster = sub.add_parser("import-roster", help="pre-register leaders from a CSV/XLSX list (dry run unless --apply)")
    roster.add_argument("file", type=Path, help="CSV (UTF-8) or .xlsx with Họ và tên, Số điện thoại, Xã/Phường…")
    roster.add_argument("--apply", action="store_true", help="write the changes (default: only report them)")
    roster.add_argument("--update-conflicts", action="store_true",
                        help="with --apply: also overwrite registered leaders whose answers differ (conflicts)")

    export = sub.add_parser("export", help="export leaders and activity to .xlsx (or a .zip of UTF-8 CSV files)")
    export.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    export.add_argument("--format", choices=("xlsx", "csv"),
                        help="xlsx (default); csv: one CSV per sheet in a .zip, or only Leaders when FILE ends in .csv")
    export.add_argument("--commune", help="only this commune (diacritics optional)")
    export.add_argument("--from", dest="date_from", help="from this local date (YYYY-MM-DD or DD/MM/YYYY)")
    export.add_argument("--to", dest="date_to", help="to this local date, inclusive")
    cli_leaders.add_parser(sub)
    cli_ops.add_parsers(sub)
    _staff_parser(sub)
    cli_web.add_parser(sub)
    return parser


def _staff_parser(sub: argparse._SubParsersAction) -> None:
    """`caunoi staff add|list|remove`."""
    staff = sub.add_parser("staff", help="staff and their communes (unscoped: the operator manages everyone)")
    actions = staff.add_subparsers(dest="staff_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a staff member, or replace their communes and rights")
    add.add_argument("identity", help="tg:123, zalo:abc or console:NAME")
    add.add_argument("--commune", action="append", default=[], help="a commune they cover (repeat for several)")
    add.add_argument("--sensitive", action="store_true", help="may see aspirations (admission wishes)")
    add.add_argument("--province", action="store_true", help="province admin: every commune, manages staff")
    actions.add_parser("list", help="list staff (CAUNOI_ADMINS and stored) and the last audit entries")
    remove = actions.add_parser("remove", help="remove a stored staff member")
    remove.add_argument("identity", help="tg:123, zalo:abc or console:NAME")


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
        asyncio.run(run_forever(config, {"webhook_url": args.webhook_url, "listen": args.listen,  # type: ignore[arg-type]
                                         "web": args.web}))
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
        asyncio.run(_chat(config, args.user, args.admin, args.name))
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1
    except EOFError:
        pass
    except asyncio.CancelledError:  # Ctrl-C: the chat ended at once, the store closed
        return 130
    return 0


async def _chat(config: object, user: str, admin: bool, name: str | None = None) -> None:
    # Ctrl-C ends the chat at once and the store is closed on the way out. A KeyboardInterrupt in
    # the middle of a database call would leave its thread talking to a closed loop, so Ctrl-C
    # cancels the chat instead; before the store is open, or while it closes, it is only noted.
    loop, chat_task = asyncio.get_running_loop(), asyncio.current_task()
    phase, interrupted = "opening", False

    def on_ctrl_c() -> None:
        nonlocal interrupted
        if phase == "chatting" and chat_task is not None:
            chat_task.cancel()
        interrupted = True

    with contextlib.suppress(NotImplementedError):  # event loops without signal handlers (Windows)
        loop.add_signal_handler(signal.SIGINT, on_ctrl_c)

    from bot.app import open_app, with_admin
    from bot.config import Config
    from bot.model import Identity

    assert isinstance(config, Config)
    identity = Identity("console", user)
    if admin:
        config = with_admin(config, identity)
    app = await open_app(config)
    try:
        if interrupted:
            raise asyncio.CancelledError
        phase = "chatting"
        await _run_chat(app, identity, name)
    finally:
        phase = "closing"
        await app.close()


async def _run_chat(app: App, identity: Identity, name: str | None) -> None:
    from bot import staff
    from bot.app import start_background
    from bot.channels.console import ConsoleChannel
    from bot.model import Option
    from bot.outbox import Outbox
    from bot.scheduler import Scheduler
    from bot.store import people

    async def remember_shown(who: Identity, options: list[Option]) -> None:
        # A delivered broadcast's "Đã nhận ✅" becomes what a typed number chooses.
        async with app.db.write() as conn:
            await people.save_options(conn, who, options)

    user = identity.address
    # The default user is a technical name: staff answers then say "cán bộ", not "console".
    shown_name = name if name is not None else ("" if user == "console" else user)
    console = ConsoleChannel(app.dispatch, user=user, hint=app.content.texts("core.numbered_hint"),
                             saved=app.content.texts("core.console_file_saved"), display_name=shown_name,
                             remember_options=remember_shown)
    app.channels = {"console": console}
    # This terminal delivers what is queued for its own user (broadcasts, invitations, reminders,
    # answers); Telegram/Zalo rows and other terminals' users stay queued for their process.
    app.components.append(Outbox(app.services, app.channels, shared=True))
    app.components.append(Scheduler(app.dispatcher.router.jobs, app.services))
    await start_background(app)
    print(app.content.texts("core.console_banner"), flush=True)
    is_staff = await staff.lookup(app.db, app.config, identity) is not None
    await console.chat("/admin" if is_staff else "/start")


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
        return asyncio.run(_import_roster(config, data, args.file.name, args.apply, args.update_conflicts))
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1


async def _import_roster(config: object, data: bytes, name: str, write: bool, update_conflicts: bool = False) -> int:
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
                plan = await roster.apply(app.db, app.content, data, name, year, iso(app.clock.now()),
                                          update_conflicts=update_conflicts)
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
                                       config.pass_mark, audit=True)
        except export.ExportError as exc:
            print(f"caunoi: {app.content.texts(f'export.{exc.key}', **exc.values)}", file=sys.stderr)
            return 2
        try:
            summary = await export.export_to_file(app.db, app.content, config, query, args.output, fmt)
        except OSError as exc:
            print(f"caunoi: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 1
        from bot.clock import iso
        from bot.store import audit

        await audit.record(app.db, iso(app.clock.now()), _operator(), "export", "*", query.commune or "")
        print(f"{args.output}: " + ", ".join(f"{title} {rows}" for title, rows in summary))
        return 0
    finally:
        await app.close()


def _operator() -> str:
    """The operator as written in the audit log: cli:<login name>."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in a bare container
        return "cli:operator"


def cmd_staff(args: argparse.Namespace, config: object) -> int:
    """`caunoi staff add IDENTITY --commune NAME [--sensitive] [--province] | list | remove IDENTITY`."""
    from bot.config import Config

    assert isinstance(config, Config)
    return asyncio.run(_staff(config, args))


async def _staff(config: object, args: argparse.Namespace) -> int:
    from bot import staff as rights
    from bot.app import open_app
    from bot.clock import iso
    from bot.config import Config
    from bot.store import audit
    from bot.store import staff as stored

    assert isinstance(config, Config)
    app = await open_app(config)
    try:
        actor, now = _operator(), iso(app.clock.now())
        if args.staff_action == "list":
            for admin in sorted(map(str, config.admins)):
                print(f"{admin}\tprovince (CAUNOI_ADMINS)\tsensitive")
            for m in await stored.members(app.db):
                where = "province" if m.province else ", ".join(sorted(m.communes)) or "(no commune)"
                print(f"{m.identity}\t{where}\t{'sensitive' if m.sensitive else '-'}\tadded by {m.added_by}")
            for e in await audit.recent(app.db, 10):
                print(f"audit\t{e.at}\t{e.actor}\t{e.action}\t{e.scope}\t{e.subject}")
            return 0
        identity = rights.parse_identity(args.identity)
        if identity is None:
            print(f"caunoi: '{args.identity}' is not tg:<number>, zalo:<id> or console:<name>", file=sys.stderr)
            return 2
        if args.staff_action == "add":
            return await _staff_add(app, args, str(identity), actor, now)
        if config.is_admin(identity):
            print(f"caunoi: {identity} is in CAUNOI_ADMINS; remove it there", file=sys.stderr)
            return 1
        result = await stored.remove(app.db, str(identity), by=actor, at=now, keep_province=len(config.admins))
        if result != "removed":
            print(f"caunoi: {identity} " + ("is not staff" if result == "absent" else
                                            "is the last province admin; add another first"), file=sys.stderr)
            return 1
        print(f"{identity} removed")
        return 0
    finally:
        await app.close()


async def _staff_add(app: object, args: argparse.Namespace, identity: str, actor: str, now: str) -> int:
    from bot.app import App
    from bot.store import staff as stored

    assert isinstance(app, App)
    names = []
    for typed in args.commune:
        commune = app.content.units.find(typed) or app.content.units.find(f"Xã {typed}")
        if commune is None:
            known = ", ".join(c.name for c in app.content.units.communes)
            print(f"caunoi: no commune '{typed}' in units.yaml ({known})", file=sys.stderr)
            return 2
        names.append(commune.name)
    if not names and not args.province:
        print("caunoi: give --commune NAME (repeat for several) or --province", file=sys.stderr)
        return 2
    await stored.add(app.db, identity, communes=frozenset(names), sensitive=args.sensitive or args.province,
                     province=args.province, by=actor, at=now)
    print(f"{identity}: " + ("province" if args.province else ", ".join(sorted(names)))
          + (", sensitive" if args.sensitive or args.province else ""))
    return 0


COMMANDS = {"run": cmd_run, "chat": cmd_chat, "check-content": cmd_check_content,
            "import-roster": cmd_import_roster, "export": cmd_export, "leaders": cli_leaders.cmd_leaders,
            "staff": cmd_staff, "web": cli_web.cmd_web, "web-login": cli_web.cmd_web_login, **cli_ops.COMMANDS}
