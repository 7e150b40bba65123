"""Staff broadcast (/broadcast): compose, choose the audience, preview, send now or at a set time;
leaders press "Đã nhận ✅"; staff follow progress (edited in place) and the final report.

Everything goes out through the outbox (kind "broadcast", ref = broadcast id), so pacing,
flood control, /stop, /delete_me and crash recovery are the outbox's business.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot import timeparse
from bot.callback import Actions
from bot.clock import iso, parse_iso
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.roles import ROLES
from bot.router import Router
from bot.store import broadcasts
from bot.textutil import clean_block, clean_line, fold, has_letters
from handlers import reachability, scope
from handlers.broadcast_buttons import (
    Ack,
    Audience,
    Cancel,
    CancelScheduled,
    Commune,
    OtherAudience,
    Report,
    Role,
    Send,
    Step,
    When,
)
from handlers.broadcast_report import (
    audience_name,
    cancel_scheduled,
    progress_job,
    progress_text,
    prune_payloads,
    report,
    resend_unknown,
    status,
    when_local,
)

log = logging.getLogger(__name__)

TEXT_LIMIT = 3000  # leaves room for Telegram's 4096 with the preview around it
MAX_DAYS_AHEAD = 60
STATUS_WORDS = {"status", "trang thai", "bao cao", "tien do"}


async def start(event: Event, ctx: Context) -> list[Reply]:
    """/broadcast [text | status]: compose a broadcast (or see recent ones)."""
    args = clean_block(event.args) if event.kind == "command" else ""
    if fold(args) in STATUS_WORDS:
        ctx.finish()
        return [await status(ctx)]
    if not args:
        ctx.goto(Step.TEXT)
        return [ctx.reply("broadcast.ask_text", [_cancel(ctx)], limit=TEXT_LIMIT)]
    return await take_text(ctx, args)


def _cancel(ctx: Context) -> Option:
    return ctx.option("broadcast.cancel_button", Cancel.head)


async def take_text(ctx: Context, text: str) -> list[Reply]:
    """Check the message, then ask for the audience."""
    ctx.goto(Step.TEXT)
    if not has_letters(text):
        return [ctx.reply("broadcast.text_empty", [_cancel(ctx)])]
    if len(text) > TEXT_LIMIT:
        return [ctx.reply("broadcast.text_too_long", [_cancel(ctx)], length=len(text), limit=TEXT_LIMIT)]
    # The draft's id makes "Gửi" idempotent: confirming the same draft twice stores it once.
    ctx.goto(Step.AUDIENCE, text=text, kinds=await broadcasts.audience_kinds(ctx.db),
             draft=secrets.token_hex(8))
    return [ask_audience_sync(ctx)]


def ask_audience_sync(ctx: Context) -> Reply:
    """Audience buttons (those whose feature is installed are checked when pressed)."""
    kinds = ctx.data.get("kinds") or ["all", "commune", "role"]
    options = [ctx.option(f"broadcast.audience.{kind}", Audience(kind).pack()) for kind in kinds]
    return ctx.reply("broadcast.ask_audience", [*options, _cancel(ctx)])


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed answers while composing: the message text; elsewhere, a nudge back to the buttons."""
    if ctx.step == Step.TEXT:
        if event.kind != "text":
            return [ctx.reply("broadcast.text_only", [_cancel(ctx)])]
        return await take_text(ctx, clean_block(event.value))
    if ctx.step == Step.CONFIRM and ctx.data.get("audience") and ctx.data.get("text"):
        return [Reply(ctx.t("broadcast.use_buttons")), await preview(ctx, dict(ctx.data["audience"]))]
    if ctx.data.get("text"):
        return [Reply(ctx.t("broadcast.use_buttons")), ask_audience_sync(ctx)]
    ctx.finish()
    return [Reply(ctx.t("core.stale")), await ctx.menu(staff=True)]


async def _cancel_pressed(button: Cancel, ctx: Context) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("broadcast.cancelled", [ctx.option("core.menu_button", "cmd:admin")])]


async def _cancel_scheduled_pressed(button: CancelScheduled, ctx: Context) -> list[Reply]:
    return [await cancel_scheduled(ctx, button.broadcast_id)]


async def _audience(button: Audience, ctx: Context) -> list[Reply]:
    if button.kind not in await broadcasts.audience_kinds(ctx.db):
        return [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]
    if button.kind == "commune":
        return [await ask_commune(ctx)]
    if button.kind == "role":
        return [ask_role(ctx)]
    return [await preview(ctx, {"kind": button.kind})]


async def _commune(button: Commune, ctx: Context) -> list[Reply]:
    names = list(ctx.data.get("communes", []))
    if button.index < len(names) and scope.covers(ctx, names[button.index]):
        return [await preview(ctx, {"kind": "commune", "value": names[button.index]})]
    return [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]


async def _role(button: Role, ctx: Context) -> list[Reply]:
    if button.role not in ROLES:
        return [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]
    return [await preview(ctx, {"kind": "role", "value": button.role})]


async def _other(button: OtherAudience, ctx: Context) -> list[Reply]:
    ctx.goto(Step.AUDIENCE, text=str(ctx.data.get("text", "")), kinds=await broadcasts.audience_kinds(ctx.db),
             draft=ctx.data.get("draft") or secrets.token_hex(8))
    return [ask_audience_sync(ctx)]


async def _when(button: When, ctx: Context) -> list[Reply]:
    if not ctx.data.get("audience"):
        return [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]
    ctx.goto(Step.WHEN, **_kept(ctx))
    return [ctx.reply("broadcast.ask_when", [_cancel(ctx)])]


async def _send(button: Send, ctx: Context) -> list[Reply]:
    if not ctx.data.get("audience"):
        return [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]
    return await send(ctx)


ANYTIME = Actions()  # buttons that need no draft
ANYTIME.on(Cancel, _cancel_pressed)
ANYTIME.on(CancelScheduled, _cancel_scheduled_pressed)
COMPOSING = Actions()  # buttons of a draft being composed (its text kept in the step)
COMPOSING.on(Audience, _audience)
COMPOSING.on(Commune, _commune)
COMPOSING.on(Role, _role)
COMPOSING.on(OtherAudience, _other)
COMPOSING.on(When, _when)
COMPOSING.on(Send, _send)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Composing buttons (ANYTIME, then COMPOSING while a draft is open)."""
    replies = await ANYTIME.run(event, ctx)
    if replies is not None:
        return replies
    if not ctx.data.get("text") or ctx.step not in Step.COMPOSING:
        return [Reply(ctx.t("core.stale")), await ctx.menu(staff=True)]
    return await COMPOSING.run(event, ctx) or [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]


def _kept(ctx: Context) -> dict[str, Any]:
    return {k: ctx.data[k] for k in ("text", "audience", "not_before", "kinds", "draft") if k in ctx.data}


async def ask_commune(ctx: Context) -> Reply:
    """Communes that have registered leaders (listed ones first, in content order)."""
    known = await broadcasts.communes(ctx.db, scope.communes(ctx))
    ordered = [c.name for c in ctx.content.units.communes if c.name in known]
    ordered += [name for name in known if name not in ordered]
    if not ordered:
        return ctx.reply("broadcast.no_communes", [*ask_audience_sync(ctx).options])
    ctx.remember(communes=ordered)
    options = [Option(name[:60], Commune(i).pack()) for i, name in enumerate(ordered)]
    return ctx.reply("broadcast.ask_commune", [*options, _cancel(ctx)])


def ask_role(ctx: Context) -> Reply:
    """Role buttons."""
    options = [Option(ctx.t(f"onboarding.roles.{key}"), Role(key).pack()) for key in ROLES]
    return ctx.reply("broadcast.ask_role", [*options, _cancel(ctx)])


def scoped(ctx: Context, audience: dict[str, Any]) -> dict[str, Any]:
    """The audience cut to the staff member's communes ("Tất cả" = all of theirs); province admins'
    audiences are left as chosen."""
    mine = scope.communes(ctx)
    if mine is None:
        chosen = {k: v for k, v in audience.items() if k != "communes"}
        if chosen.get("kind") == "commune":  # that commune's staff may follow its report too
            chosen["communes"] = [str(chosen.get("value", ""))]
        return chosen
    return {**audience, "communes": sorted(mine)}


async def preview(ctx: Context, audience: dict[str, Any]) -> Reply:
    """The exact message, who gets it and how many, then Gửi / Hẹn giờ / Hủy."""
    text = str(ctx.data["text"])
    audience = scoped(ctx, audience)
    ctx.goto(Step.CONFIRM, **{**_kept(ctx), "audience": audience})
    chosen = await broadcasts.reach(ctx.db, audience, ctx.now())
    name = audience_name(ctx.t, audience)
    if not chosen.reachable:
        return ctx.reply("broadcast.nobody", [ctx.option("broadcast.other_audience_button", OtherAudience.head),
                                              _cancel(ctx)], audience=name)
    excluded = ""
    if chosen.stopped or chosen.unreachable:
        excluded = ctx.t("broadcast.excluded", stopped=chosen.stopped, unreachable=chosen.unreachable)
    when_iso = ctx.data.get("not_before")
    if when_iso:
        when_text = when_local(ctx, parse_iso(when_iso))
        when = ctx.t("broadcast.when_later", when=when_text)
        send = ctx.option("broadcast.send_later_button", Send.head, when=when_text)
    else:
        when = ""
        send = ctx.option("broadcast.send_now_button", Send.head)
    options = [send, ctx.option("broadcast.schedule_button", When.head),
               ctx.option("broadcast.other_audience_button", OtherAudience.head), _cancel(ctx)]
    return ctx.reply("broadcast.preview", options, audience=name, count=chosen.reachable, excluded=excluded,
                     when=when, text=text)


def take_when(ctx: Context, typed: str) -> list[Reply]:
    """The typed send time: check it, then show the preview again (sync part)."""
    now_local = ctx.local_now()
    try:
        moment = timeparse.parse_moment(typed, now_local + timedelta(minutes=1))
    except timeparse.TimeParseError as error:
        if error.reason == "past" and isinstance(error.when, datetime):
            return [ctx.reply("broadcast.past_when", [_cancel(ctx)], when=error.when.strftime("%H:%M %d/%m/%Y"))]
        return [ctx.reply("broadcast.bad_when", [_cancel(ctx)], typed=typed[:40] or "…")]
    if moment > now_local + timedelta(days=MAX_DAYS_AHEAD):
        return [ctx.reply("broadcast.far_when", [_cancel(ctx)], days=MAX_DAYS_AHEAD)]
    ctx.remember(not_before=iso(moment))
    ctx.goto(Step.CONFIRM, **_kept(ctx))
    return []  # on_when_step shows the preview


async def on_when_step(event: Event, ctx: Context) -> list[Reply]:
    """broadcast.when: a typed time, then the preview with "Hẹn gửi lúc …"."""
    if event.kind != "text":
        return [ctx.reply("broadcast.bad_when", [_cancel(ctx)], typed="…")]
    replies = take_when(ctx, clean_line(event.value))
    if replies:
        return replies
    return [await preview(ctx, dict(ctx.data["audience"]))]


async def send(ctx: Context) -> list[Reply]:
    """Gửi: store the broadcast and queue it; the outbox does the rest. Recipients are those of the
    audience when Gửi is pressed (also for a scheduled one); /stop and /delete_me are checked again
    when each message goes out."""
    text = str(ctx.data["text"])
    audience = scoped(ctx, dict(ctx.data["audience"]))  # rights may have changed since the preview
    if audience.get("kind") == "commune" and not scope.covers(ctx, str(audience.get("value"))):
        ctx.finish()
        return scope.refused(ctx)
    now = ctx.now()
    not_before = parse_iso(ctx.data["not_before"]) if ctx.data.get("not_before") else now
    if not_before < now:
        not_before = now
    t = ctx.t
    ack_label = t("broadcast.ack_button")

    def message(broadcast_id: int) -> Reply:
        return Reply(text, [Option(ack_label, Ack(broadcast_id).pack())])

    def progress(broadcast_id: int, total: int) -> Reply:
        return Reply(progress_text(t, broadcast_id, {"pending": total}, total, "sending"))

    draft = str(ctx.data["draft"]) if ctx.data.get("draft") else None
    try:
        broadcast_id, count = await broadcasts.create(ctx.db, ctx.person.id, text, audience, now, not_before,
                                                      message, progress, actor=str(ctx.identity), draft=draft)
    except broadcasts.DraftAlreadySent:
        ctx.finish()
        return [await _already_sent(ctx, draft or "")]
    ctx.finish()
    log.info("broadcast %d started by person %d: %d recipients, from %s", broadcast_id, ctx.person.id, count,
             iso(not_before))
    back = [ctx.option("broadcast.new_button", "cmd:broadcast"), ctx.option("core.menu_button", "cmd:admin")]
    if count == 0:
        await broadcasts.cancel(ctx.db, broadcast_id, now)
        return [ctx.reply("broadcast.none_queued", back)]
    ctx.services.hooks.wake()
    if not_before > now:
        return [ctx.reply("broadcast.scheduled", back, id=broadcast_id, count=count, when=when_local(ctx, not_before))]
    return [ctx.reply("broadcast.queued", back, id=broadcast_id, count=count)]


async def _already_sent(ctx: Context, draft: str) -> Reply:
    """The broadcast this draft became (a second "Gửi" after a crash or a double press): shown, not resent."""
    item = await broadcasts.by_draft(ctx.db, draft)
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if item is None:
        return ctx.reply("broadcast.not_found", back)
    return ctx.reply("broadcast.draft_already_sent", [Option(ctx.t("broadcast.report_button"), Report(item.id).pack()),
                                                      *back], id=item.id, count=item.recipients)


async def acknowledge(event: Event, ctx: Context) -> list[Reply]:
    """"Đã nhận ✅" under a broadcast (durable: checked against what this person was sent)."""
    button = Ack.unpack(event.value)
    if button is None:
        return [ctx.reply("broadcast.ack_invalid", [ctx.option("core.menu_button", "cmd:menu")])]
    result = await broadcasts.ack(ctx.db, button.broadcast_id, ctx.person.id, ctx.now())
    key = {"new": "broadcast.ack_thanks", "again": "broadcast.ack_again"}.get(result, "broadcast.ack_invalid")
    return [ctx.reply(key, [ctx.option("core.menu_button", "cmd:menu")])]


def register(router: Router) -> None:
    """Register /broadcast, its steps and buttons, "Đã nhận", the report and the progress job."""
    router.command("broadcast", start, staff=True, aliases=("thong bao", "gui thong bao"),
                   describe="broadcast.cmd_desc")
    router.menu("broadcast.menu_label", "broadcast", staff=True, order=10)
    router.step(Step.WHEN, on_when_step, staff=True)
    router.step("broadcast", on_step, staff=True)
    router.choice("bc", on_choice, staff=True)
    router.choice("bcr", report, staff=True, durable=True)  # in the outbox's final report
    router.choice("bcu", resend_unknown, staff=True, durable=True)  # checked against the database
    reachability.register(router)
    router.choice("ack", acknowledge, durable=True)  # under every broadcast message
    router.periodic("broadcast.progress", 2.0, progress_job)
    router.periodic("deliveries.prune", 3600, prune_payloads)  # settled deliveries forget their text after 30 days
