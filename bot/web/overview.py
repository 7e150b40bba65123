"""GET /: figures by commune (the /stats figures, cut to the staff member's communes)."""

from __future__ import annotations

from aiohttp import web

from bot.clock import iso
from bot.store import reports
from bot.web.auth import current_staff
from bot.web.render import SERVICES, page


async def show(request: web.Request) -> web.StreamResponse:
    """The overview: registrations, reading, quizzes by commune; the rest when it is theirs to see."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    stats = await reports.stats(services.db, iso(services.clock.now()), services.config.pass_mark)
    rows = [row for row in stats.by_commune if staff.covers(row[0] or None)]
    chart = {row[0]: row[2:5] for row in stats.chart}  # read, took a quiz, passed one
    figures: list[dict[str, int]] = []
    for name, registered, reachable, waiting in rows:
        read, took, passed = chart.get(name, (0, 0, 0))
        figures.append({"registered": registered, "reachable": reachable, "waiting": waiting, "read": read,
                        "took": took, "passed": passed})
    communes = [{"name": row[0], **values} for row, values in zip(rows, figures, strict=True)]
    totals = {key: sum(f[key] for f in figures) for key in ("registered", "reachable", "waiting", "read", "took",
                                                             "passed")}
    # Figures counted over every commune are shown only to staff who see every commune.
    everything = staff.commune_filter is None
    return page(request, "overview.html", communes=communes, totals=totals,
                quiz=stats.quiz if everything else None,
                voices_open=stats.voices_open if everything else None,
                aspirations=stats.aspirations if everything and staff.sensitive else None,
                next_class=stats.next_class if everything else None,
                last_broadcast=stats.last_broadcast if everything else None)
