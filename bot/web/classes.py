"""/classes: classes within the staff member's communes with invitation, RSVP and attendance counts;
one class's invitees (answer, reason, phone), attendance marking and the check-in code window (as
chat's attendance buttons). Planning, editing and cancelling a class are in bot/web/class_edit.py."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.store import classes
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page
from handlers.attendance import open_checkin
from handlers.class_format import Formatter
from handlers.class_input import audience_words

SHOWN_SINCE = timedelta(days=60)


def routes(router: web.UrlDispatcher) -> None:
    """Register the class pages."""
    router.add_get("/classes", show_list)
    router.add_get("/classes/{id:\\d+}", show_class)
    router.add_post("/classes/{id:\\d+}/attendance", attendance)
    router.add_post("/classes/{id:\\d+}/checkin", checkin)


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
    now = services.clock.now()
    formatter = Formatter.of(services)
    checkin_until = formatter.when(klass.checkin_until) if klass.checkin_until and klass.checkin_open(now) else None
    return page(request, "class.html", klass=klass, invited=invited, counts=counts, notice=notice,
                topics=formatter.topic_labels(klass.topics), checkin_until=checkin_until,
                editable=not klass.cancelled and now < klass.starts_at,  # as chat's class screen
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


# What chat says about a check-in window that cannot open, in the dashboard's words where they differ.
CHECKIN_REFUSALS = {"classes.checkin_too_late": "web.class_checkin_too_late"}


async def checkin(request: web.Request) -> web.StreamResponse:
    """POST /classes/{id}/checkin (open=1 or not): open the check-in code window, or close it."""
    services = request.app[SERVICES]
    klass = await classes.get(services.db, int(request.match_info["id"]), current_staff(request).commune_filter)
    if klass is None:
        return refuse(request)
    form = await request.post()
    if form.get("open") == "1":
        opened = await open_checkin(services.db, klass, services.clock.now())
        if isinstance(opened, str):  # nothing changed: the page says why, no redirect needed
            return await show_class(request, str(services.content.texts(CHECKIN_REFUSALS.get(opened, opened))))
    else:
        await classes.set_checkin(services.db, klass.id, None, None)
    raise web.HTTPSeeOther(f"/classes/{klass.id}#checkin")
