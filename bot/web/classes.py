"""/classes: classes within the staff member's communes with invitation, RSVP and attendance counts;
one class's invitees (answer, reason, phone) and attendance marking. Planning, editing and
cancelling a class are in bot/web/class_edit.py."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.store import classes
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page
from handlers.class_format import Formatter
from handlers.class_input import audience_words

SHOWN_SINCE = timedelta(days=60)


def routes(router: web.UrlDispatcher) -> None:
    """Register the class pages."""
    router.add_get("/classes", show_list)
    router.add_get("/classes/{id:\\d+}", show_class)
    router.add_post("/classes/{id:\\d+}/attendance", attendance)


async def show_list(request: web.Request) -> web.StreamResponse:
    """GET /classes: classes of the last 60 days and to come, with their counts in this scope."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    found = await classes.listed(services.db, services.clock.now() - SHOWN_SINCE, 100, staff.commune_filter)
    counts = {k.id: await classes.counts(services.db, k.id, staff.commune_filter) for k in found}
    return page(request, "classes.html", classes=found, counts=counts)


async def show_class(request: web.Request, notice: str | None = None) -> web.StreamResponse:
    """GET /classes/{id}: everyone invited (of this staff member's communes) with answer and attendance."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    klass = await classes.get(services.db, int(request.match_info["id"]), staff.commune_filter)
    if klass is None:
        return refuse(request)
    invited = await classes.invitees(services.db, klass.id, scope=staff.commune_filter)
    counts = await classes.counts(services.db, klass.id, staff.commune_filter)
    editable = not klass.cancelled and services.clock.now() < klass.starts_at  # as chat's class screen
    return page(request, "class.html", klass=klass, invited=invited, counts=counts, notice=notice,
                topics=Formatter.of(services).topic_labels(klass.topics), editable=editable,
                audience=audience_words(services.content.texts, klass.audience))


async def attendance(request: web.Request) -> web.StreamResponse:
    """POST /classes/{id}/attendance (person, present): mark one invitee present or absent."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    klass = await classes.get(services.db, int(request.match_info["id"]), staff.commune_filter)
    form = await request.post()
    person = str(form.get("person", ""))
    invitee = await classes.invitation_of(services.db, klass.id, int(person)) if klass and person.isdigit() else None
    if klass is None or invitee is None or not staff.covers(invitee.commune):
        return refuse(request)
    present = form.get("present") == "1"
    await classes.mark_attended(services.db, klass.id, invitee.person_id, present, str(staff.identity),
                                services.clock.now())
    raise web.HTTPSeeOther(f"/classes/{klass.id}#person-{invitee.person_id}")
