"""GET /: figures by commune (the /stats figures, cut to the staff member's communes), and when the
last backup ran (the line /stats ends with)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.clock import iso
from bot.config import Config
from bot.content.texts import Texts
from bot.context import Services
from bot.store import reports
from bot.store.db import Database
from bot.web.auth import current_staff
from bot.web.render import SERVICES, page
from handlers.backup_info import backup_line


@dataclass(frozen=True, slots=True)
class _Desk:
    """The part of a chat Context that handlers/backup_info.backup_line reads (db, config, t), from
    the web app's services: the overview shows /stats' own line, not a second copy of it."""

    db: Database
    config: Config
    t: Texts


async def last_backup(services: Services) -> str:
    """"💾 Sao lưu gần nhất: …", that there is none yet, or that daily backups are off (as /stats)."""
    return await backup_line(_Desk(services.db, services.config, services.content.texts))


async def show(request: web.Request) -> web.StreamResponse:
    """The overview: registrations, reading, quizzes by commune, all within the staff member's communes
    (the /stats figures, scoped in the SQL); aspiration counts only with `sensitive`."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    stats = await reports.stats(services.db, iso(services.clock.now()), services.config.pass_mark,
                                scope=staff.commune_filter, sensitive=staff.sensitive)
    rows = stats.by_commune
    chart = {row[0]: row[2:5] for row in stats.chart}  # read, took a quiz, passed one
    figures: list[dict[str, int]] = []
    for name, registered, reachable, waiting in rows:
        read, took, passed = chart.get(name, (0, 0, 0))
        figures.append({"registered": registered, "reachable": reachable, "waiting": waiting, "read": read,
                        "took": took, "passed": passed})
    communes = [{"name": row[0], **values} for row, values in zip(rows, figures, strict=True)]
    totals = {key: sum(f[key] for f in figures) for key in ("registered", "reachable", "waiting", "read", "took",
                                                             "passed")}
    return page(request, "overview.html", communes=communes, totals=totals, quiz=stats.quiz,
                voices_open=stats.voices_open, aspirations=stats.aspirations if staff.sensitive else None,
                next_class=stats.next_class, last_broadcast=stats.last_broadcast,
                backup=await last_backup(services))
