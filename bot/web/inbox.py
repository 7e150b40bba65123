"""/inbox: leaders' items with filters, one item with its answers and notes, answer (through the
outbox, as the chat inbox does), status and internal notes. Scoped like /inbox in chat."""

from __future__ import annotations

from aiohttp import web

from bot.clock import iso
from bot.model import Option, Reply
from bot.staff import Staff
from bot.store import people, voices
from bot.textutil import clean_block
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page
from handlers.feedback import excerpt, has_content
from handlers.inbox import ANSWER_LIMIT, NOTE_LIMIT

PAGE_SIZE = 25
NOTICES = {"sent": "web.answer_sent", "noted": "web.noted", "status": "web.status_set"}


def routes(router: web.UrlDispatcher) -> None:
    """Register the inbox pages."""
    router.add_get("/inbox", show_list)
    router.add_get("/inbox/{id:\\d+}", show_item)
    router.add_post("/inbox/{id:\\d+}/answer", answer)
    router.add_post("/inbox/{id:\\d+}/note", note)
    router.add_post("/inbox/{id:\\d+}/status", set_status)


def _choice(value: str | None, allowed: tuple[str, ...] | list[str]) -> str | None:
    return value if value in allowed else None


async def show_list(request: web.Request) -> web.StreamResponse:
    """GET /inbox?kind=&commune=&status=&page=: newest first, 25 a page."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    communes = await voices.communes(services.db, staff.commune_filter)
    kind = _choice(request.query.get("kind"), voices.KINDS)
    status = _choice(request.query.get("status"), voices.STATUSES)
    commune = _choice(request.query.get("commune"), communes)
    number = request.query.get("page", "1")
    wanted = int(number) - 1 if number.isdigit() and len(number) < 7 else 0
    total, shown, items = await voices.inbox(services.db, kind=kind, commune=commune, status=status,
                                             limit=PAGE_SIZE, page=wanted, scope=staff.commune_filter)
    return page(request, "inbox.html", items=items, total=total, page_no=shown, pages=max(1, -(-total // PAGE_SIZE)),
                communes=communes, filters={"kind": kind, "status": status, "commune": commune},
                kinds=voices.KINDS, statuses=voices.STATUSES, excerpt=excerpt)


async def _item(request: web.Request, staff: Staff) -> voices.Voice | None:
    """The item of the URL, or None when it does not exist or is another commune's."""
    item = await voices.get(request.app[SERVICES].db, int(request.match_info["id"]), staff.commune_filter)
    return item if item is not None and staff.covers(item.commune) else None


async def show_item(request: web.Request, notice: str | None = None, error: str | None = None,
                    draft: str = "") -> web.StreamResponse:
    """GET /inbox/{id}: the item, its answers and notes, the answer and note forms."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    item = await _item(request, staff)
    if item is None:
        return refuse(request)
    if notice is None:
        notice = next((key for flag, key in NOTICES.items() if flag in request.query), None)
    found = await voices.entries(services.db, [item.id], notes=True)
    leader = await people.get(services.db, item.person_id)
    return page(request, "inbox_item.html", item=item, entries=found.get(item.id, []), notice=notice, error=error,
                draft=draft, phone=leader.phone if leader else None, statuses=voices.STATUSES,
                answer_limit=ANSWER_LIMIT, note_limit=NOTE_LIMIT)


async def staff_person(request: web.Request, staff: Staff) -> tuple[int, str | None]:
    """The staff member's person id and name (a person row is made for an operator-issued login)."""
    services = request.app[SERVICES]
    person = await people.by_identity(services.db, staff.identity)
    if person is None:
        person, _ = await people.touch(services.db, staff.identity, "", iso(services.clock.now()))
    return person.id, person.name


async def _text(request: web.Request, limit: int) -> tuple[str, str | None]:
    """The typed text and the error key, if it is empty or too long."""
    form = await request.post()
    text = clean_block(str(form.get("body", "")))
    if not has_content(text):
        return text, "web.text_empty"
    if len(text) > limit:
        return text, "web.text_too_long"
    return text, None


async def answer(request: web.Request) -> web.StreamResponse:
    """POST /inbox/{id}/answer: stored and queued to the leader in one transaction (the outbox sends it)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    item = await _item(request, staff)
    if item is None:
        return refuse(request)
    body, error = await _text(request, ANSWER_LIMIT)
    if error:
        return await show_item(request, error=error, draft=body)
    t = services.content.texts
    media = ", ".join(t(f"feedback.media.{kind}") for kind, _ in item.media)
    message = Reply(
        t("feedback.answer_message", id=item.id, kind=t(f"feedback.kinds.{item.kind}"), answer=body,
          excerpt=excerpt(item.body, 200) if item.body else media),
        [Option(t("feedback.answer_my_button"), "cmd:myfeedback")])
    author_id, author_name = await staff_person(request, staff)
    number = await voices.add_answer(services.db, item.id, author_id, author_name, body, message,
                                     services.clock.now())
    if number is None:
        return refuse(request)
    services.hooks.wake()
    raise web.HTTPSeeOther(f"/inbox/{item.id}?sent=1")


async def note(request: web.Request) -> web.StreamResponse:
    """POST /inbox/{id}/note: an internal note (never sent to the leader)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    item = await _item(request, staff)
    if item is None:
        return refuse(request)
    body, error = await _text(request, NOTE_LIMIT)
    if error:
        return await show_item(request, error=error)
    author_id, author_name = await staff_person(request, staff)
    await voices.add_note(services.db, item.id, author_id, author_name, body, iso(services.clock.now()))
    raise web.HTTPSeeOther(f"/inbox/{item.id}?noted=1")


async def set_status(request: web.Request) -> web.StreamResponse:
    """POST /inbox/{id}/status: new, in progress, answered or done."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    item = await _item(request, staff)
    if item is None:
        return refuse(request)
    form = await request.post()
    status = _choice(str(form.get("status", "")), voices.STATUSES)
    if status is None:
        return await show_item(request, error="web.bad_status")
    await voices.set_status(services.db, item.id, status, iso(services.clock.now()))
    raise web.HTTPSeeOther(f"/inbox/{item.id}?status=1")
