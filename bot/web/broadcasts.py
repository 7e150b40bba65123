"""/broadcasts: compose (audience, live recipient count), preview as a leader sees it, send now or
at a set time through the broadcast store (the outbox delivers), and the report with acks and
"unknown" rows. From the report, as from chat's: withdraw a scheduled broadcast (`bc:x`), send again
where delivery is unknown (`bcu`), put its unreachable people back in reach (`bcreach`). Commune
staff reach only their communes: another commune's broadcast gets the refusal page."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.clock import parse_iso
from bot.model import Option, Reply
from bot.roles import ROLES
from bot.staff import Staff
from bot.store import audit, broadcasts, delivery_failures
from bot.textutil import clean_block, has_letters
from bot.web.auth import current_staff, refuse
from bot.web.flash import recall, redirect
from bot.web.inbox import staff_person
from bot.web.render import SERVICES, page
from handlers.broadcast import MAX_DAYS_AHEAD, TEXT_LIMIT, audience_name, progress_text

REPORT_LISTS = ("unreachable", "unknown", "unacked", "acked")


def routes(router: web.UrlDispatcher) -> None:
    """Register the broadcast pages."""
    router.add_get("/broadcasts", show_list)
    router.add_get("/broadcasts/new", compose)
    router.add_get("/broadcasts/count", count)
    router.add_post("/broadcasts/preview", preview)
    router.add_post("/broadcasts/send", send)
    router.add_get("/broadcasts/{id:\\d+}", report)
    router.add_post("/broadcasts/{id:\\d+}/withdraw", withdraw)
    router.add_post("/broadcasts/{id:\\d+}/resend", resend)
    router.add_post("/broadcasts/{id:\\d+}/reach", reach_again)


async def kinds_for(request: web.Request, staff: Staff) -> list[str]:
    """Audiences this installation offers (for commune staff every one stays within their communes)."""
    return await broadcasts.audience_kinds(request.app[SERVICES].db)


async def communes_for(request: web.Request, staff: Staff) -> list[str]:
    """Communes with registered leaders that this staff member covers."""
    return await broadcasts.communes(request.app[SERVICES].db, staff.commune_filter)


async def audience_from(request: web.Request, staff: Staff, values: Any) -> dict[str, Any] | None:
    """The audience the form names, or None when it is not one this staff member may reach."""
    kind = str(values.get("kind", ""))
    value = str(values.get("value", ""))
    audience: dict[str, Any]
    if kind not in await kinds_for(request, staff):
        return None
    if kind == "commune":
        if value not in await communes_for(request, staff):
            return None
        audience = {"kind": kind, "value": value}
    elif kind == "role":
        if value not in ROLES:
            return None
        audience = {"kind": kind, "value": value}
    else:
        audience = {"kind": kind}
    if staff.commune_filter is not None:  # "Tất cả" of commune staff means all of theirs (as in chat)
        audience["communes"] = sorted(staff.commune_filter)
    return audience


async def show_list(request: web.Request) -> web.StreamResponse:
    """GET /broadcasts: the latest broadcasts this staff member may see."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    items = await broadcasts.recent(services.db, 50, staff.commune_filter)
    t = services.content.texts
    return page(request, "broadcasts.html", items=items, audience=lambda a: audience_name(t, a))


async def compose(request: web.Request, error: str | None = None, text: str = "") -> web.StreamResponse:
    """GET /broadcasts/new: the form (the recipient count updates as the audience changes)."""
    staff = current_staff(request)
    return page(request, "broadcast_new.html", kinds=await kinds_for(request, staff),
                communes=await communes_for(request, staff), roles=ROLES, error=error, text=text,
                limit=TEXT_LIMIT)


async def count(request: web.Request) -> web.StreamResponse:
    """GET /broadcasts/count?kind=&value=: how many the audience reaches now (JSON for the form)."""
    services = request.app[SERVICES]
    audience = await audience_from(request, current_staff(request), request.query)
    if audience is None:
        return web.json_response({"ok": False}, status=403)
    chosen = await broadcasts.reach(services.db, audience, services.clock.now())
    return web.json_response({"ok": True, "count": chosen.reachable, "stopped": chosen.stopped,
                              "unreachable": chosen.unreachable})


def parse_when(raw: str, now: datetime, tz: Any) -> tuple[datetime | None, str | None]:
    """A datetime-local value in CAUNOI_TZ: (moment or None for now, error key)."""
    if not raw.strip():
        return None, None
    try:
        moment = datetime.fromisoformat(raw.strip()).replace(tzinfo=tz)
    except ValueError:
        return None, "web.bad_when"
    if moment < now + timedelta(minutes=1):
        return None, "web.past_when"
    if moment > now + timedelta(days=MAX_DAYS_AHEAD):
        return None, "web.far_when"
    return moment, None


async def _checked(request: web.Request) -> tuple[str, dict[str, Any] | None, datetime | None, str | None]:
    """(text, audience, send time, error key) from the posted form."""
    services = request.app[SERVICES]
    form = await request.post()
    text = clean_block(str(form.get("text", "")))
    audience = await audience_from(request, current_staff(request), form)
    when, error = parse_when(str(form.get("when", "")), services.clock.now(), services.config.tz)
    if not has_letters(text):
        error = "web.broadcast_empty"
    elif len(text) > TEXT_LIMIT:
        error = "web.broadcast_too_long"
    elif audience is None:
        error = "web.broadcast_audience"
    return text, audience, when, error


async def preview(request: web.Request) -> web.StreamResponse:
    """POST /broadcasts/preview: the message as a leader will see it, the audience and its size."""
    services = request.app[SERVICES]
    text, audience, when, error = await _checked(request)
    if error or audience is None:
        return await compose(request, error or "web.broadcast_audience", text)
    chosen = await broadcasts.reach(services.db, audience, services.clock.now())
    t = services.content.texts
    return page(request, "broadcast_preview.html", text=text, audience=audience,
                audience_label=audience_name(t, audience), chosen=chosen, when=when,
                when_value=when.strftime("%Y-%m-%dT%H:%M") if when else "", draft=secrets.token_urlsafe(16))


async def send(request: web.Request) -> web.StreamResponse:
    """POST /broadcasts/send: store and queue it (recipients chosen now); the outbox sends."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    text, audience, when, error = await _checked(request)
    if error or audience is None:
        return await compose(request, error or "web.broadcast_audience", text)
    # The preview's draft token is stored with the broadcast under a unique key, as chat's draft id
    # is: a second "Gửi" (a double click, a re-post, even after a restart) shows the broadcast.
    token = str((await request.post()).get("draft", ""))[:64]
    draft = f"web:{token}" if token else None
    if draft and (stored := await broadcasts.by_draft(services.db, draft)) is not None:
        raise web.HTTPSeeOther(f"/broadcasts/{stored.id}")
    now = services.clock.now()
    t = services.content.texts
    ack_label = t("broadcast.ack_button")

    def message(broadcast_id: int) -> Reply:
        return Reply(text, [Option(ack_label, f"ack:{broadcast_id}")])

    def progress(broadcast_id: int, total: int) -> Reply:
        return Reply(progress_text(t, broadcast_id, {"pending": total}, total, "sending"))

    staff_id, _ = await staff_person(request, staff)
    try:
        broadcast_id, queued = await broadcasts.create(services.db, staff_id, text, audience, now, when or now,
                                                       message, progress, actor=str(staff.identity), draft=draft)
    except broadcasts.DraftAlreadySent:  # the same form posted twice at once
        stored = await broadcasts.by_draft(services.db, draft or "")
        raise web.HTTPSeeOther(f"/broadcasts/{stored.id if stored else ''}") from None
    if queued == 0:
        await broadcasts.cancel(services.db, broadcast_id, now)
    services.hooks.wake()
    raise web.HTTPSeeOther(f"/broadcasts/{broadcast_id}")


def withdrawable(item: broadcasts.Broadcast, now: datetime) -> bool:
    """Scheduled and not started: chat's /broadcast status offers "Hủy hẹn" on the same condition."""
    return item.finished_at is None and item.cancelled_at is None and parse_iso(item.not_before) > now


async def report(request: web.Request) -> web.StreamResponse:
    """GET /broadcasts/{id}: counts, then who was not reached, in doubt, acked or not; the buttons of
    chat's report (withdraw while scheduled, send again where unknown, reset the unreachable)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    item = await _mine(request)
    if item is None:
        return refuse(request)
    counts = await broadcasts.counts(services.db, item.id)
    lists = {}
    for which in REPORT_LISTS:  # within the staff member's communes, as chat's report lists them
        names, total = await broadcasts.people_with(services.db, item.id, which, limit=200,
                                                    scope=staff.commune_filter)
        lists[which] = (names, total)
    marked = await delivery_failures.marked_in_broadcast(services.db, item.id, staff.commune_filter)
    t = services.content.texts
    pending = counts.get("pending", 0) + counts.get("sending", 0)
    state = "cancelled" if item.cancelled_at else "done" if item.finished_at or not pending else "sending"
    scheduled = parse_iso(item.not_before) > services.clock.now() and state == "sending"
    return page(request, "broadcast_report.html", item=item, counts=counts, lists=lists, pending=pending,
                audience_label=audience_name(t, item.audience), state=state, scheduled=scheduled,
                withdrawable=withdrawable(item, services.clock.now()), marked=len(marked), done=recall(request))


async def _mine(request: web.Request) -> broadcasts.Broadcast | None:
    """The broadcast the URL names, or None when it does not exist or reached beyond one's communes."""
    raw = request.match_info["id"]
    if len(raw) > 12:  # beyond any stored id (and beyond SQLite's integers)
        return None
    staff = current_staff(request)
    return await broadcasts.get(request.app[SERVICES].db, int(raw), staff.commune_filter)


async def withdraw(request: web.Request) -> web.StreamResponse:
    """POST /broadcasts/{id}/withdraw: chat's "Hủy hẹn" (`bc:x`): what is still pending is withdrawn."""
    services = request.app[SERVICES]
    item = await _mine(request)
    if item is None:
        return refuse(request)
    t = services.content.texts
    back = f"/broadcasts/{item.id}"
    if item.finished_at is not None or item.cancelled_at is not None:
        redirect(request, back, error=str(t("broadcast.already_sent", id=item.id)))
    withdrawn = await broadcasts.cancel(services.db, item.id, services.clock.now())
    counts = await broadcasts.counts(services.db, item.id)
    await broadcasts.set_progress(services.db, item.id,
                                  progress_text(t, item.id, counts, item.recipients, "cancelled"))
    redirect(request, back, notice=str(t("broadcast.scheduled_cancelled", id=item.id, count=withdrawn)))


async def resend(request: web.Request) -> web.StreamResponse:
    """POST /broadcasts/{id}/resend: chat's `bcu`: staff decide to send again where it is unknown
    whether the message arrived (the outbox never does that by itself)."""
    services = request.app[SERVICES]
    item = await _mine(request)
    if item is None:
        return refuse(request)
    t = services.content.texts
    back = f"/broadcasts/{item.id}"
    count = await broadcasts.resend_unknown(services.db, item.id, services.clock.now())
    if not count:
        redirect(request, back, notice=str(t("broadcast.resend_none", id=item.id)))
    services.hooks.wake()
    redirect(request, back, notice=str(t("web.resend_queued", id=item.id, count=count)))


async def reach_again(request: web.Request) -> web.StreamResponse:
    """POST /broadcasts/{id}/reach: chat's `bcreach`: the broadcast's people marked unreachable (in
    one's communes) are reachable again, their failure evidence forgotten, an audit entry each."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    item = await _mine(request)
    if item is None:
        return refuse(request)
    communes = staff.commune_filter
    marked = await delivery_failures.marked_in_broadcast(services.db, item.id, communes)
    changed = await delivery_failures.set_reachable(services.db, marked, services.clock.now(),
                                                    str(staff.identity), audit.scope_label(communes))
    t = services.content.texts
    key = "reach.reset_done" if changed else "web.reach_none"
    redirect(request, f"/broadcasts/{item.id}", notice=str(t(key, total=changed)))
