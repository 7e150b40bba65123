"""Attendance for staff: mark who came, commune by commune; open a check-in window with a
short code shown in the hall (leaders check in with /checkin or "Tôi đã có mặt"); the
attendance list with the absentees after the class.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import is_number
from bot.router import Router
from bot.store import classes
from bot.store.classes import ClassRow, Invitee
from handlers import scope
from handlers.class_admin import people_lines, scoped_class, view
from handlers.class_format import fmt, menu_option

PAGE_SIZE = 8
CHECKIN_EARLY = timedelta(hours=1)  # the window may open this long before the start
CHECKIN_LATE = timedelta(minutes=30)  # and stays open this long after the end
CODE_DIGITS = 4


def _groups(invitees: list[Invitee]) -> list[str]:
    """The communes of a class's invitees, in order ("" for people without one)."""
    return sorted({i.commune or "" for i in invitees})


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """att:<g|c|t|open|close|list>:<class id>[:…]."""
    parts = event.value.split(":")
    action = parts[1] if len(parts) > 1 else ""
    numbers = [int(p) for p in parts[2:] if is_number(p)]
    if not numbers or len(numbers) != len(parts) - 2:
        return [ctx.reply("core.stale"), await ctx.menu(staff=True)]
    ctx.finish()
    klass = await classes.get(ctx.db, numbers[0])
    if klass is None:
        return [ctx.reply("classes.gone", [Option(ctx.t("classes.back_to_list"), "cla:list")])]
    found = await scoped_class(ctx, klass.id)
    if not isinstance(found, ClassRow):
        return found
    if action == "g":
        return await _ask_group(ctx, klass)
    if action == "c" and len(numbers) == 3:
        return await _group(ctx, klass, numbers[1], numbers[2])
    if action == "t" and len(numbers) == 4:
        return await _toggle(ctx, klass, *numbers[1:])
    if action == "open":
        return await _open(ctx, klass)
    if action == "close":
        await classes.set_checkin(ctx.db, klass.id, None, None)
        return [ctx.reply("classes.checkin_closed_done"), *await view(ctx, klass.id)]
    if action == "list":
        return await attendance_list(ctx, klass)
    return [ctx.reply("core.stale"), await ctx.menu(staff=True)]


async def _ask_group(ctx: Context, klass: ClassRow) -> list[Reply]:
    invitees = await classes.invitees(ctx.db, klass.id, scope=scope.communes(ctx))
    if not invitees:
        return [ctx.reply("classes.no_invitees", [Option(ctx.t("classes.back_to_list"), f"cla:v:{klass.id}")])]
    options = []
    for index, commune in enumerate(_groups(invitees)):
        group = [i for i in invitees if (i.commune or "") == commune]
        options.append(Option(ctx.t("classes.group_button", commune=commune or "—",
                                    present=sum(i.attended for i in group), invited=len(group)),
                              f"att:c:{klass.id}:{index}:0"))
    options.append(Option(ctx.t("classes.back_to_list"), f"cla:v:{klass.id}"))
    return [ctx.reply("classes.ask_group", options, title=klass.title)]


async def _group(ctx: Context, klass: ClassRow, index: int, page: int) -> list[Reply]:
    groups = _groups(await classes.invitees(ctx.db, klass.id, scope=scope.communes(ctx)))
    if index >= len(groups):
        return await _ask_group(ctx, klass)
    commune = groups[index]
    members = await classes.invitees(ctx.db, klass.id, commune or None, scope.communes(ctx))
    pages = max(1, -(-len(members) // PAGE_SIZE))
    page = min(page, pages - 1)
    options = []
    for person in members[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]:
        label = f"{person.name or '—'} ({person.hamlet or '—'})"
        options.append(Option(ctx.t("classes.present_mark" if person.attended else "classes.absent_mark",
                                    name=label[:60]), f"att:t:{klass.id}:{person.person_id}:{index}:{page}"))
    options += ctx.pager(page, pages, lambda p: f"att:c:{klass.id}:{index}:{p}")
    options.append(Option(ctx.t("classes.groups_back"), f"att:g:{klass.id}"))
    return [ctx.reply("classes.group_title", options, commune=commune or "—")]


async def _toggle(ctx: Context, klass: ClassRow, person_id: int, index: int, page: int) -> list[Reply]:
    invitee = await classes.invitation_of(ctx.db, klass.id, person_id)
    if invitee is not None and not scope.covers(ctx, invitee.commune):  # a forged person id
        return scope.refused(ctx)
    if invitee is not None:
        await classes.mark_attended(ctx.db, klass.id, person_id, not invitee.attended, "staff", ctx.now())
    return await _group(ctx, klass, index, page)


async def _open(ctx: Context, klass: ClassRow) -> list[Reply]:
    now = ctx.now()
    back = [Option(ctx.t("classes.back_to_list"), f"cla:v:{klass.id}")]
    if klass.cancelled:
        return [ctx.reply("classes.not_editable", back)]
    if now < klass.starts_at - CHECKIN_EARLY:
        return [ctx.reply("classes.checkin_too_early", back)]
    until = klass.ends_at + CHECKIN_LATE
    if now >= until:
        return [ctx.reply("classes.checkin_too_late", back)]
    code = klass.checkin_code if klass.checkin_open(now) and klass.checkin_code else _new_code()
    await classes.set_checkin(ctx.db, klass.id, code, until)
    options = [Option(ctx.t("classes.close_checkin_button"), f"att:close:{klass.id}"),
               Option(ctx.t("classes.attendance_list_button"), f"att:list:{klass.id}"), *back]
    return [ctx.reply("classes.checkin_opened", options,
                      title=klass.title, code=code, until=fmt(ctx).when(until))]


def _new_code() -> str:
    # Not guessable from home: random, and only valid while the window is open. No leading zero:
    # "0001" typed on Zalo would otherwise be read as "option 1".
    return str(10 ** (CODE_DIGITS - 1) + secrets.randbelow(9 * 10 ** (CODE_DIGITS - 1)))


async def attendance_list(ctx: Context, klass: ClassRow) -> list[Reply]:
    """Who came and who was absent (with whether they had said so)."""
    invitees = await classes.invitees(ctx.db, klass.id, scope=scope.communes(ctx))
    present = [i for i in invitees if i.attended]
    absent = [i for i in invitees if not i.attended]
    text = [ctx.t("classes.attendance_list", title=klass.title, when=fmt(ctx).when(klass.starts_at),
                  present=len(present), invited=len(invitees))]
    if present:
        text.append(ctx.t("classes.attendance_present_title", count=len(present)) + "\n"
                    + people_lines(ctx, present, reasons=False))
    if absent:
        lines = people_lines(ctx, absent)
        text.append(ctx.t("classes.attendance_absent_title", count=len(absent)) + "\n" + lines)
    return [Reply("\n\n".join(text), [Option(ctx.t("classes.attendance_button"), f"att:g:{klass.id}"),
                                      Option(ctx.t("classes.back_to_list"), f"cla:v:{klass.id}"),
                                      menu_option(ctx)])]


def register(router: Router) -> None:
    """Register the staff's attendance buttons."""
    router.choice("att", on_choice, staff=True)
