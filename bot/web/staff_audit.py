"""/audit (province admins only): the staff (CAUNOI_ADMINS and those stored with `caunoi staff`,
/staff or the forms here, bot/web/staff_manage.py) and the audit log — who viewed sensitive data,
exported, broadcast, changed staff, merged or removed a leader, logged in to the web — newest first;
the invitation codes still waiting (their rights and expiry; the codes themselves are not stored)."""

from __future__ import annotations

from aiohttp import web

from bot.clock import iso
from bot.store import audit
from bot.store import staff as stored
from bot.web import flash
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page
from handlers.staff import CODE_VALID

SHOWN = 300


def routes(router: web.UrlDispatcher) -> None:
    """Register the audit page."""
    router.add_get("/audit", show)


async def show(request: web.Request) -> web.StreamResponse:
    """GET /audit: the staff (with their forms) and the last entries (province admins; everyone
    else gets the refusal page); `?r=` shows what a staff form just did (bot/web/flash.py)."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    done = flash.recall(request)
    entries = await audit.recent(services.db, SHOWN)
    members = await stored.members(services.db)
    admins = sorted(str(identity) for identity in services.config.admins)
    communes = [c.name for c in services.content.units.communes]
    invites = await stored.open_invites(services.db, iso(services.clock.now()))
    return page(request, "audit.html", entries=entries, shown=SHOWN, members=members, admins=admins,
                communes=communes, notice=done.get("notice"), error=done.get("error"), invites=invites,
                invite=done.get("invite"), invite_error=done.get("invite_error"),
                invite_hours=int(CODE_VALID.total_seconds() // 3600))
