"""Attendance for staff: mark who came, commune by commune; open a check-in window with a
short code shown in the hall (leaders check in with /checkin or "Tôi đã có mặt"); the
attendance list with the absentees after the class.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.callback import Actions
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.router import Router
from bot.store import classes
from bot.store.classes import ClassRow, Invitee
from bot.store.db import Database
from handlers import scope
from handlers.class_buttons import (
    AttendanceGroup,
    AttendanceGroups,
    AttendanceList,
    CloseCheckin,
    ListClasses,
    OpenCheckin,
    ToggleAttended,
    ViewClass,
)
from handlers.class_format import fmt, menu_option
from handlers.class_manage import people_lines, scoped_class, view

PAGE_SIZE = 8
CHECKIN_EARLY = timedelta(hours=1)  # the window may open this long before the start
CHECKIN_LATE = timedelta(minutes=30)  # and stays open this long after the end
CODE_DIGITS = 4


def _groups(invitees: list[Invitee]) -> list[str]:
    """The communes of a class's invitees, in order ("" for people without one)."""
    return sorted({i.commune or "" for i in invitees})


async def _class(ctx: Context, class_id: int) -> ClassRow | list[Reply]:
    """The class the button names, if this staff member may see it."""
    ctx.finish()
    klass = await classes.get(ctx.db, class_id)
    if klass is None:
        return [ctx.reply("classes.gone", [Option(ctx.t("classes.back_to_list"), ListClasses.head)])]
    return await scoped_class(ctx, klass.id)


async def _groups_pressed(button: AttendanceGroups, ctx: Context) -> list[Reply]:
    klass = await _class(ctx, button.class_id)
    return await _ask_group(ctx, klass) if isinstance(klass, ClassRow) else klass


async def _group_pressed(button: AttendanceGroup, ctx: Context) -> list[Reply]:
    klass = await _class(ctx, button.class_id)
    return await _group(ctx, klass, button.index, button.page) if isinstance(klass, ClassRow) else klass


async def _toggle_pressed(button: ToggleAttended, ctx: Context) -> list[Reply]:
    klass = await _class(ctx, button.class_id)
    if not isinstance(klass, ClassRow):
        return klass
    return await _toggle(ctx, klass, button.person_id, button.index, button.page)


async def _open_pressed(button: OpenCheckin, ctx: Context) -> list[Reply]:
    klass = await _class(ctx, button.class_id)
    return await _open(ctx, klass) if isinstance(klass, ClassRow) else klass


async def _close_pressed(button: CloseCheckin, ctx: Context) -> list[Reply]:
    klass = await _class(ctx, button.class_id)
    if not isinstance(klass, ClassRow):
        return klass
    await classes.set_checkin(ctx.db, klass.id, None, None)
    return [ctx.reply("classes.checkin_closed_done"), *await view(ctx, klass.id)]


async def _list_pressed(button: AttendanceList, ctx: Context) -> list[Reply]:
    klass = await _class(ctx, button.class_id)
    return await attendance_list(ctx, klass) if isinstance(klass, ClassRow) else klass


ACTIONS = Actions()
ACTIONS.on(AttendanceGroups, _groups_pressed)
ACTIONS.on(AttendanceGroup, _group_pressed)
ACTIONS.on(ToggleAttended, _toggle_pressed)
ACTIONS.on(OpenCheckin, _open_pressed)
ACTIONS.on(CloseCheckin, _close_pressed)
ACTIONS.on(AttendanceList, _list_pressed)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Attendance buttons (ACTIONS); one not understood gets "menu has changed"."""
    return await ACTIONS.run(event, ctx) or [ctx.reply("core.stale"), await ctx.menu(staff=True)]


async def _ask_group(ctx: Context, klass: ClassRow) -> list[Reply]:
    invitees = await classes.invitees(ctx.db, klass.id, scope=scope.communes(ctx))
    if not invitees:
        return [ctx.reply("classes.no_invitees", [Option(ctx.t("classes.back_to_list"), ViewClass(klass.id).pack())])]
    options = []
    for index, commune in enumerate(_groups(invitees)):
        group = [i for i in invitees if (i.commune or "") == commune]
        options.append(Option(ctx.t("classes.group_button", commune=commune or "—",
                                    present=sum(i.attended for i in group), invited=len(group)),
                              AttendanceGroup(klass.id, index, 0).pack()))
    options.append(Option(ctx.t("classes.back_to_list"), ViewClass(klass.id).pack()))
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
                                    name=label[:60]), ToggleAttended(klass.id, person.person_id, index, page).pack()))
    options += ctx.pager(page, pages, lambda p: AttendanceGroup(klass.id, index, p).pack())
    options.append(Option(ctx.t("classes.groups_back"), AttendanceGroups(klass.id).pack()))
    return [ctx.reply("classes.group_title", options, commune=commune or "—")]


async def _toggle(ctx: Context, klass: ClassRow, person_id: int, index: int, page: int) -> list[Reply]:
    invitee = await classes.invitation_of(ctx.db, klass.id, person_id)
    if invitee is not None and not scope.covers(ctx, invitee.commune):  # a forged person id
        return scope.refused(ctx)
    if invitee is not None:
        await classes.mark_attended(ctx.db, klass.id, person_id, not invitee.attended, "staff", ctx.now())
    return await _group(ctx, klass, index, page)


async def open_checkin(db: Database, klass: ClassRow, now: datetime) -> tuple[str, datetime] | str:
    """Open the check-in window (or keep the open one's code): (code, until), or the text key saying
    why not. Chat's button and the web dashboard share it."""
    if klass.cancelled:
        return "classes.not_editable"
    if now < klass.starts_at - CHECKIN_EARLY:
        return "classes.checkin_too_early"
    until = klass.ends_at + CHECKIN_LATE
    if now >= until:
        return "classes.checkin_too_late"
    code = klass.checkin_code if klass.checkin_open(now) and klass.checkin_code else _new_code()
    await classes.set_checkin(db, klass.id, code, until)
    return code, until


async def _open(ctx: Context, klass: ClassRow) -> list[Reply]:
    back = [Option(ctx.t("classes.back_to_list"), ViewClass(klass.id).pack())]
    opened = await open_checkin(ctx.db, klass, ctx.now())
    if isinstance(opened, str):
        return [ctx.reply(opened, back)]
    code, until = opened
    options = [Option(ctx.t("classes.close_checkin_button"), CloseCheckin(klass.id).pack()),
               Option(ctx.t("classes.attendance_list_button"), AttendanceList(klass.id).pack()), *back]
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
    return [Reply("\n\n".join(text), [Option(ctx.t("classes.attendance_button"), AttendanceGroups(klass.id).pack()),
                                      Option(ctx.t("classes.back_to_list"), ViewClass(klass.id).pack()),
                                      menu_option(ctx)])]


def register(router: Router) -> None:
    """Register the staff's attendance buttons."""
    router.choice("att", on_choice, staff=True)
