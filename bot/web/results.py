"""/results: quiz figures (attempts, mean, pass rate, most-missed questions), figures per commune,
and the follow-up list — who to call, with phone — all cut to the staff member's communes."""

from __future__ import annotations

from aiohttp import web

from bot.store import learning
from bot.web.auth import current_staff
from bot.web.render import SERVICES, page
from handlers.quiz import MIX, questions_by_id

PAGE_SIZE = 50


def routes(router: web.UrlDispatcher) -> None:
    """Register the results pages."""
    router.add_get("/results", show)
    router.add_get("/results/followup", followup)


async def show(request: web.Request) -> web.StreamResponse:
    """GET /results: per quiz, then per commune."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    mark = services.config.pass_mark
    stats = await learning.quiz_stats(services.db, mark, top=5, scope=staff.commune_filter)
    by_id = questions_by_id(services.content.quizzes)
    topics = services.content.topics
    names = {t.id: t.label for t in topics} | {MIX: services.content.texts("quiz.mix_name")}
    order = [t.id for t in topics] + [MIX]
    order += sorted(q for q in stats if q not in order)
    quizzes = [(names.get(q, q), stats[q]) for q in order if q in stats and stats[q].attempts]
    communes = await learning.commune_stats(services.db, mark, scope=staff.commune_filter)
    return page(request, "results.html", quizzes=quizzes, questions=by_id, communes=communes, topics=topics,
                mark=mark)


async def followup(request: web.Request) -> web.StreamResponse:
    """GET /results/followup?commune=&page=: leaders who have not read every topic or not passed."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    communes = [c for c in await learning.communes_with_people(services.db, staff.commune_filter)
                if staff.covers(c)]
    commune = request.query.get("commune") or None
    if commune is not None and commune not in communes:
        commune = None
    raw = request.query.get("page", "1")
    number = int(raw) - 1 if raw.isdigit() and len(raw) < 7 else 0
    topics = [t.id for t in services.content.topics]
    mark = services.config.pass_mark
    total, rows = await learning.followup(services.db, topics, mark, commune, number * PAGE_SIZE, PAGE_SIZE,
                                          scope=staff.commune_filter)
    pages = max(1, -(-total // PAGE_SIZE))
    numbers = {t: i for i, t in enumerate(topics, start=1)}
    unread = {row.person_id: ", ".join(str(numbers.get(t, t)) for t in row.unread) for row in rows}
    return page(request, "results_followup.html", rows=rows, total=total, page_no=number, pages=pages,
                communes=communes, commune=commune, unread=unread)
