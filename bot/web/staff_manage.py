"""Staff management on /audit (province admins, as chat's /staff): add a commune staff member by
identity, change their communes and `sensitive`, remove them, or make a one-time invitation code that
the new staff member redeems in chat with /staff_join (handlers/staff.py makes the code for both). The
store calls are chat's (bot/store/staff.py), which audit every change in the same transaction; the last
province admin cannot be removed, and CAUNOI_ADMINS entries are changed in the configuration, not here.

An invitation code is shown once, on the page the form redirects to: it travels only in the session's
flash (bot/web/flash.py: memory, ten minutes), the database keeps its hash, as in chat.

Removing goes through a confirmation page naming who and what they lose (chat asks too); every
form answers with a redirect to /audit (POST → 303 → GET), so a reload never repeats a change."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot import staff as rights
from bot.clock import iso
from bot.store import staff as stored
from bot.web.auth import current_staff, refuse
from bot.web.flash import redirect
from bot.web.render import SERVICES, page
from handlers.staff import new_invite

BACK = "/audit"
REMOVE = "/audit/staff/remove"
INVITE = "/audit/staff/invite"


def routes(router: web.UrlDispatcher) -> None:
    """Register the staff changes."""
    router.add_post("/audit/staff/add", add)
    router.add_post("/audit/staff/save", save)
    router.add_get(REMOVE, confirm_remove)
    router.add_post(REMOVE, remove)
    router.add_post(INVITE, invite)


def _communes(request: web.Request, form: Any) -> frozenset[str] | None:
    """The ticked communes; None when one is not a commune of the province (a forged form)."""
    known = {c.name for c in request.app[SERVICES].content.units.communes}
    chosen = frozenset(str(v) for v in form.getall("commune", []))
    return chosen if chosen <= known else None


def _actor(request: web.Request) -> tuple[str, str]:
    """Who makes the change and when (the audit entry's actor and time)."""
    return str(current_staff(request).identity), iso(request.app[SERVICES].clock.now())


async def add(request: web.Request) -> web.StreamResponse:
    """POST /audit/staff/add (identity, communes, sensitive): a new commune staff member."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    form = await request.post()
    typed = str(form.get("identity", "")).strip()
    identity = rights.parse_identity(typed)
    communes = _communes(request, form)
    if communes is None:
        return refuse(request)
    texts = services.content.texts
    if identity is None:
        redirect(request, BACK, error=texts("staff.bad_identity", typed=typed[:40]))
    if services.config.is_admin(identity):
        redirect(request, BACK, error=texts("staff.already_admin", identity=str(identity)))
    if await stored.get(services.db, str(identity)) is not None:
        redirect(request, BACK, error=texts("web.staff_exists", identity=str(identity)))
    if not communes:
        redirect(request, BACK, error=texts("web.staff_no_commune"))
    by, at = _actor(request)
    await stored.add(services.db, str(identity), communes=communes, sensitive=form.get("sensitive") == "1",
                     province=False, by=by, at=at)
    redirect(request, BACK, notice=texts("web.staff_added", identity=str(identity)))


async def save(request: web.Request) -> web.StreamResponse:
    """POST /audit/staff/save (identity, communes, sensitive): what changed is saved and audited."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    form = await request.post()
    member = await stored.get(services.db, str(form.get("identity", "")))
    communes = _communes(request, form)
    if member is None or communes is None:
        return refuse(request)
    by, at = _actor(request)
    if not member.province and communes != member.communes:
        await stored.set_communes(services.db, member.identity, communes, by=by, at=at)
    sensitive = form.get("sensitive") == "1"
    if sensitive != member.sensitive:
        await stored.set_sensitive(services.db, member.identity, sensitive, by=by, at=at)
    redirect(request, BACK, notice=services.content.texts("staff.saved"))


async def confirm_remove(request: web.Request) -> web.StreamResponse:
    """GET /audit/staff/remove?identity=…: who is removed and what they lose, with "Xóa" and "Quay lại"."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    member = await stored.get(services.db, request.query.get("identity", ""))
    if member is None:  # gone meanwhile, a CAUNOI_ADMINS entry, or a made-up identity
        return refuse(request)
    return page(request, "staff_remove.html", member=member, communes=sorted(member.communes))


async def remove(request: web.Request) -> web.StreamResponse:
    """POST /audit/staff/remove (identity, confirm=1): refused for the last province admin, as in chat;
    without `confirm` it only leads to the confirmation page."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    form = await request.post()
    identity = str(form.get("identity", ""))
    if form.get("confirm") != "1":
        raise web.HTTPSeeOther(f"{REMOVE}?{urlencode({'identity': identity})}")
    texts = services.content.texts
    by, at = _actor(request)
    result = await stored.remove(services.db, identity, by=by, at=at, keep_province=len(services.config.admins))
    if result == "last":
        redirect(request, BACK, error=texts("staff.last_admin", identity=identity))
    if result == "absent":
        return refuse(request)
    redirect(request, BACK, notice=texts("staff.removed", identity=identity))


async def invite(request: web.Request) -> web.StreamResponse:
    """POST /audit/staff/invite (communes, sensitive): a one-time code for a new commune staff member,
    as chat's "Tạo mã"; /audit shows it once, with when it expires."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    form = await request.post()
    communes = _communes(request, form)
    if communes is None:
        return refuse(request)
    if not communes:
        redirect(request, BACK, invite_error=services.content.texts("staff.invite_need_commune"))
    sensitive = form.get("sensitive") == "1"
    by, _ = _actor(request)
    code, until = await new_invite(services.db, communes=communes, sensitive=sensitive, by=by,
                                   now=services.clock.now())
    redirect(request, BACK, invite={"code": code, "until": iso(until), "communes": sorted(communes),
                                    "sensitive": sensitive})
