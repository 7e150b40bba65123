"""/downloads: the xlsx export (bot/export.py, the same as /export), for a commune and dates; audited."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from bot import export
from bot.clock import iso
from bot.store import audit
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page

log = logging.getLogger(__name__)


def routes(router: web.UrlDispatcher) -> None:
    """Register the downloads page."""
    router.add_get("/downloads", show)
    router.add_post("/downloads", download)


def _communes(request: web.Request) -> list[str]:
    staff = current_staff(request)
    return [c.name for c in request.app[SERVICES].content.units.communes if staff.covers(c.name)]


async def show(request: web.Request, error: str | None = None, **values: object) -> web.StreamResponse:
    """GET /downloads: the form."""
    return page(request, "downloads.html", communes=_communes(request), error=error, values=values)


async def download(request: web.Request) -> web.StreamResponse:
    """POST /downloads: build the file in a worker thread and send it as an attachment."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    form = await request.post()
    commune = str(form.get("commune", "")).strip() or None
    start, end = (str(form.get(k, "")).strip() or None for k in ("from", "to"))
    if commune is not None and (commune not in _communes(request)):
        return refuse(request)
    try:
        # The export's own scope and aspiration rule (bot/export.py), as /export in chat.
        query = export.make_query(services.content, services.config.tz, commune, start, end,
                                  mark=services.config.pass_mark, scope=staff.commune_filter,
                                  sensitive=staff.sensitive)
    except export.ExportError as exc:
        return await show(request, None, message=services.content.texts(f"export.{exc.key}", **exc.values))
    now = services.clock.now()
    try:
        name, data, _ = await export.export_bytes(services.db, services.content, services.config, query, now)
    except Exception:
        log.exception("web export failed")
        return await show(request, "web.export_failed")
    await audit.record(services.db, iso(now), str(staff.identity), "export",
                       audit.scope_label([commune] if commune else staff.commune_filter),
                       "web:xlsx" + (":aspirations" if staff.sensitive else ""))
    return web.Response(body=data, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"})
