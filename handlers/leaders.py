"""/leaders: the staff's leader directory — search, a leader's card, merge, remove, possible
duplicates (edits, phone claims and proposed hamlets are in handlers/leaders_repair.py).

Scope: every list is filtered in SQL by `ctx.staff.commune_filter`; every button naming a person
loads them through `load`, which answers a person outside the staff member's communes exactly as
a non-staff user is answered. Buttons are ld:<action>[:<id>[:<id>]], actions in ACTIONS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import roster
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import is_number
from bot.phone import normalize_phone
from bot.roles import ROLES
from bot.router import Router
from bot.store import delivery_failures, hamlets, leaders, merge, people
from bot.store.people import Person
from bot.textutil import clean_line, fold
from handlers import leaders_repair
from handlers.leaders_card import SEARCH, _label, home_reply, load, refused, scope, show_card, staff_of

MERGE_SEARCH = "leaders.merge"

Action = Callable[[Context, list[int]], Awaitable[list[Reply]]]


async def home(event: Event, ctx: Context) -> list[Reply]:
    """/leaders [text]: search at once, or the directory's home."""
    query = clean_line(event.args)
    if query:
        return await run_search(ctx, query)
    return [await home_reply(ctx)]


async def find(ctx: Context, query: str) -> list[Person]:
    """Leaders a typed query names: a phone, a commune, a role, a name (folded prefix), or a hamlet."""
    communes = staff_of(ctx).commune_filter
    phone = normalize_phone(query) if not any(ch.isalpha() for ch in query) else None
    if phone:
        return await leaders.search(ctx.db, communes, phone=phone)
    commune = roster.commune_of(ctx.content.units, query)
    if commune is not None:
        return await leaders.search(ctx.db, communes, commune=commune)
    role = next((key for key in ROLES if fold(ctx.t(f"onboarding.roles.{key}")) == fold(query)), None)
    if role is not None:
        return await leaders.search(ctx.db, communes, role=role)
    found = await leaders.search(ctx.db, communes, name=query)
    if found:
        return found
    for commune_name in (c.name for c in ctx.content.units.communes):
        known = await hamlets.match(ctx.db, ctx.content.units, commune_name, query)
        if known is not None:
            found += await leaders.search(ctx.db, communes, commune=commune_name, hamlet=known.name)
    return found[:leaders.SEARCH_LIMIT]


def result_options(ctx: Context, found: list[Person], action: str) -> list[Option]:
    """One button per person: ld:<action>:<id>."""
    return [Option(ctx.t("leaders.result_label", name=p.name or "—", hamlet=p.hamlet or "—",
                         commune=p.commune or "—")[:120], f"ld:{action}:{p.id}") for p in found]


async def run_search(ctx: Context, query: str) -> list[Reply]:
    """Search and list the results as buttons to their cards."""
    found = await find(ctx, query)
    ctx.goto(SEARCH)
    if not found:
        return [ctx.reply("leaders.no_results", [ctx.option("core.menu_button", "cmd:menu")], query=query[:40])]
    options = [*result_options(ctx, found, "s"), ctx.option("leaders.back_button", "cmd:leaders")]
    return [ctx.reply("leaders.results", options, count=len(found), limit=leaders.SEARCH_LIMIT)]


async def _card(ctx: Context, ids: list[int]) -> list[Reply]:
    person = await load(ctx, ids[0])
    return refused(ctx) if person is None else await show_card(ctx, person)


async def _aspiration(ctx: Context, ids: list[int]) -> list[Reply]:
    person = await load(ctx, ids[0])
    if person is None or not staff_of(ctx).sensitive:
        return refused(ctx)
    wish = await leaders.aspiration(ctx.db, person.id, str(ctx.identity), ctx.now_iso(), scope(ctx))
    key = "leaders.aspiration" if wish else "leaders.aspiration_none"
    return [ctx.reply(key, [ctx.option("leaders.back_button", f"ld:s:{person.id}")], name=person.name or "—",
                      wish=ctx.t(f"leaders.wish.{wish}") if wish else "")]


async def _reset(ctx: Context, ids: list[int]) -> list[Reply]:
    person = await load(ctx, ids[0])
    if person is None:
        return refused(ctx)
    # The broadcast report's reset: unreachable cleared, failure evidence forgotten, audited.
    await delivery_failures.set_reachable(ctx.db, [person.id], ctx.now(), str(ctx.identity), scope(ctx))
    return [ctx.reply("leaders.reset_done", name=person.name or "—"),
            *await show_card(ctx, await load(ctx, person.id) or person)]


async def _remove_ask(ctx: Context, ids: list[int]) -> list[Reply]:
    person = await load(ctx, ids[0])
    if person is None:
        return refused(ctx)
    return [ctx.reply("leaders.remove_confirm", [ctx.option("leaders.remove_yes", f"ld:rc:{person.id}"),
                                                 ctx.option("leaders.merge_cancel", f"ld:s:{person.id}")],
                      name=person.name or "—", id=person.id)]


async def _remove(ctx: Context, ids: list[int]) -> list[Reply]:
    person = await load(ctx, ids[0])
    if person is None:
        return refused(ctx)
    await leaders.remove(ctx.db, person.id, str(ctx.identity), ctx.now_iso(), scope(ctx))
    if person.id == ctx.person.id:
        ctx.deleted = True  # staff removed their own record: nothing more is stored for it
    return [ctx.reply("leaders.removed", [ctx.option("leaders.back_button", "cmd:leaders")], id=person.id)]


async def _merge_ask(ctx: Context, ids: list[int]) -> list[Reply]:
    person = await load(ctx, ids[0])
    if person is None:
        return refused(ctx)
    ctx.goto(MERGE_SEARCH, keep=person.id)
    return [ctx.reply("leaders.merge_ask", [ctx.option("leaders.merge_cancel", f"ld:s:{person.id}")],
                      name=person.name or "—")]


async def merge_search(ctx: Context, query: str) -> list[Reply]:
    """The other person of a merge, typed: pick them from the results."""
    keep = await load(ctx, int(ctx.data.get("keep", 0)))
    if keep is None:
        return refused(ctx)
    found = [p for p in await find(ctx, query) if p.id != keep.id]
    if not found:
        return [ctx.reply("leaders.no_results", [ctx.option("leaders.merge_cancel", f"ld:s:{keep.id}")],
                          query=query[:40])]
    options = [Option(o.label, f"ld:mp:{keep.id}:{o.payload.rsplit(':', 1)[1]}")
               for o in result_options(ctx, found, "x")]
    return [ctx.reply("leaders.merge_pick", [*options, ctx.option("leaders.merge_cancel", f"ld:s:{keep.id}")],
                      name=keep.name or "—")]


async def merge_preview(ctx: Context, keep: Person, drop: Person) -> list[Reply]:
    """What moves, before staff confirm."""
    preview = await merge.preview(ctx.db, drop.id)
    moves = ", ".join(f"{count} {_label(ctx, 'leaders.tables', table)}"
                      for table, count in sorted(preview.counts.items())) or ctx.t("leaders.merge_nothing")
    return [ctx.reply("leaders.merge_preview", [ctx.option("leaders.merge_confirm", f"ld:mc:{keep.id}:{drop.id}"),
                                                ctx.option("leaders.merge_cancel", f"ld:s:{keep.id}")],
                      keep=keep.name or "—", keep_id=keep.id, drop=drop.name or "—", drop_id=drop.id, moves=moves)]


async def _merge_pick(ctx: Context, ids: list[int]) -> list[Reply]:
    if len(ids) != 2:
        return refused(ctx)
    keep, drop = await load(ctx, ids[0]), await load(ctx, ids[1])
    if keep is None or drop is None:
        return refused(ctx)
    return await merge_preview(ctx, keep, drop)


async def _merge(ctx: Context, ids: list[int]) -> list[Reply]:
    if len(ids) != 2:
        return refused(ctx)
    if ids[0] == ids[1]:
        return [ctx.reply("leaders.merge_same")]
    keep, drop = await load(ctx, ids[0]), await load(ctx, ids[1])
    if (keep is None or drop is None) and (await people.get(ctx.db, ids[0]) is None
                                            or await people.get(ctx.db, ids[1]) is None):
        return [ctx.reply("leaders.merge_gone", [ctx.option("leaders.back_button", "cmd:leaders")])]
    if keep is None or drop is None:
        return refused(ctx)
    result = await merge.merge_people(ctx.db, keep.id, drop.id, actor=str(ctx.identity), at=ctx.now_iso(),
                                      scope=scope(ctx))
    if result.status != "merged" or result.person is None:
        return [ctx.reply("leaders.merge_gone", [ctx.option("leaders.back_button", "cmd:leaders")])]
    return [ctx.reply("leaders.merge_done", name=result.person.name or "—", id=result.person.id),
            *await show_card(ctx, result.person)]


async def _duplicates(ctx: Context, ids: list[int]) -> list[Reply]:
    found = await leaders.duplicates(ctx.db, staff_of(ctx).commune_filter)
    back = ctx.option("leaders.back_button", "cmd:leaders")
    if not found:
        return [ctx.reply("leaders.duplicates_none", [back])]
    lines = [ctx.t("leaders.duplicates_title", count=len(found))]
    options: list[Option] = []
    for dup in found:
        names = ", ".join(f"{p.name or '—'} (mã {p.id})" for p in dup.people)
        lines.append(ctx.t(f"leaders.dup_{dup.reason}", names=names))
        options.extend(result_options(ctx, [p for p in dup.people if p.id not in
                                             {int(o.payload.rsplit(":", 1)[1]) for o in options}], "s"))
    return [Reply("\n".join(lines), [*options[:30], back])]


LISTS = ("dup", "claims", "hamlets")  # the only actions without a number
ACTIONS: dict[str, Action] = {
    "s": _card, "a": _aspiration, "u": _reset, "r": _remove_ask, "rc": _remove,
    "m": _merge_ask, "mp": _merge_pick, "mc": _merge, "dup": _duplicates,
    **leaders_repair.ACTIONS,
}


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every directory button: ld:<action>[:<number>…]."""
    _, _, rest = event.value.partition(":")
    action, *args = rest.split(":")
    handler = ACTIONS.get(action)
    needs_id = action not in LISTS
    if handler is None or not all(is_number(a) for a in args) or (needs_id and not args):
        return [Reply(ctx.t("core.stale")), await ctx.menu(staff=True)]
    return await handler(ctx, [int(a) for a in args])


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed text in the directory: a search, the other person of a merge, or an edited value."""
    if event.kind != "text":
        return [Reply(ctx.t("core.media_unexpected")), await home_reply(ctx)]
    text = clean_line(event.value)
    if ctx.step == MERGE_SEARCH:
        return await merge_search(ctx, text)
    if ctx.step in leaders_repair.STEPS:
        return await leaders_repair.on_text(ctx, text)
    return await run_search(ctx, text)


def register(router: Router) -> None:
    """Register /leaders, its buttons and typed steps (staff only)."""
    router.command("leaders", home, staff=True, aliases=("danh ba",), describe="leaders.cmd_desc")
    router.choice("ld", on_choice, staff=True)
    router.step("leaders", on_step, staff=True)
    router.menu("leaders.menu_label", "leaders", staff=True, order=55)
