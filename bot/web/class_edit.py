"""Plan, edit and cancel a class at the desk, through the same store calls as chat (/newclass,
/classes): invitations, change and cancellation notices are queued in the outbox in the same
transaction, and a commune staff member can only invite, and only touch classes of, their communes.
Topics are stored as chat's topics step stores them (a list of topic ids); a role may be invited
within the chosen communes (commune staff: within theirs), or across the province by province staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot import reminders
from bot.roles import ROLES
from bot.store import classes
from bot.web.auth import current_staff, refuse
from bot.web.inbox import staff_person
from bot.web.render import SERVICES, page
from handlers.class_admin import place_with_commune
from handlers.class_format import Formatter
from handlers.class_input import PLACE_LIMIT, TITLE_LIMIT, InputError, example_day, parse_moment, valid_text

MINUTES = 240  # as chat's /newclass


def routes(router: web.UrlDispatcher) -> None:
    """Register the class planning pages."""
    router.add_get("/classes/new", new_form)
    router.add_get("/classes/count", count)
    router.add_post("/classes/new", create)
    router.add_get("/classes/{id:\\d+}/edit", edit_form)
    router.add_post("/classes/{id:\\d+}/edit", save)
    router.add_post("/classes/{id:\\d+}/cancel", cancel)


def _communes(request: web.Request) -> list[str]:
    """The communes this staff member may invite, in the units' order."""
    staff = current_staff(request)
    return [c.name for c in request.app[SERVICES].content.units.communes if staff.covers(c.name)]


def _when(request: web.Request, text: str) -> datetime:
    """A typed Vietnamese date and time in the future (bot/timeparse.py), UTC; InputError otherwise."""
    services = request.app[SERVICES]
    return parse_moment(text, services.clock.now().astimezone(services.config.tz), Formatter.of(services).when)


def _error(request: web.Request, error: InputError) -> str:
    """The Vietnamese sentence of a refused input."""
    return str(request.app[SERVICES].content.texts(error.key, **error.values))


def _topics(request: web.Request) -> list[tuple[str, str]]:
    """(id, label) of every topic, in content order: what chat's topics step offers."""
    return [(t.id, getattr(t, "label", t.id)) for t in request.app[SERVICES].content.topics]


def _chosen_topics(request: web.Request, form: Any) -> list[str] | None:
    """The ticked topic ids in content order; None when one is not a topic (a forged form)."""
    ticked = {str(v) for v in form.getall("topic", [])}
    known = [topic_id for topic_id, _ in _topics(request)]
    return None if ticked - set(known) else [t for t in known if t in ticked]


def _audience(request: web.Request, form: Any) -> dict[str, Any] | None:
    """The audience of the form: ticked communes (none = all this staff member may invite), and
    optionally one role within them. None when a commune or role is not allowed (a forged form)."""
    staff = current_staff(request)
    mine = _communes(request)
    chosen = [str(v) for v in form.getall("commune", [])]
    role = str(form.get("role", ""))
    if any(name not in mine for name in chosen) or (role and role not in ROLES):
        return None
    if not chosen and staff.commune_filter is None:  # the province: everyone, or a role across communes
        return {"kind": "role", "role": role} if role else dict(classes.ALL)
    names = chosen or mine  # "everyone" for commune staff is every one of their communes, as in chat
    if role:
        return {"kind": "role", "role": role, "communes": names}
    return {"kind": "communes", "communes": names}


def _form_page(request: web.Request, name: str, error: str | None, values: Any, topics: Any,
               **more: Any) -> web.StreamResponse:
    """A class form with the topics to tick (`topics`: the ids ticked now) and the roles to choose."""
    services = request.app[SERVICES]
    roles = [(key, services.content.texts(f"onboarding.roles.{key}")) for key in ROLES]
    example = example_day(services.clock.now().astimezone(services.config.tz).date())
    return page(request, name, error=error, values=values or {}, topics=_topics(request),
                ticked=set(topics or ()), roles=roles, example_day=example, **more)


async def new_form(request: web.Request, error: str | None = None, values: Any = None) -> web.StreamResponse:
    """GET /classes/new: date and time, title, place, topics, and the communes and role to invite."""
    ticked = values.getall("topic", []) if values is not None else []
    invited = set(values.getall("commune", [])) if values is not None else set()
    return _form_page(request, "class_new.html", error, values, ticked, communes=_communes(request),
                      invited=invited)


async def count(request: web.Request) -> web.StreamResponse:
    """GET /classes/count?commune=…&role=…: how many the form's audience invites now (JSON for the
    form's live count, as chat's preview says "hiện có N người")."""
    audience = _audience(request, request.query)
    if audience is None:
        return web.json_response({"ok": False}, status=403)
    return web.json_response({"ok": True, "count": await classes.audience_count(request.app[SERVICES].db, audience)})


async def create(request: web.Request) -> web.StreamResponse:
    """POST /classes/new: check, store, invite and queue the invitations (classes.create, as chat)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    form = await request.post()
    audience, topics = _audience(request, form), _chosen_topics(request, form)
    if audience is None or topics is None:
        return refuse(request)
    try:
        starts_at = _when(request, str(form.get("when", "")))
        title = valid_text(str(form.get("title", "")), TITLE_LIMIT)
        place = valid_text(str(form.get("place", "")), PLACE_LIMIT)
    except InputError as error:
        return await new_form(request, _error(request, error), form)
    person_id, _ = await staff_person(request, staff)
    now = services.clock.now()
    klass, _count = await classes.create(
        services.db, title=title, place=place_with_commune(place, audience), starts_at=starts_at,
        minutes=MINUTES, topics=topics, audience=audience, created_by=person_id, now=now,
        next_reminder=reminders.next_due(starts_at, services.config.reminders, now),
        invitation=Formatter.of(services).invitation)
    raise web.HTTPSeeOther(f"/classes/{klass.id}")


async def _scheduled(request: web.Request) -> classes.ClassRow | None:
    """The class of the URL if it is within this staff member's communes, not cancelled and not yet
    started (as chat: a class under way or over is not edited)."""
    services = request.app[SERVICES]
    klass = await classes.get(services.db, int(request.match_info["id"]), current_staff(request).commune_filter)
    if klass is None or klass.cancelled or services.clock.now() >= klass.starts_at:
        return None
    return klass


async def edit_form(request: web.Request, error: str | None = None, values: Any = None) -> web.StreamResponse:
    """GET /classes/{id}/edit: the time, place, title and topics as they are."""
    klass = await _scheduled(request)
    if klass is None:
        return refuse(request)
    services = request.app[SERVICES]
    shown = values or {"when": klass.starts_at.astimezone(services.config.tz).strftime("%d/%m/%Y %H:%M"),
                       "place": klass.place, "title": klass.title}
    ticked = values.getall("topic", []) if values is not None else klass.topics
    return _form_page(request, "class_edit.html", error, shown, ticked, klass=klass)


async def save(request: web.Request) -> web.StreamResponse:
    """POST /classes/{id}/edit: what changed is saved and everyone invited is told (classes.update)."""
    klass = await _scheduled(request)
    if klass is None:
        return refuse(request)
    services = request.app[SERVICES]
    form = await request.post()
    topics = _chosen_topics(request, form)
    if topics is None:
        return refuse(request)
    try:
        changes = _changes(request, klass, form)
    except InputError as error:
        return await edit_form(request, _error(request, error), form)
    if not changes:
        raise web.HTTPSeeOther(f"/classes/{klass.id}")
    now = services.clock.now()
    updated = await classes.update(
        services.db, klass.id, _version(form), now=now, changes=changes,
        next_reminder=lambda row: reminders.next_due(row.starts_at, services.config.reminders, now),
        change_reply=Formatter.of(services).change)
    if updated is None:  # someone changed or cancelled it meanwhile
        return await edit_form(request, str(services.content.texts("classes.conflict")))
    raise web.HTTPSeeOther(f"/classes/{klass.id}")


def _version(form: Any) -> int:
    """The version the form was made from (a stale or forged one matches nothing)."""
    raw = str(form.get("version", ""))
    return int(raw) if raw.isdigit() else -1


def _changes(request: web.Request, klass: classes.ClassRow, form: Any) -> dict[str, Any]:
    """The fields typed differently from the stored class, checked."""
    services = request.app[SERVICES]
    changes: dict[str, Any] = {}
    when = str(form.get("when", "")).strip()
    shown = klass.starts_at.astimezone(services.config.tz).strftime("%d/%m/%Y %H:%M")
    if when != shown:
        changes["starts_at"] = _when(request, when)
    for field, limit in (("place", PLACE_LIMIT), ("title", TITLE_LIMIT)):
        value = valid_text(str(form.get(field, "")), limit)
        if value != getattr(klass, field):
            changes[field] = value
    topics = _chosen_topics(request, form) or []
    known = {topic_id for topic_id, _ in _topics(request)}
    if set(topics) != {t for t in klass.topics if t in known}:  # topics no longer in content are kept
        changes["topics"] = [*topics, *(t for t in klass.topics if t not in known)]
    return changes


async def cancel(request: web.Request) -> web.StreamResponse:
    """POST /classes/{id}/cancel: asks first (as chat does); with confirm=1 cancelled, reminders
    stopped, everyone invited told (classes.cancel)."""
    klass = await _scheduled(request)
    if klass is None:
        return refuse(request)
    services = request.app[SERVICES]
    form = await request.post()
    if form.get("confirm") != "1":
        return page(request, "class_cancel.html", klass=klass, version=_version(form),
                    when=Formatter.of(services).when(klass.starts_at))
    done = await classes.cancel(services.db, klass.id, _version(form), now=services.clock.now(),
                                cancel_reply=Formatter.of(services).cancellation)
    if done is None:
        return await edit_form(request, str(services.content.texts("classes.conflict")))
    raise web.HTTPSeeOther(f"/classes/{klass.id}")
