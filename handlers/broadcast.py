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
from bot.clock import iso, parse_iso
from bot.context import Context, Services
from bot.model import Event, Option, Reply
from bot.payload import is_number, number_or
from bot.roles import ROLES
from bot.router import Router
from bot.store import broadcasts, deliveries
from bot.textutil import clean_block, clean_line, fold, has_letters
from handlers import reachability, scope

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
        ctx.goto("broadcast.text")
        return [ctx.reply("broadcast.ask_text", [_cancel(ctx)], limit=TEXT_LIMIT)]
    return await take_text(ctx, args)


def _cancel(ctx: Context) -> Option:
    return ctx.option("broadcast.cancel_button", "bc:cancel")


async def take_text(ctx: Context, text: str) -> list[Reply]:
    """Check the message, then ask for the audience."""
    ctx.goto("broadcast.text")
    if not has_letters(text):
        return [ctx.reply("broadcast.text_empty", [_cancel(ctx)])]
    if len(text) > TEXT_LIMIT:
        return [ctx.reply("broadcast.text_too_long", [_cancel(ctx)], length=len(text), limit=TEXT_LIMIT)]
    # The draft's id makes "Gửi" idempotent: confirming the same draft twice stores it once.
    ctx.goto("broadcast.audience", text=text, kinds=await broadcasts.audience_kinds(ctx.db),
             draft=secrets.token_hex(8))
    return [ask_audience_sync(ctx)]


def ask_audience_sync(ctx: Context) -> Reply:
    """Audience buttons (those whose feature is installed are checked when pressed)."""
    kinds = ctx.data.get("kinds") or ["all", "commune", "role"]
    options = [ctx.option(f"broadcast.audience.{kind}", f"bc:aud:{kind}") for kind in kinds]
    return ctx.reply("broadcast.ask_audience", [*options, _cancel(ctx)])


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed answers while composing: the message text; elsewhere, a nudge back to the buttons."""
    if ctx.step == "broadcast.text":
        if event.kind != "text":
            return [ctx.reply("broadcast.text_only", [_cancel(ctx)])]
        return await take_text(ctx, clean_block(event.value))
    if ctx.step == "broadcast.confirm" and ctx.data.get("audience") and ctx.data.get("text"):
        return [Reply(ctx.t("broadcast.use_buttons")), await preview(ctx, dict(ctx.data["audience"]))]
    if ctx.data.get("text"):
        return [Reply(ctx.t("broadcast.use_buttons")), ask_audience_sync(ctx)]
    ctx.finish()
    return [Reply(ctx.t("core.stale")), await ctx.menu(staff=True)]


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Composing buttons: bc:aud:<kind>, bc:com:<i>, bc:role:<key>, bc:when, bc:send, bc:cancel, bc:x:<id>."""
    _, action, value = [*event.value.split(":", 2), "", ""][:3]
    if action == "cancel":
        ctx.finish()
        return [ctx.reply("broadcast.cancelled", [ctx.option("core.menu_button", "cmd:admin")])]
    if action == "x":
        return [await cancel_scheduled(ctx, value)]
    text = str(ctx.data.get("text", ""))
    if not text or not (ctx.step or "").startswith("broadcast."):
        return [Reply(ctx.t("core.stale")), await ctx.menu(staff=True)]
    if action == "aud":
        kinds = await broadcasts.audience_kinds(ctx.db)
        if value not in kinds:
            return [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]
        if value == "commune":
            return [await ask_commune(ctx)]
        if value == "role":
            return [ask_role(ctx)]
        return [await preview(ctx, {"kind": value})]
    if action == "com":
        names = list(ctx.data.get("communes", []))
        index = number_or(value, -1)
        if 0 <= index < len(names) and scope.covers(ctx, names[index]):
            return [await preview(ctx, {"kind": "commune", "value": names[index]})]
    if action == "role" and value in ROLES:
        return [await preview(ctx, {"kind": "role", "value": value})]
    if action == "other":
        ctx.goto("broadcast.audience", text=text, kinds=await broadcasts.audience_kinds(ctx.db),
                 draft=ctx.data.get("draft") or secrets.token_hex(8))
        return [ask_audience_sync(ctx)]
    if action == "when" and ctx.data.get("audience"):
        ctx.goto("broadcast.when", **_kept(ctx))
        return [ctx.reply("broadcast.ask_when", [_cancel(ctx)])]
    if action == "send" and ctx.data.get("audience"):
        return await send(ctx)
    return [Reply(ctx.t("core.stale")), ask_audience_sync(ctx)]


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
    options = [Option(name[:60], f"bc:com:{i}") for i, name in enumerate(ordered)]
    return ctx.reply("broadcast.ask_commune", [*options, _cancel(ctx)])


def ask_role(ctx: Context) -> Reply:
    """Role buttons."""
    options = [Option(ctx.t(f"onboarding.roles.{key}"), f"bc:role:{key}") for key in ROLES]
    return ctx.reply("broadcast.ask_role", [*options, _cancel(ctx)])


def audience_name(t: Any, audience: dict[str, Any]) -> str:
    """The audience in words, e.g. "Xã Hương Khê" or "Trưởng thôn"."""
    kind = str(audience.get("kind", "all"))
    value = str(audience.get("value", ""))
    if kind == "role":
        value = t(f"onboarding.roles.{value}") if f"onboarding.roles.{value}" in t else value
    name = str(t(f"broadcast.audience_name.{kind}", value=value))
    if audience.get("communes") and kind != "commune":  # a commune staff member's "Tất cả" names theirs
        name += f" ({', '.join(audience['communes'])})"
    return name


def _local(ctx: Context | Services, moment: datetime) -> str:
    config = ctx.config
    return moment.astimezone(config.tz).strftime("%H:%M %d/%m/%Y")


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
    ctx.goto("broadcast.confirm", **{**_kept(ctx), "audience": audience})
    chosen = await broadcasts.reach(ctx.db, audience, ctx.now())
    name = audience_name(ctx.t, audience)
    if not chosen.reachable:
        return ctx.reply("broadcast.nobody", [ctx.option("broadcast.other_audience_button", "bc:other"),
                                              _cancel(ctx)], audience=name)
    excluded = ""
    if chosen.stopped or chosen.unreachable:
        excluded = ctx.t("broadcast.excluded", stopped=chosen.stopped, unreachable=chosen.unreachable)
    when_iso = ctx.data.get("not_before")
    if when_iso:
        when_text = _local(ctx, parse_iso(when_iso))
        when = ctx.t("broadcast.when_later", when=when_text)
        send = ctx.option("broadcast.send_later_button", "bc:send", when=when_text)
    else:
        when = ""
        send = ctx.option("broadcast.send_now_button", "bc:send")
    options = [send, ctx.option("broadcast.schedule_button", "bc:when"),
               ctx.option("broadcast.other_audience_button", "bc:other"), _cancel(ctx)]
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
    ctx.goto("broadcast.confirm", **_kept(ctx))
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
        return Reply(text, [Option(ack_label, f"ack:{broadcast_id}")])

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
        return [ctx.reply("broadcast.scheduled", back, id=broadcast_id, count=count, when=_local(ctx, not_before))]
    return [ctx.reply("broadcast.queued", back, id=broadcast_id, count=count)]


async def _already_sent(ctx: Context, draft: str) -> Reply:
    """The broadcast this draft became (a second "Gửi" after a crash or a double press): shown, not resent."""
    item = await broadcasts.by_draft(ctx.db, draft)
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if item is None:
        return ctx.reply("broadcast.not_found", back)
    return ctx.reply("broadcast.draft_already_sent", [Option(ctx.t("broadcast.report_button"), f"bcr:{item.id}"),
                                                      *back], id=item.id, count=item.recipients)


async def prune_payloads(services: Services) -> None:
    """The periodic job: settled deliveries forget their text after the retention period."""
    await deliveries.prune(services.db, services.clock.now())


def progress_text(t: Any, broadcast_id: int, counts: dict[str, int], total: int, state: str, **values: Any) -> str:
    """Sent / pending / unreachable / failed, and how many pressed "Đã nhận"."""
    unknown = counts.get("unknown", 0)
    return str(t(
        "broadcast.progress", id=broadcast_id, state=t(f"broadcast.state_{state}", **values),
        sent=counts.get("sent", 0) + unknown, total=total,
        pending=counts.get("pending", 0) + counts.get("sending", 0),
        blocked=counts.get("blocked", 0) + counts.get("skipped", 0), failed=counts.get("failed", 0),
        unknown=t("broadcast.progress_unknown", unknown=unknown) if unknown else "",
        acked=counts.get("acked", 0),
    ))


async def acknowledge(event: Event, ctx: Context) -> list[Reply]:
    """"Đã nhận ✅" under a broadcast (durable: checked against what this person was sent)."""
    raw = event.value.partition(":")[2]
    if not is_number(raw):
        return [ctx.reply("broadcast.ack_invalid", [ctx.option("core.menu_button", "cmd:menu")])]
    result = await broadcasts.ack(ctx.db, int(raw), ctx.person.id, ctx.now())
    key = {"new": "broadcast.ack_thanks", "again": "broadcast.ack_again"}.get(result, "broadcast.ack_invalid")
    return [ctx.reply(key, [ctx.option("core.menu_button", "cmd:menu")])]


def _excerpt(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


async def status(ctx: Context) -> Reply:
    """/broadcast status: recent broadcasts, a report button each, a cancel button for scheduled ones."""
    recent = await broadcasts.recent(ctx.db, scope=scope.communes(ctx))
    if not recent:
        return ctx.reply("broadcast.status_empty", [ctx.option("broadcast.new_button", "cmd:broadcast")])
    options = []
    now = ctx.now()
    for item in recent:
        created = _local(ctx, parse_iso(item.created_at))
        options.append(ctx.option("broadcast.status_line", f"bcr:{item.id}", id=item.id, created=created,
                                  excerpt=_excerpt(item.text, 30)))
        if item.finished_at is None and item.cancelled_at is None and parse_iso(item.not_before) > now:
            options.append(ctx.option("broadcast.cancel_scheduled_button", f"bc:x:{item.id}", id=item.id))
    options.append(ctx.option("core.menu_button", "cmd:admin"))
    return ctx.reply("broadcast.status_title", options)


async def cancel_scheduled(ctx: Context, raw: str) -> Reply:
    """Withdraw a scheduled broadcast that has not started."""
    item = await broadcasts.get(ctx.db, int(raw)) if is_number(raw) else None
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if item is None:
        return ctx.reply("broadcast.not_found", back)
    if await broadcasts.get(ctx.db, item.id, scope.communes(ctx)) is None:
        return scope.refused(ctx)[0]
    if item.finished_at is not None or item.cancelled_at is not None:
        return ctx.reply("broadcast.already_sent", back, id=item.id)
    withdrawn = await broadcasts.cancel(ctx.db, item.id, ctx.now())
    counts = await broadcasts.counts(ctx.db, item.id)
    await broadcasts.set_progress(ctx.db, item.id, progress_text(ctx.t, item.id, counts, item.recipients,
                                                                 "cancelled"))
    return ctx.reply("broadcast.scheduled_cancelled", back, id=item.id, count=withdrawn)


async def report(event: Event, ctx: Context) -> list[Reply]:
    """bcr:<id>: counts, then who could not be reached, whose message is in doubt (with a button to
    send again), and who has or has not pressed "Đã nhận"."""
    raw = event.value.partition(":")[2]
    item = await broadcasts.get(ctx.db, int(raw)) if is_number(raw) else None
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if item is None:
        return [ctx.reply("broadcast.not_found", back)]
    if await broadcasts.get(ctx.db, item.id, scope.communes(ctx)) is None:
        return scope.refused(ctx)
    counts = await broadcasts.counts(ctx.db, item.id)
    progress = progress_text(ctx.t, item.id, counts, item.recipients, _state(item, counts))
    text = ctx.t("broadcast.report", id=item.id, created=_local(ctx, parse_iso(item.created_at)),
                 excerpt=_excerpt(item.text), audience=audience_name(ctx.t, item.audience), progress=progress)
    options = [Option(ctx.t("broadcast.report_button"), f"bcr:{item.id}"), *back]
    for which, key in (("unreachable", "broadcast.report_unreachable"), ("unknown", "broadcast.report_unknown"),
                       ("unacked", "broadcast.report_unacked"), ("acked", "broadcast.report_acked")):
        names, total = await broadcasts.people_with(ctx.db, item.id, which, scope=scope.communes(ctx))
        if total:
            lines = [f"• {n.name} — {', '.join(x for x in (n.hamlet, n.commune) if x)}" for n in names]
            if total > len(names):
                lines.append(ctx.t("broadcast.report_more", more=total - len(names)))
            text += "\n" + ctx.t(key, total=total, names="\n".join(lines))
            if which == "unknown":
                options.insert(0, ctx.option("broadcast.resend_unknown_button", f"bcu:{item.id}", total=total))
        elif which == "unacked" and counts.get("sent", 0):
            text += "\n" + ctx.t("broadcast.report_all_acked")
    marked, reset_button = await reachability.report_part(ctx, item.id)  # see and reset "unreachable"
    return [Reply(text + marked, reset_button + options)]


async def resend_unknown(event: Event, ctx: Context) -> list[Reply]:
    """bcu:<id>: staff decide to send again where it is unknown whether the message arrived
    (the outbox never does that by itself: a duplicate is worse than asking)."""
    raw = event.value.partition(":")[2]
    item = await broadcasts.get(ctx.db, int(raw)) if is_number(raw) else None
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if item is None:
        return [ctx.reply("broadcast.not_found", back)]
    if await broadcasts.get(ctx.db, item.id, scope.communes(ctx)) is None:
        return scope.refused(ctx)
    count = await broadcasts.resend_unknown(ctx.db, item.id, ctx.now())
    if not count:
        return [ctx.reply("broadcast.resend_none", back, id=item.id)]
    ctx.services.hooks.wake()
    return [ctx.reply("broadcast.resend_queued", [ctx.option("broadcast.report_button", f"bcr:{item.id}"), *back],
                      id=item.id, count=count)]


def _state(item: broadcasts.Broadcast, counts: dict[str, int]) -> str:
    if item.cancelled_at:
        return "cancelled"
    if item.finished_at or not (counts.get("pending", 0) + counts.get("sending", 0)):
        return "done"
    return "sending"


async def progress_job(services: Services) -> None:
    """Every few seconds: edit each running broadcast's progress message when its numbers changed;
    when nothing is left to send, mark it finished and send the staff member one final report."""
    db = services.db
    now = services.clock.now()
    t = services.content.texts
    for item in await broadcasts.open_broadcasts(db, now):
        counts = await broadcasts.counts(db, item.id)
        left = counts.get("pending", 0) + counts.get("sending", 0)
        state = "sending" if left else "done"
        text = progress_text(t, item.id, counts, item.recipients, state)
        if text == item.progress:
            continue
        target = await broadcasts.progress_message(db, item) if item.staff_id else None
        if target is not None:
            channel, address, message_id = target
            await services.hooks.edit(channel, address, message_id, Reply(text))
        elif target is None and left:
            continue  # the progress message itself is not out yet: try again next time
        await broadcasts.set_progress(db, item.id, text, finished=None if left else now)
        if not left:
            log.info("broadcast %d finished: %d recipients, %d sent, %d unknown, %d blocked, %d failed", item.id,
                     item.recipients, counts.get("sent", 0), counts.get("unknown", 0),
                     counts.get("blocked", 0) + counts.get("skipped", 0), counts.get("failed", 0))
        if not left and item.staff_id:
            done = Reply(t("broadcast.done", id=item.id, total=item.recipients, sent=counts.get("sent", 0),
                           blocked=counts.get("blocked", 0) + counts.get("skipped", 0),
                           failed=counts.get("failed", 0)),
                         [Option(t("broadcast.report_button"), f"bcr:{item.id}")])
            await broadcasts.enqueue_done(db, item, done, now)
            services.hooks.wake()


def register(router: Router) -> None:
    """Register /broadcast, its steps and buttons, "Đã nhận", the report and the progress job."""
    router.command("broadcast", start, staff=True, aliases=("thong bao", "gui thong bao"),
                   describe="broadcast.cmd_desc")
    router.menu("broadcast.menu_label", "broadcast", staff=True, order=10)
    router.step("broadcast.when", on_when_step, staff=True)
    router.step("broadcast", on_step, staff=True)
    router.choice("bc", on_choice, staff=True)
    router.choice("bcr", report, staff=True, durable=True)  # in the outbox's final report
    router.choice("bcu", resend_unknown, staff=True, durable=True)  # checked against the database
    reachability.register(router)
    router.choice("ack", acknowledge, durable=True)  # under every broadcast message
    router.periodic("broadcast.progress", 2.0, progress_job)
    router.periodic("deliveries.prune", 3600, prune_payloads)  # settled deliveries forget their text after 30 days
