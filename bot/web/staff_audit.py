"""/audit (province admins only): the staff (CAUNOI_ADMINS and those stored with `caunoi staff`,
/staff or the forms here, bot/web/staff_manage.py) and the audit log — who viewed sensitive data,
exported, broadcast, changed staff, merged or removed a leader, logged in to the web — newest first."""

from __future__ import annotations

from aiohttp import web

from bot.store import audit
from bot.store import staff as stored
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page

SHOWN = 300


def routes(router: web.UrlDispatcher) -> None:
    """Register the audit page."""
    router.add_get("/audit", show)


async def show(request: web.Request, notice: str | None = None, error: str | None = None,
               status: int = 200) -> web.StreamResponse:
    """GET /audit: the staff (with their forms) and the last entries (province admins; everyone
    else gets the refusal page)."""
    if not current_staff(request).province:
        return refuse(request)
    services = request.app[SERVICES]
    entries = await audit.recent(services.db, SHOWN)
    members = await stored.members(services.db)
    admins = sorted(str(identity) for identity in services.config.admins)
    communes = [c.name for c in services.content.units.communes]
    return page(request, "audit.html", status=status, entries=entries, shown=SHOWN, members=members,
                admins=admins, communes=communes, notice=notice, error=error)
