"""`caunoi leaders search|show|edit|merge|remove`: the leader directory for the server's operator.

The same store functions as /leaders (bot/store/leaders.py, bot/store/merge.py), unscoped: the
operator of the server sees every commune. Changes are written to the audit log as `cli:<user>`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

UNSCOPED = ("The server's operator: every commune is visible and editable (no staff scope). "
            "Merges, edits and removals are recorded in the audit log as cli:<user>.")


def add_parser(sub: Any) -> None:
    """Add `leaders` and its subcommands to the main parser."""
    leaders = sub.add_parser("leaders", help="leader directory: search, show, edit, merge, remove (all communes)",
                             description=UNSCOPED)
    actions = leaders.add_subparsers(dest="action", metavar="ACTION", required=True)
    search = actions.add_parser("search", help="find leaders (name without diacritics, phone, commune, hamlet, role)",
                                description=UNSCOPED)
    search.add_argument("name", nargs="?", default="", help="start of the name, diacritics optional")
    search.add_argument("--phone")
    search.add_argument("--commune", help="commune name, diacritics optional")
    search.add_argument("--hamlet")
    search.add_argument("--role", help="truong_thon, to_truong, chi_doan, chi_hoi or khac")
    search.add_argument("--duplicates", action="store_true", help="list possible duplicates instead")
    show = actions.add_parser("show", help="one leader's card", description=UNSCOPED)
    show.add_argument("id", type=int)
    edit = actions.add_parser("edit", help="change fields of a leader", description=UNSCOPED)
    edit.add_argument("id", type=int)
    for field in ("name", "role", "commune", "hamlet", "phone"):
        edit.add_argument(f"--{field}")
    merge = actions.add_parser("merge", help="merge DROP into KEEP (a preview unless --yes)", description=UNSCOPED)
    merge.add_argument("keep", type=int)
    merge.add_argument("drop", type=int)
    merge.add_argument("--yes", action="store_true", help="do it")
    remove = actions.add_parser("remove", help="delete a leader completely, as /delete_me (needs --yes)",
                                description=UNSCOPED)
    remove.add_argument("id", type=int)
    remove.add_argument("--yes", action="store_true", help="do it")


def cmd_leaders(args: argparse.Namespace, config: object) -> int:
    """Run one `caunoi leaders …` action; 1 when the leader is not found or the input is bad."""
    from bot.content import ContentError

    try:
        return asyncio.run(_leaders(config, args))
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1


async def _leaders(config: object, args: argparse.Namespace) -> int:
    from bot.app import open_app
    from bot.config import Config

    assert isinstance(config, Config)
    app = await open_app(config)
    try:
        handler = {"search": _search, "show": _show, "edit": _edit, "merge": _merge, "remove": _remove}[args.action]
        return await handler(app, args)
    finally:
        await app.close()


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:operator"


def _line(person: Any) -> str:
    return "\t".join(str(v if v is not None else "—") for v in (
        person.id, person.name, person.role, person.commune, person.hamlet, person.phone,
        "registered" if person.registered else person.source))


async def _search(app: Any, args: argparse.Namespace) -> int:
    from bot import roster
    from bot.phone import normalize_phone
    from bot.store import leaders

    if args.duplicates:
        for dup in await leaders.duplicates(app.db, None, limit=1000):
            print(f"[{dup.reason}] " + " | ".join(_line(p) for p in dup.people))
        return 0
    phone = normalize_phone(args.phone) if args.phone else ""
    if args.phone and not phone:
        print(f"caunoi: not a Vietnamese phone number: {args.phone}", file=sys.stderr)
        return 1
    commune = roster.commune_of(app.content.units, args.commune) if args.commune else ""
    if args.commune and not commune:
        print(f"caunoi: unknown commune: {args.commune}", file=sys.stderr)
        return 1
    found = await leaders.search(app.db, None, name=args.name, phone=phone or "", commune=commune or "",
                                 hamlet=args.hamlet or "", role=args.role or "", limit=200)
    for person in found:
        print(_line(person))
    print(f"{len(found)} found", file=sys.stderr)
    return 0


async def _show(app: Any, args: argparse.Namespace) -> int:
    from bot.store import leaders, people

    person = await people.get(app.db, args.id)
    if person is None:
        print(f"caunoi: no leader {args.id}", file=sys.stderr)
        return 1
    card = await leaders.card(app.db, person)
    print(_line(person))
    print("channels: " + (", ".join(f"{c.channel} ({c.last_seen or '—'})" for c in card.channels) or "—"))
    print("quizzes: " + (", ".join(f"{q} {s}/{t}" for q, (s, t) in sorted(card.quiz_bests.items())) or "—"))
    print(f"classes: invited {card.classes_invited}, attended {card.classes_attended}; feedback {card.feedback};"
          f" unreachable {'yes' if person.unreachable else 'no'}; open claims {card.open_claims}")
    return 0


async def _edit(app: Any, args: argparse.Namespace) -> int:
    from bot import roster
    from bot.clock import iso
    from bot.phone import normalize_phone
    from bot.store import hamlets, leaders, people

    person = await people.get(app.db, args.id)
    if person is None:
        print(f"caunoi: no leader {args.id}", file=sys.stderr)
        return 1
    fields: dict[str, Any] = {f: getattr(args, f) for f in ("name", "role", "commune", "hamlet", "phone")
                              if getattr(args, f) is not None}
    if "phone" in fields:
        fields["phone"] = normalize_phone(fields["phone"]) if fields["phone"] else None
        owner = await people.by_phone(app.db, fields["phone"]) if fields["phone"] else None
        if (fields["phone"] is None and args.phone) or (owner is not None and owner.id != person.id):
            print(f"caunoi: phone {args.phone} is invalid or belongs to leader {owner.id if owner else '—'}"
                  " (merge them instead)", file=sys.stderr)
            return 1
    if "commune" in fields:
        fields["commune"] = roster.commune_of(app.content.units, fields["commune"])
        if fields["commune"] is None:
            print(f"caunoi: unknown commune: {args.commune}", file=sys.stderr)
            return 1
    commune = fields.get("commune") or person.commune
    if fields.get("hamlet") and commune:  # the known spelling, or a new hamlet (approved: the operator says so)
        fields["hamlet"] = await hamlets.settle(app.db, app.content.units, commune, fields["hamlet"],
                                                iso(app.clock.now()))
        await hamlets.approve(app.db, commune, fields["hamlet"])
    if fields.get("role") not in (None, "truong_thon", "to_truong", "chi_doan", "chi_hoi", "khac"):
        print(f"caunoi: unknown role: {args.role}", file=sys.stderr)
        return 1
    if not fields:
        print("caunoi: nothing to change (give --name, --role, --commune, --hamlet or --phone)", file=sys.stderr)
        return 1
    await leaders.edit(app.db, person.id, fields, _actor(), iso(app.clock.now()), "*")
    updated = await people.get(app.db, person.id)
    print(_line(updated))
    return 0


async def _merge(app: Any, args: argparse.Namespace) -> int:
    from bot.clock import iso
    from bot.store import merge, people

    keep, drop = await people.get(app.db, args.keep), await people.get(app.db, args.drop)
    if args.keep == args.drop or keep is None or drop is None:
        print("caunoi: give two different existing leaders", file=sys.stderr)
        return 1
    preview = await merge.preview(app.db, drop.id)
    print(f"keep {_line(keep)}\ndrop {_line(drop)}")
    print("moves: " + (", ".join(f"{table} {n}" for table, n in sorted(preview.counts.items())) or "nothing"))
    if not args.yes:
        print("dry run: add --yes to merge", file=sys.stderr)
        return 0
    result = await merge.merge_people(app.db, keep.id, drop.id, actor=_actor(), at=iso(app.clock.now()), scope="*")
    if result.person is None or result.status != "merged":
        print(f"caunoi: not merged ({result.status})", file=sys.stderr)
        return 1
    print(f"merged {_line(result.person)}")
    return 0


async def _remove(app: Any, args: argparse.Namespace) -> int:
    from bot.clock import iso
    from bot.store import leaders, people

    person = await people.get(app.db, args.id)
    if person is None:
        print(f"caunoi: no leader {args.id}", file=sys.stderr)
        return 1
    if not args.yes:
        print(f"would delete {_line(person)}; add --yes to delete", file=sys.stderr)
        return 0
    await leaders.remove(app.db, person.id, _actor(), iso(app.clock.now()), "*")
    print(f"deleted {person.id}")
    return 0
