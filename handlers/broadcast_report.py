"""What staff see of broadcasts after "Gửi": /broadcast status, the report (who could not be reached,
who pressed "Đã nhận"), sending again where delivery is unknown, withdrawing a scheduled one, and
the progress message the outbox edits in place (handlers/broadcast.py composes and sends)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.clock import parse_iso
from bot.context import Context, Services
from bot.model import Event, Option, Reply
from bot.store import broadcasts, deliveries
from handlers import reachability, scope
from handlers.broadcast_buttons import CancelScheduled, Report, ResendUnknown

# One logger for the whole broadcast feature (started / finished lines), as operators filter it.
log = logging.getLogger("handlers.broadcast")


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


def when_local(ctx: Context | Services, moment: datetime) -> str:
    config = ctx.config
    return moment.astimezone(config.tz).strftime("%H:%M %d/%m/%Y")


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
        created = when_local(ctx, parse_iso(item.created_at))
        options.append(ctx.option("broadcast.status_line", Report(item.id).pack(), id=item.id, created=created,
                                  excerpt=_excerpt(item.text, 30)))
        if item.finished_at is None and item.cancelled_at is None and parse_iso(item.not_before) > now:
            options.append(ctx.option("broadcast.cancel_scheduled_button", CancelScheduled(item.id).pack(), id=item.id))
    options.append(ctx.option("core.menu_button", "cmd:admin"))
    return ctx.reply("broadcast.status_title", options)


async def cancel_scheduled(ctx: Context, broadcast_id: int) -> Reply:
    """Withdraw a scheduled broadcast that has not started."""
    item = await broadcasts.get(ctx.db, broadcast_id)
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
    button = Report.unpack(event.value)
    item = await broadcasts.get(ctx.db, button.broadcast_id) if button else None
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if item is None:
        return [ctx.reply("broadcast.not_found", back)]
    if await broadcasts.get(ctx.db, item.id, scope.communes(ctx)) is None:
        return scope.refused(ctx)
    counts = await broadcasts.counts(ctx.db, item.id)
    progress = progress_text(ctx.t, item.id, counts, item.recipients, _state(item, counts))
    text = ctx.t("broadcast.report", id=item.id, created=when_local(ctx, parse_iso(item.created_at)),
                 excerpt=_excerpt(item.text), audience=audience_name(ctx.t, item.audience), progress=progress)
    options = [Option(ctx.t("broadcast.report_button"), Report(item.id).pack()), *back]
    for which, key in (("unreachable", "broadcast.report_unreachable"), ("unknown", "broadcast.report_unknown"),
                       ("unacked", "broadcast.report_unacked"), ("acked", "broadcast.report_acked")):
        names, total = await broadcasts.people_with(ctx.db, item.id, which, scope=scope.communes(ctx))
        if total:
            lines = [f"• {n.name} — {', '.join(x for x in (n.hamlet, n.commune) if x)}" for n in names]
            if total > len(names):
                lines.append(ctx.t("broadcast.report_more", more=total - len(names)))
            text += "\n" + ctx.t(key, total=total, names="\n".join(lines))
            if which == "unknown":
                resend = ResendUnknown(item.id).pack()
                options.insert(0, ctx.option("broadcast.resend_unknown_button", resend, total=total))
        elif which == "unacked" and counts.get("sent", 0):
            text += "\n" + ctx.t("broadcast.report_all_acked")
    marked, reset_button = await reachability.report_part(ctx, item.id)  # see and reset "unreachable"
    return [Reply(text + marked, reset_button + options)]


async def resend_unknown(event: Event, ctx: Context) -> list[Reply]:
    """bcu:<id>: staff decide to send again where it is unknown whether the message arrived
    (the outbox never does that by itself: a duplicate is worse than asking)."""
    button = ResendUnknown.unpack(event.value)
    item = await broadcasts.get(ctx.db, button.broadcast_id) if button else None
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if item is None:
        return [ctx.reply("broadcast.not_found", back)]
    if await broadcasts.get(ctx.db, item.id, scope.communes(ctx)) is None:
        return scope.refused(ctx)
    count = await broadcasts.resend_unknown(ctx.db, item.id, ctx.now())
    if not count:
        return [ctx.reply("broadcast.resend_none", back, id=item.id)]
    ctx.services.hooks.wake()
    return [ctx.reply("broadcast.resend_queued", [ctx.option("broadcast.report_button", Report(item.id).pack()), *back],
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
                         [Option(t("broadcast.report_button"), Report(item.id).pack())])
            await broadcasts.enqueue_done(db, item, done, now)
            services.hooks.wake()
