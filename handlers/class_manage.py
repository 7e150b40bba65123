"""Classes for staff after /newclass: the overview with counts and the no-answer list, one class
with who has not answered, editing (optimistic version check) and cancelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import reminders
from bot.context import Context
from bot.model import Option, Reply
from bot.store import classes
from bot.store.classes import ClassRow
from handlers import scope
from handlers.class_buttons import (
    AttendanceGroups,
    AttendanceList,
    CancelClass,
    CloseCheckin,
    ConfirmCancel,
    EditClass,
    ListClasses,
    OpenCheckin,
    SaveEdit,
    Step,
    ViewClass,
)
from handlers.class_format import fmt, menu_option
from handlers.class_input import PLACE_LIMIT, TITLE_LIMIT, audience_text, example_day, parse_when, valid_text

OVERVIEW_LIMIT = 10
PEOPLE_LIMIT = 30
RECENT_DAYS = 7
OVERVIEW_SILENT = 5  # names of people without an answer shown per class in the overview


async def overview(ctx: Context) -> list[Reply]:
    """Upcoming (and just finished) classes with invited / coming / not coming / no answer counts."""
    ctx.finish()
    now = ctx.now()
    found = await classes.listed(ctx.db, now - timedelta(days=RECENT_DAYS), OVERVIEW_LIMIT, scope.communes(ctx))
    new_button = Option(ctx.t("classes.newclass_menu_label"), "cmd:newclass")
    if not found:
        return [ctx.reply("classes.admin_none", [new_button, menu_option(ctx)])]
    f = fmt(ctx)
    lines, options = [ctx.t("classes.admin_title")], []
    for n, klass in enumerate(found, start=1):
        when = f.when(klass.starts_at)
        if klass.cancelled:
            lines.append(ctx.t("classes.admin_line_cancelled", n=n, when=when, title=klass.title))
        else:
            c = await classes.counts(ctx.db, klass.id, scope.communes(ctx))
            attended = ctx.t("classes.admin_attended", n=c.attended) if now >= klass.starts_at else ""
            lines.append(ctx.t("classes.admin_line", n=n, when=when, title=klass.title, place=klass.place,
                               invited=c.invited, yes=c.yes, no=c.no, none=c.none, attended=attended))
            if c.none and now < klass.starts_at:
                lines[-1] += "\n" + await _silent_line(ctx, klass.id, c.none)
        label = ctx.t("classes.view_button", n=n, date=f.date(klass.starts_at))
        options.append(Option(label, ViewClass(klass.id).pack()))
    options += [new_button, menu_option(ctx)]
    return [Reply("\n\n".join(lines), options, columns=2)]


async def _silent_line(ctx: Context, class_id: int, count: int) -> str:
    """The first few who have not answered, with their phones: the staff's calling list."""
    silent = await classes.no_answer(ctx.db, class_id, OVERVIEW_SILENT, scope.communes(ctx))
    names = ", ".join(f"{i.name or '—'} ({i.hamlet or '—'}{', ☎ ' + i.phone if i.phone else ''})" for i in silent)
    more = ctx.t("classes.admin_silent_more", n=count - len(silent)) if count > len(silent) else ""
    return ctx.t("classes.admin_silent", names=names) + more


async def view(ctx: Context, class_id: int) -> list[Reply]:
    """One class for staff: details, counts, who has not answered (to call) and who declined."""
    ctx.finish()
    klass = await scoped_class(ctx, class_id)
    if not isinstance(klass, ClassRow):
        return klass
    c = await classes.counts(ctx.db, klass.id, scope.communes(ctx))
    text = [ctx.t("classes.view", details=fmt(ctx).of_class(klass), audience=audience_text(ctx, klass.audience),
                  invited=c.invited, yes=c.yes, no=c.no, none=c.none, attended=c.attended)]
    if klass.cancelled:
        text.append(ctx.t("classes.view_cancelled"))
    invitees = await classes.invitees(ctx.db, klass.id, scope=scope.communes(ctx))
    silent = [i for i in invitees if i.rsvp is None]
    declined = [i for i in invitees if i.rsvp == "no"]
    if silent and not klass.cancelled:
        text.append(ctx.t("classes.no_answer_title", count=len(silent)) + "\n" + people_lines(ctx, silent))
    if declined:
        text.append(ctx.t("classes.declined_title", count=len(declined)) + "\n" + people_lines(ctx, declined))
    options: list[Option] = []
    now = ctx.now()
    if not klass.cancelled:
        if now < klass.starts_at:
            options += [Option(ctx.t("classes.edit_time_button"), EditClass(klass.id, "time").pack()),
                        Option(ctx.t("classes.edit_place_button"), EditClass(klass.id, "place").pack()),
                        Option(ctx.t("classes.edit_title_button"), EditClass(klass.id, "title").pack()),
                        Option(ctx.t("classes.cancel_class_button"), CancelClass(klass.id).pack())]
        options.append(Option(ctx.t("classes.attendance_button"), AttendanceGroups(klass.id).pack()))
        if klass.checkin_open(now):
            options.append(Option(ctx.t("classes.close_checkin_button"), CloseCheckin(klass.id).pack()))
        else:
            options.append(Option(ctx.t("classes.open_checkin_button"), OpenCheckin(klass.id).pack()))
        options.append(Option(ctx.t("classes.attendance_list_button"), AttendanceList(klass.id).pack()))
    options += [ctx.option("classes.back_to_list", ListClasses.head), menu_option(ctx)]
    return [Reply("\n\n".join(text), options, columns=2)]


def people_lines(ctx: Context, people_list: list[classes.Invitee], reasons: bool = True) -> str:
    """• name — hamlet, commune (phone) [reason], at most PEOPLE_LIMIT lines."""
    lines = []
    for person in people_list[:PEOPLE_LIMIT]:
        phone = f" ☎ {person.phone}" if person.phone else ""
        line = ctx.t("classes.person_line", name=person.name or "—", hamlet=person.hamlet or "—",
                     commune=person.commune or "—", phone=phone)
        if reasons and person.reason:
            line += f" ({person.reason})"
        lines.append(line)
    if len(people_list) > PEOPLE_LIMIT:
        lines.append(ctx.t("classes.more_people", n=len(people_list) - PEOPLE_LIMIT))
    return "\n".join(lines)


async def scoped_class(ctx: Context, class_id: int) -> ClassRow | list[Reply]:
    """The class if this staff member may see it; else "gone", or for another commune's class the
    refusal a non-staff user gets."""
    klass = await classes.get(ctx.db, class_id, scope.communes(ctx))
    if klass is not None:
        return klass
    if await classes.get(ctx.db, class_id) is not None:
        return scope.refused(ctx)
    return [ctx.reply("classes.gone"), *await overview(ctx)]


async def _editable(ctx: Context, class_id: int) -> ClassRow | list[Reply]:
    klass = await scoped_class(ctx, class_id)
    if not isinstance(klass, ClassRow):
        return klass
    if klass.cancelled or ctx.now() >= klass.starts_at:
        return [ctx.reply("classes.not_editable"), *await view(ctx, class_id)]
    return klass


async def start_edit(ctx: Context, class_id: int, field: str) -> list[Reply]:
    keys = {"time": "classes.ask_new_time", "place": "classes.ask_new_place", "title": "classes.ask_new_title"}
    if field not in keys:
        return [ctx.reply("core.stale"), await ctx.menu(staff=True)]
    klass = await _editable(ctx, class_id)
    if isinstance(klass, list):
        return klass
    ctx.goto(Step.EDIT, class_id=klass.id, field=field, version=klass.version)
    return [ctx.reply(keys[field], [Option(ctx.t("core.cancel_button"), ViewClass(klass.id).pack())],
                      example=example_day(ctx.local_now().date()))]


async def edit_value(ctx: Context, text: str) -> list[Reply]:
    klass = await _editable(ctx, int(ctx.data["class_id"]))
    if isinstance(klass, list):
        return klass
    field = ctx.data["field"]
    if field == "time":
        value: str = parse_when(ctx, text).isoformat()
        details = fmt(ctx).details(klass.title, klass.place, datetime.fromisoformat(value), klass.topics)
    elif field == "place":
        value = valid_text(text, PLACE_LIMIT)
        details = fmt(ctx).details(klass.title, value, klass.starts_at, klass.topics)
    else:
        value = valid_text(text, TITLE_LIMIT)
        details = fmt(ctx).details(value, klass.place, klass.starts_at, klass.topics)
    ctx.goto(Step.EDIT_CONFIRM, **dict(ctx.data), value=value)
    return [ctx.reply("classes.edit_preview", [ctx.option("classes.edit_confirm_button", SaveEdit.head),
                                               Option(ctx.t("core.cancel_button"), ViewClass(klass.id).pack())],
                      details=details)]


async def save_edit(ctx: Context) -> list[Reply]:
    data = ctx.data
    class_id, field, value = int(data["class_id"]), data["field"], data["value"]
    if await classes.get(ctx.db, class_id, scope.communes(ctx)) is None:  # rights changed meanwhile
        ctx.finish()
        return scope.refused(ctx)
    changes: dict[str, Any] = {"starts_at": datetime.fromisoformat(value)} if field == "time" else {field: value}
    now = ctx.now()
    f = fmt(ctx)
    updated = await classes.update(
        ctx.db, class_id, int(data["version"]), now=now, changes=changes,
        next_reminder=lambda row: reminders.next_due(row.starts_at, ctx.config.reminders, now),
        change_reply=f.change,
    )
    ctx.finish()
    if updated is None:
        return [ctx.reply("classes.conflict"), *await view(ctx, class_id)]
    c = await classes.counts(ctx.db, class_id, scope.communes(ctx))
    return [ctx.reply("classes.edited", [Option(ctx.t("classes.back_to_list"), ListClasses.head), menu_option(ctx)],
                      count=c.invited)]


async def ask_cancel(ctx: Context, class_id: int) -> list[Reply]:
    klass = await _editable(ctx, class_id)
    if isinstance(klass, list):
        return klass
    ctx.goto(Step.CANCEL, class_id=klass.id, version=klass.version)
    return [ctx.reply("classes.cancel_confirm", [ctx.option("classes.cancel_yes", ConfirmCancel.head),
                                                 Option(ctx.t("classes.cancel_no"), ViewClass(klass.id).pack())],
                      title=klass.title, when=fmt(ctx).when(klass.starts_at))]


async def cancel(ctx: Context) -> list[Reply]:
    class_id, version = int(ctx.data["class_id"]), int(ctx.data["version"])
    if await classes.get(ctx.db, class_id, scope.communes(ctx)) is None:  # rights changed meanwhile
        ctx.finish()
        return scope.refused(ctx)
    cancelled = await classes.cancel(ctx.db, class_id, version, now=ctx.now(), cancel_reply=fmt(ctx).cancellation)
    ctx.finish()
    if cancelled is None:
        return [ctx.reply("classes.conflict"), *await view(ctx, class_id)]
    c = await classes.counts(ctx.db, class_id, scope.communes(ctx))
    return [ctx.reply("classes.class_cancelled_done", [Option(ctx.t("classes.back_to_list"), ListClasses.head),
                                                       menu_option(ctx)], count=c.invited)]
