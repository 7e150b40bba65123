"""/leaders/duplicates, /leaders/claims, /leaders/hamlets: the repair lists of the people store,
scoped like /leaders in chat (a claim needs both people covered, a hamlet its commune)."""

from __future__ import annotations

from aiohttp import web

from bot.clock import iso
from bot.store import audit, claims, hamlets, leaders, merge, people
from bot.textutil import clean_line, has_letters
from bot.web.auth import current_staff, refuse
from bot.web.leaders import TEXT_LIMIT, scope_label
from bot.web.render import SERVICES, page


def routes(router: web.UrlDispatcher) -> None:
    """Register the repair pages."""
    router.add_get("/leaders/duplicates", duplicates)
    router.add_get("/leaders/claims", claim_list)
    router.add_post("/leaders/claims/{id:\\d+}/confirm", claim_confirm)
    router.add_post("/leaders/claims/{id:\\d+}/reject", claim_reject)
    router.add_get("/leaders/hamlets", hamlet_list)
    router.add_post("/leaders/hamlets/approve", hamlet_approve)
    router.add_post("/leaders/hamlets/merge", hamlet_merge)
    router.add_post("/leaders/hamlets/rename", hamlet_rename)


async def duplicates(request: web.Request) -> web.StreamResponse:
    """GET /leaders/duplicates: the same phone claimed, or the same folded name in one hamlet."""
    staff = current_staff(request)
    found = await leaders.duplicates(request.app[SERVICES].db, staff.commune_filter, limit=100)
    return page(request, "leader_duplicates.html", found=found)


async def claim_list(request: web.Request, notice: str | None = None) -> web.StreamResponse:
    """GET /leaders/claims: typed roster phones waiting for staff to confirm or reject."""
    staff = current_staff(request)
    found = await claims.open_claims(request.app[SERVICES].db, staff.commune_filter, limit=100)
    shown = [c for c in found if staff.covers(c.listed_commune) and staff.covers(c.claimant_commune)]
    return page(request, "leader_claims.html", found=shown, notice=notice)


async def _claim(request: web.Request) -> claims.Claim | None:
    staff = current_staff(request)
    claim = await claims.get(request.app[SERVICES].db, int(request.match_info["id"]))
    if claim is None or not (staff.covers(claim.listed_commune) and staff.covers(claim.claimant_commune)):
        return None
    return claim


async def claim_confirm(request: web.Request) -> web.StreamResponse:
    """POST: the claimant is the roster row's person — the two records merge (as /leaders does)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    claim = await _claim(request)
    if claim is None:
        return refuse(request)
    if await people.identities_of(services.db, claim.listed_id):
        await claims.reject(services.db, claim.id)  # the owner proved the number meanwhile
        return await claim_list(request, "web.claim_taken")
    result = await merge.merge_people(services.db, claim.claimant_id, claim.listed_id, actor=str(staff.identity),
                                      at=iso(services.clock.now()), scope=scope_label(staff))
    if result.person is None or result.status != "merged":
        return await claim_list(request, "web.merge_gone")
    if claim.phone and result.person.phone != claim.phone:
        await people.update_profile(services.db, result.person.id, phone=claim.phone)
    return await claim_list(request, "web.claim_confirmed")


async def claim_reject(request: web.Request) -> web.StreamResponse:
    """POST: not the same person — the claim is forgotten (audited)."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    claim = await _claim(request)
    if claim is None:
        return refuse(request)
    await claims.reject(services.db, claim.id)
    await audit.record(services.db, iso(services.clock.now()), str(staff.identity), "claim.reject",
                       scope_label(staff), f"person:{claim.claimant_id}->person:{claim.listed_id}")
    return await claim_list(request, "web.claim_rejected")


async def hamlet_list(request: web.Request, notice: str | None = None, error: str | None = None) -> web.StreamResponse:
    """GET /leaders/hamlets: hamlet names leaders typed, waiting for approval, merge or rename."""
    services = request.app[SERVICES]
    staff = current_staff(request)
    found = [h for h in await hamlets.proposed(services.db, staff.commune_filter, limit=200) if staff.covers(h.commune)]
    targets = {h.commune: [n for n in await hamlets.approved(services.db, services.content.units, h.commune)]
               for h in found}
    return page(request, "leader_hamlets.html", found=found, targets=targets, notice=notice, error=error)


async def _picked(request: web.Request) -> tuple[str, str, dict[str, str]] | None:
    """(commune, proposed name, the form) when this staff member covers the commune and it is proposed."""
    form = {k: str(v) for k, v in (await request.post()).items()}
    commune, name = form.get("commune", ""), form.get("name", "")
    if not current_staff(request).covers(commune):
        return None
    found = await hamlets.get(request.app[SERVICES].db, commune, name)
    return (commune, name, form) if found is not None else None


async def hamlet_approve(request: web.Request) -> web.StreamResponse:
    """POST: the typed name is right; later leaders are offered it."""
    picked = await _picked(request)
    if picked is None:
        return refuse(request)
    await hamlets.approve(request.app[SERVICES].db, picked[0], picked[1])
    return await hamlet_list(request, "web.hamlet_done")


async def hamlet_merge(request: web.Request) -> web.StreamResponse:
    """POST: the typed name is another spelling of a known hamlet; its people move there."""
    services = request.app[SERVICES]
    picked = await _picked(request)
    if picked is None:
        return refuse(request)
    commune, name, form = picked
    into = form.get("into", "")
    if into == name or into not in await hamlets.approved(services.db, services.content.units, commune):
        return await hamlet_list(request, error="web.hamlet_bad_target")
    await hamlets.merge_into(services.db, commune, name, into)
    return await hamlet_list(request, "web.hamlet_done")


async def hamlet_rename(request: web.Request) -> web.StreamResponse:
    """POST: give the typed name its right spelling (approved)."""
    services = request.app[SERVICES]
    picked = await _picked(request)
    if picked is None:
        return refuse(request)
    commune, name, form = picked
    new_name = clean_line(form.get("new_name", ""))
    if not has_letters(new_name) or len(new_name) > TEXT_LIMIT:
        return await hamlet_list(request, error="web.field_invalid")
    await hamlets.rename(services.db, commune, name, new_name, iso(services.clock.now()))
    return await hamlet_list(request, "web.hamlet_done")
