"""Staff management on /audit (province admins, as chat's /staff): add a commune staff member by
identity, change their communes and `sensitive`, remove them. The store calls are chat's
(bot/store/staff.py), which audit every change in the same transaction; the last province admin
cannot be removed, and CAUNOI_ADMINS entries are changed in the configuration, not here."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import staff as rights
from bot.clock import iso
from bot.store import staff as stored
from bot.web import staff_audit
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES


def routes(router: web.UrlDispatcher) -> None:
    """Register the staff changes."""
    router.add_post("/audit/staff/add", add)
    router.add_post("/audit/staff/save", save)
    router.add_post("/audit/staff/remove", remove)


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
        return await staff_audit.show(request, error=texts("staff.bad_identity", typed=typed[:40]))
    if services.config.is_admin(identity):
        return await staff_audit.show(request, error=texts("staff.already_admin", identity=str(identity)))
    if await stored.get(services.db, str(identity)) is not None:
        return await staff_audit.show(request, error=texts("web.staff_exists", identity=str(identity)))
    if not communes:
        return await staff_audit.show(request, error=texts("web.staff_no_commune"))
    by, at = _actor(request)
    await stored.add(services.db, str(identity), communes=communes, sensitive=form.get("sensitive") == "1",
                     province=False, by=by, at=at)
    return await staff_audit.show(request, notice=texts("web.staff_added", identity=str(identity)))


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
    return await staff_audit.show(request, notice=services.content.texts("staff.saved"))


async def remove(request: web.Request) -> web.StreamResponse:
    """POST /audit/staff/remove (identity): refused for the last province admin, as in chat."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    form = await request.post()
    identity = str(form.get("identity", ""))
    texts = services.content.texts
    by, at = _actor(request)
    result = await stored.remove(services.db, identity, by=by, at=at, keep_province=len(services.config.admins))
    if result == "last":
        return await staff_audit.show(request, status=409, error=texts("staff.last_admin", identity=identity))
    if result == "absent":
        return refuse(request)
    return await staff_audit.show(request, notice=texts("staff.removed", identity=identity))
