"""/leaders: the staff's leader directory on the people store (bot/store/leaders.py, merge.py):
search, a leader's card (aspiration only with `sensitive`, audited), edit, merge with a preview,
remove, put back in reach (chat's `ld:u`). Every page loads the person and checks `Staff.covers`
before showing or changing anything."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.clock import iso
from bot.phone import normalize_phone
from bot.roles import ASSOCIATIONS, ROLES
from bot.staff import Staff
from bot.store import audit, delivery_failures, hamlets, leaders, merge, people
from bot.store.people import Person
from bot.textutil import clean_line, has_letters
from bot.web.auth import current_staff, refuse
from bot.web.render import SERVICES, page

SEARCH_LIMIT = 50
TEXT_LIMIT = 100


def routes(router: web.UrlDispatcher) -> None:
    """Register the directory pages (the repair lists are in bot/web/leaders_repair.py)."""
    router.add_get("/leaders", search)
    router.add_get("/leaders/{id:\\d+}", card)
    router.add_get("/leaders/{id:\\d+}/edit", edit_form)
    router.add_post("/leaders/{id:\\d+}/edit", edit_save)
    router.add_get("/leaders/{id:\\d+}/merge", merge_preview)
    router.add_post("/leaders/{id:\\d+}/merge", merge_do)
    router.add_post("/leaders/{id:\\d+}/remove", remove)
    router.add_post("/leaders/{id:\\d+}/reach", reach_again)


def scope_label(staff: Staff) -> str:
    """The staff member's communes as the audit log writes them."""
    return audit.scope_label(staff.commune_filter)


def my_communes(request: web.Request, staff: Staff) -> list[str]:
    """The communes of units.yaml this staff member covers."""
    return [c.name for c in request.app[SERVICES].content.units.communes if staff.covers(c.name)]


async def load(request: web.Request, staff: Staff, person_id: int | str) -> Person | None:
    """The person if it exists and this staff member covers their commune, else None (one refusal)."""
    text = str(person_id)
    if not text.isdigit() or len(text) > 12:
        return None
    person = await people.get(request.app[SERVICES].db, int(text))
    return person if person is not None and staff.covers(person.commune) else None


async def search(request: web.Request) -> web.StreamResponse:
    """GET /leaders?name=&phone=&commune=&hamlet=&role=: up to 50 leaders, by folded name."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    query = {key: clean_line(request.query.get(key, ""))[:TEXT_LIMIT]
             for key in ("name", "phone", "commune", "hamlet", "role")}
    communes = my_communes(request, staff)
    phone = normalize_phone(query["phone"]) if query["phone"] else ""
    wrong_phone = bool(query["phone"]) and phone is None
    if query["commune"] and query["commune"] not in communes:
        query["commune"] = ""
    found: list[Person] = []
    if not wrong_phone:
        found = await leaders.search(services.db, staff.commune_filter, name=query["name"], phone=phone or "",
                                     commune=query["commune"], hamlet=query["hamlet"],
                                     role=query["role"] if query["role"] in ROLES else "", limit=SEARCH_LIMIT + 1)
    return page(request, "leaders.html", query=query, found=found[:SEARCH_LIMIT], more=len(found) > SEARCH_LIMIT,
                communes=communes, roles=ROLES, wrong_phone=wrong_phone)


async def card(request: web.Request) -> web.StreamResponse:
    """GET /leaders/{id}: the card; ?aspiration=1 shows the aspiration to `sensitive` staff (audited)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    person = await load(request, staff, request.match_info["id"])
    if person is None:
        return refuse(request)
    wish = None
    if request.query.get("aspiration") == "1":
        if not staff.sensitive:
            return refuse(request)
        wish = await leaders.aspiration(services.db, person.id, str(staff.identity), iso(services.clock.now()),
                                        scope_label(staff)) or "none"
    found = await leaders.card(services.db, person)
    notice = next((key for flag, key in NOTICES.items() if flag in request.query), None)
    return page(request, "leader_card.html", card=found, person=person, wish=wish, notice=notice)


NOTICES = {"saved": "web.leader_saved", "merged": "web.leader_merged", "reached": "web.leader_reached"}


async def edit_form(request: web.Request, errors: dict[str, str] | None = None,
                    values: dict[str, Any] | None = None) -> web.StreamResponse:
    """GET /leaders/{id}/edit: every profile field in one form."""
    staff = current_staff(request)
    person = await load(request, staff, request.match_info["id"])
    if person is None:
        return refuse(request)
    shown = values or {"name": person.name or "", "role": person.role or "", "association": person.association or "",
                       "commune": person.commune or "", "hamlet": person.hamlet or "", "phone": person.phone or "",
                       "birth_year": str(person.birth_year or "")}
    return page(request, "leader_edit.html", person=person, values=shown, errors=errors or {},
                communes=my_communes(request, staff), roles=ROLES, associations=ASSOCIATIONS)


async def checked_fields(request: web.Request, staff: Staff, person: Person,
                         form: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(changed fields, errors by field, the values typed) of the edit form."""
    services = request.app[SERVICES]
    typed = {key: clean_line(str(form.get(key, ""))) for key in
             ("name", "role", "association", "commune", "hamlet", "phone", "birth_year")}
    errors: dict[str, str] = {}
    wanted: dict[str, Any] = {}
    for key in ("name", "hamlet"):
        # A name is always needed; a hamlet may stay empty only if it was (a roster row without one).
        needed = key == "name" or getattr(person, key) is not None
        if (typed[key] or needed) and (not has_letters(typed[key]) or len(typed[key]) > TEXT_LIMIT):
            errors[key] = "web.field_invalid"
        wanted[key] = typed[key] or None
    wanted["role"] = typed["role"] if typed["role"] in ROLES else person.role
    wanted["association"] = (typed["association"] if typed["association"] in ASSOCIATIONS else None) \
        if wanted["role"] == "chi_hoi" else None
    if typed["commune"] not in my_communes(request, staff) and typed["commune"] != (person.commune or ""):
        errors["commune"] = "web.field_commune"
    wanted["commune"] = typed["commune"] or None
    wanted["phone"] = normalize_phone(typed["phone"]) if typed["phone"] else None
    if typed["phone"] and wanted["phone"] is None:
        errors["phone"] = "web.phone_invalid"
    elif wanted["phone"]:
        owner = await people.by_phone(services.db, wanted["phone"])
        if owner is not None and owner.id != person.id:
            errors["phone"] = "web.phone_taken"
    year_now = services.clock.now().astimezone(services.config.tz).year
    year = int(typed["birth_year"]) if typed["birth_year"].isdigit() and len(typed["birth_year"]) == 4 else None
    if typed["birth_year"] and (year is None or not year_now - 100 <= year <= year_now - 16):
        errors["birth_year"] = "web.birth_year_invalid"
    wanted["birth_year"] = year
    changed = {key: value for key, value in wanted.items() if getattr(person, key) != value}
    if "hamlet" in changed and changed["hamlet"] and not errors:
        changed["hamlet"] = await hamlets.settle(services.db, services.content.units, wanted["commune"],
                                                 changed["hamlet"], iso(services.clock.now()))
    return changed, errors, typed


async def edit_save(request: web.Request) -> web.StreamResponse:
    """POST /leaders/{id}/edit: save what changed (audited with the field names, never the values)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    person = await load(request, staff, request.match_info["id"])
    if person is None:
        return refuse(request)
    changed, errors, typed = await checked_fields(request, staff, person, await request.post())
    if errors:
        return await edit_form(request, errors, typed)
    if changed:
        await leaders.edit(services.db, person.id, changed, str(staff.identity), iso(services.clock.now()),
                           scope_label(staff))
    raise web.HTTPSeeOther(f"/leaders/{person.id}?saved=1")


async def merge_preview(request: web.Request) -> web.StreamResponse:
    """GET /leaders/{id}/merge?other=ID: both people and what would move from the other one."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    keep = await load(request, staff, request.match_info["id"])
    if keep is None:
        return refuse(request)
    other_raw = request.query.get("other", "")
    drop = await load(request, staff, other_raw) if other_raw else None
    if other_raw and drop is None:
        return refuse(request)
    if drop is not None and drop.id == keep.id:
        return page(request, "leader_merge.html", keep=keep, drop=None, preview=None, error="web.merge_same")
    preview = await merge.preview(services.db, drop.id) if drop else None
    return page(request, "leader_merge.html", keep=keep, drop=drop, preview=preview, error=None)


async def merge_do(request: web.Request) -> web.StreamResponse:
    """POST /leaders/{id}/merge: merge `other` into this leader in one transaction (audited)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    form = await request.post()
    keep = await load(request, staff, request.match_info["id"])
    drop = await load(request, staff, str(form.get("other", "")))
    if keep is None or drop is None:
        return refuse(request)
    result = await merge.merge_people(services.db, keep.id, drop.id, actor=str(staff.identity),
                                      at=iso(services.clock.now()), scope=scope_label(staff))
    if result.status != "merged":
        key = "web.merge_same" if result.status == "same" else "web.merge_gone"
        return page(request, "leader_merge.html", keep=keep, drop=None, preview=None, error=key)
    raise web.HTTPSeeOther(f"/leaders/{keep.id}?merged=1")


async def remove(request: web.Request) -> web.StreamResponse:
    """POST /leaders/{id}/remove (with the confirmation box ticked): the same deletion as /delete_me."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    person = await load(request, staff, request.match_info["id"])
    if person is None:
        return refuse(request)
    form = await request.post()
    if form.get("confirm") != "yes":
        return page(request, "error.html", status=400, message_key="web.remove_unconfirmed")
    await leaders.remove(services.db, person.id, str(staff.identity), iso(services.clock.now()), scope_label(staff))
    return page(request, "leader_removed.html", leader_name=person.name or "—")



async def reach_again(request: web.Request) -> web.StreamResponse:
    """POST /leaders/{id}/reach: chat's "Thử gửi lại" (`ld:u`): unreachable cleared, the failure
    evidence forgotten, audited (delivery_failures.set_reachable, as the broadcast report's reset)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    person = await load(request, staff, request.match_info["id"])
    if person is None:
        return refuse(request)
    await delivery_failures.set_reachable(services.db, [person.id], services.clock.now(), str(staff.identity),
                                          scope_label(staff))
    raise web.HTTPSeeOther(f"/leaders/{person.id}?reached=1")
