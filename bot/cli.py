"""The command line: `caunoi run | chat | check-content | …` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import cli_leaders
from bot.config import ConfigError, load_config


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

    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    chat.add_argument("--admin", action="store_true", help="act as staff")
    chat.add_argument("--user", default="console", help="who you are (several people can share one database)")

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
    _staff_parser(sub)
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
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO if args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines would print the bot token
    if args.command is None:
        parser.print_help()
        return 0
    try:
        config = load_config()
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

    try:
        asyncio.run(run_forever(config, {"webhook_url": args.webhook_url, "listen": args.listen}))  # type: ignore[arg-type]
    except NoChannelError as exc:
        print(f"caunoi: {exc}", file=sys.stderr)
        return 2
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1
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
            "staff": cmd_staff}
