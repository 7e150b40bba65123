"""Classes for leaders: /classes (upcoming classes, RSVP with an optional reason, .ics file),
check-in with the code shown in the hall, and the periodic job that queues reminders.

Buttons in invitations and reminders live in outbox messages, so the `cls` prefix is durable:
every press is checked against the database (class exists, person invited, not cancelled,
not started).
"""

from __future__ import annotations

from datetime import timedelta

from bot import reminders
from bot.context import Context, Services
from bot.model import Event, Option, Reply
from bot.payload import is_number
from bot.router import Router
from bot.store import classes
from bot.store.classes import ClassRow, Invitee
from bot.textutil import clean_line, has_letters
from handlers.class_admin import overview
from handlers.class_format import Formatter, fmt, menu_option

REASON_LIMIT = 300
CHECKIN_TRIES = 5
LIST_LIMIT = 5
LATECOMER_WINDOW = timedelta(days=2)  # registrations this recent are checked against upcoming classes


async def show_classes(event: Event, ctx: Context) -> list[Reply]:
    """/classes: staff get the overview with counts; leaders their upcoming classes with buttons."""
    ctx.finish()
    if ctx.is_staff:
        return await overview(ctx)
    now = ctx.now()
    await classes.invite_if_matching(ctx.db, ctx.person, now)
    found = await classes.upcoming_for(ctx.db, ctx.person.id, now)
    if not found:
        return [ctx.reply("classes.none", [menu_option(ctx)])]
    replies = [ctx.reply("classes.list_title")]
    for klass, invitee in found[:LIST_LIMIT]:
        replies.append(class_card(ctx, klass, invitee))
    replies[-1].options.append(menu_option(ctx))
    return replies


def class_card(ctx: Context, klass: ClassRow, invitee: Invitee) -> Reply:
    """One class for a leader: details, their answer, and the buttons that still make sense."""
    f, now = fmt(ctx), ctx.now()
    lines = [f.of_class(klass), _status(ctx, invitee)]
    options: list[Option] = []
    if now < klass.starts_at:
        if invitee.rsvp != "yes":
            options.append(Option(ctx.t("classes.yes_button"), f"cls:y:{klass.id}"))
        if invitee.rsvp != "no":
            options.append(Option(ctx.t("classes.no_button"), f"cls:n:{klass.id}"))
    if klass.checkin_open(now) and not invitee.attended:
        lines.append(ctx.t("classes.checkin_open_hint"))
        options.append(Option(ctx.t("classes.checkin_button"), f"cls:in:{klass.id}"))
    options.append(Option(ctx.t("classes.ics_button"), f"cls:ics:{klass.id}"))
    return Reply("\n".join(lines), options)


def _status(ctx: Context, invitee: Invitee) -> str:
    if invitee.attended:
        return ctx.t("classes.status_attended")
    if invitee.rsvp == "yes":
        return ctx.t("classes.status_yes")
    if invitee.rsvp == "no":
        return (ctx.t("classes.status_no_reason", reason=invitee.reason) if invitee.reason
                else ctx.t("classes.status_no"))
    return ctx.t("classes.status_none")


async def _checked(ctx: Context, raw_id: str, *, before_start: bool) -> tuple[ClassRow, Invitee] | list[Reply]:
    """The class and this person's invitation, or the polite reply why the button no longer works."""
    valid = is_number(raw_id)
    klass = await classes.get(ctx.db, int(raw_id)) if valid else None
    if klass is None:
        return [ctx.reply("classes.gone", [menu_option(ctx)])]
    invitee = await classes.invitation_of(ctx.db, klass.id, ctx.person.id)
    if invitee is None:
        return [ctx.reply("classes.not_invited", [menu_option(ctx)])]
    if klass.cancelled:
        return [ctx.reply("classes.was_cancelled", [menu_option(ctx)], title=klass.title)]
    if before_start and ctx.now() >= klass.starts_at:
        return [ctx.reply("classes.started", [menu_option(ctx)], title=klass.title)]
    return klass, invitee


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Buttons of invitations, reminders and /classes: cls:<y|n|ics|in|skip>:<class id>."""
    _, action, raw_id = [*event.value.split(":", 2), "", ""][:3]
    if action not in ("y", "n", "ics", "in", "skip"):
        return [ctx.reply("core.stale", [menu_option(ctx)])]
    if action == "skip":
        ctx.finish()
        return [ctx.reply("classes.reason_skipped", [menu_option(ctx)])]
    checked = await _checked(ctx, raw_id, before_start=action in ("y", "n"))
    if isinstance(checked, list):
        ctx.finish()
        return checked
    klass, invitee = checked
    f = fmt(ctx)
    if action == "y":
        ctx.finish()
        await classes.set_rsvp(ctx.db, klass.id, ctx.person.id, "yes", ctx.now())
        return [ctx.reply("classes.rsvp_yes_done", [Option(ctx.t("classes.no_button"), f"cls:n:{klass.id}"),
                                                    Option(ctx.t("classes.ics_button"), f"cls:ics:{klass.id}"),
                                                    menu_option(ctx)], details=f.of_class(klass))]
    if action == "n":
        await classes.set_rsvp(ctx.db, klass.id, ctx.person.id, "no", ctx.now())
        ctx.goto("classes.reason", class_id=klass.id)
        return [ctx.reply("classes.rsvp_no_done", [ctx.option("classes.skip_button", f"cls:skip:{klass.id}"),
                                                   Option(ctx.t("classes.yes_button"), f"cls:y:{klass.id}")],
                          title=klass.title)]
    if action == "ics":
        reply = ctx.reply("classes.ics_caption", [menu_option(ctx)], title=klass.title)
        reply.attachment = f.calendar_file(klass, ctx.now(), ctx.config.reminders)
        return [reply]
    return await _ask_code(ctx, klass, invitee)


async def _ask_code(ctx: Context, klass: ClassRow, invitee: Invitee) -> list[Reply]:
    if invitee.attended:
        ctx.finish()
        return [ctx.reply("classes.checkin_already", [menu_option(ctx)], title=klass.title)]
    if not klass.checkin_open(ctx.now()):
        ctx.finish()
        return [ctx.reply("classes.checkin_closed", [menu_option(ctx)], title=klass.title)]
    if await classes.checkin_tries(ctx.db, klass.id, ctx.person.id) >= CHECKIN_TRIES:
        ctx.finish()  # counted in the database: a new /checkin gives no new tries
        return [ctx.reply("classes.checkin_locked", [menu_option(ctx)])]
    ctx.goto("classes.checkin", class_id=klass.id)
    return [ctx.reply("classes.checkin_ask", [ctx.option("core.cancel_button", "cmd:menu")], title=klass.title)]


async def checkin_command(event: Event, ctx: Context) -> list[Reply]:
    """/checkin: check in to the class of mine whose check-in window is open."""
    ctx.finish()
    now = ctx.now()
    for klass, invitee in await classes.upcoming_for(ctx.db, ctx.person.id, now):
        if klass.checkin_open(now):
            return await _ask_code(ctx, klass, invitee)
    return [ctx.reply("classes.checkin_none", [menu_option(ctx)])]


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed answers: the reason for not coming, or the check-in code."""
    if ctx.step == "classes.checkin":
        return await _take_code(event, ctx)
    class_id = int(ctx.data.get("class_id", 0))
    reason = clean_line(event.value) if event.kind == "text" else ""
    skip = ctx.option("classes.skip_button", f"cls:skip:{class_id}")
    if not has_letters(reason) or len(reason) > REASON_LIMIT:
        return [ctx.reply("classes.reason_invalid", [skip], limit=REASON_LIMIT)]
    ctx.finish()
    invitee = await classes.invitation_of(ctx.db, class_id, ctx.person.id)
    if invitee is None:
        return [ctx.reply("classes.gone", [menu_option(ctx)])]
    await classes.set_reason(ctx.db, class_id, ctx.person.id, reason)
    return [ctx.reply("classes.reason_saved", [menu_option(ctx)])]


async def _take_code(event: Event, ctx: Context) -> list[Reply]:
    checked = await _checked(ctx, str(ctx.data.get("class_id", "")), before_start=False)
    if isinstance(checked, list):
        ctx.finish()
        return checked
    klass = checked[0]
    now = ctx.now()
    if not klass.checkin_open(now):
        ctx.finish()
        return [ctx.reply("classes.checkin_closed", [menu_option(ctx)], title=klass.title)]
    typed = "".join(ch for ch in clean_line(event.value) if not ch.isspace()) if event.kind == "text" else ""
    if await classes.checkin_tries(ctx.db, klass.id, ctx.person.id) >= CHECKIN_TRIES:
        ctx.finish()
        return [ctx.reply("classes.checkin_locked", [menu_option(ctx)])]
    if typed and typed == klass.checkin_code:
        ctx.finish()
        await classes.mark_attended(ctx.db, klass.id, ctx.person.id, True, "checkin", now)
        return [ctx.reply("classes.checkin_done", [menu_option(ctx)], title=klass.title)]
    tries = await classes.add_checkin_try(ctx.db, klass.id, ctx.person.id, now)
    if tries >= CHECKIN_TRIES:
        ctx.finish()
        return [ctx.reply("classes.checkin_locked", [menu_option(ctx)])]
    return [ctx.reply("classes.checkin_wrong", [ctx.option("core.cancel_button", "cmd:menu")],
                      left=CHECKIN_TRIES - tries)]


async def send_due_reminders(services: Services) -> None:
    """The periodic job: queue every class reminder that is due now (idempotent)."""
    await reminders.enqueue_due(services.db, services.config.reminders, services.clock.now(),
                                Formatter.of(services).reminder)


async def invite_latecomers(services: Services) -> None:
    """The periodic job: people who registered in the last days get the invitations they missed."""
    now = services.clock.now()
    await classes.invite_latecomers(services.db, now, now - LATECOMER_WINDOW, Formatter.of(services).invitation)


def register(router: Router) -> None:
    """Register /classes, /checkin, the RSVP buttons, and the reminder job."""
    router.command("classes", show_classes, aliases=("lop hoc", "lich hoc"), describe="classes.cmd_desc")
    router.command("checkin", checkin_command, aliases=("diem danh", "co mat"), describe="classes.checkin_desc")
    router.choice("cls", on_choice, durable=True)
    router.step("classes", on_step)
    router.menu("classes.menu_label", "classes", order=40)
    router.periodic("class_reminders", 30, send_due_reminders)
    router.periodic("class_latecomers", 60, invite_latecomers)
