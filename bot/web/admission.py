"""/admission (staff with `sensitive` only): leaders who wish, or may wish, to be considered for Party
admission — political opinion, sensitive personal data (Law 91/2025/QH15): counts per commune, then
one commune's list with phones and quiz results. Every view is written to the audit log."""

from __future__ import annotations

from aiohttp import web

from bot.clock import iso
from bot.store import audit, voices
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page


def routes(router: web.UrlDispatcher) -> None:
    """Register the admission list."""
    router.add_get("/admission", show)


async def show(request: web.Request) -> web.StreamResponse:
    """GET /admission?commune=: counts per commune; with a commune, its leaders by hamlet."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    if not staff.sensitive:
        return refuse(request)
    counts = await voices.followup_counts(services.db, staff.commune_filter)
    commune = request.query.get("commune")
    known = [c for c, _, _ in counts if c is not None]
    rows: list[voices.FollowupRow] = []
    quiz: dict[int, tuple[int, int, int]] = {}
    if commune is not None:
        if commune not in known:
            return refuse(request)
        rows = await voices.followup(services.db, commune, staff.commune_filter, any_commune=False)
        quiz = await voices.quiz_summaries(services.db, [r.person_id for r in rows]) or {}
    subject = f"commune:{commune}" if commune is not None else ""
    await audit.record(services.db, iso(services.clock.now()), str(staff.identity), "admission.view",
                       audit.scope_label(staff.commune_filter), subject)
    return page(request, "admission.html", counts=counts, commune=commune, rows=rows, quiz=quiz)
