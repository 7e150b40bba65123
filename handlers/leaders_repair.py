"""Repairs from the leader directory (/leaders): edit a field, confirm or reject phone claims,
approve / merge / rename proposed hamlets. Registered through handlers/leaders.py's ACTIONS.

Scope as in the directory: people through `load` (same refusal as a non-staff user outside the
staff member's communes), lists filtered by `commune_filter`, hamlets and claims re-checked with
`covers` before acting. Lists are kept in the step's data and buttons carry their index.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import Context
from bot.model import Option, Reply
from bot.payload import number_or
from bot.phone import normalize_phone
from bot.roles import ASSOCIATIONS, ROLES
from bot.staff import Staff
from bot.store import audit, claims, hamlets, leaders, merge, people
from bot.store.people import Person
from bot.textutil import has_letters
from handlers.leaders_card import home_reply, show_card

EDIT = "leaders.edit"
RENAME = "leaders.rename"
CLAIMS = "leaders.claims"
HAMLETS = "leaders.hamlets"
STEPS = (EDIT, RENAME)
TEXT_LIMIT = 80
EDITABLE = ("name", "role", "commune", "hamlet", "phone", "birth_year")  # buttons carry the index
TYPED_FIELDS = ("name", "hamlet", "phone", "birth_year")
ROLE_KEYS = ROLES

def _staff(ctx: Context) -> Staff:
    assert ctx.staff is not None
    return ctx.staff


def _refused(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("core.staff_only"), [ctx.option("core.menu_button", "cmd:menu")])]


def _scope(ctx: Context) -> str:
    return audit.scope_label(_staff(ctx).commune_filter)


async def _load(ctx: Context, person_id: int) -> Person | None:
    person = await people.get(ctx.db, person_id)
    return person if person is not None and _staff(ctx).covers(person.commune) else None


def _back(ctx: Context) -> Option:
    return ctx.option("leaders.back_button", "cmd:leaders")


# ---------------------------------------------------------------- editing one field

async def _edit_choose(ctx: Context, ids: list[int]) -> list[Reply]:
    person = await _load(ctx, ids[0])
    if person is None:
        return _refused(ctx)
    fields = EDITABLE
    options = [Option(ctx.t(f"leaders.fields.{f}"), f"ld:ef:{person.id}:{i}") for i, f in enumerate(fields)]
    return [ctx.reply("leaders.edit_choose", [*options, ctx.option("leaders.merge_cancel", f"ld:s:{person.id}")],
                      name=person.name or "—")]


async def _edit_field(ctx: Context, ids: list[int]) -> list[Reply]:
    fields = EDITABLE
    if len(ids) != 2 or not 0 <= ids[1] < len(fields):
        return _refused(ctx)
    person = await _load(ctx, ids[0])
    if person is None:
        return _refused(ctx)
    field = fields[ids[1]]
    cancel = ctx.option("leaders.merge_cancel", f"ld:s:{person.id}")
    if field == "role":
        options = [Option(ctx.t(f"onboarding.roles.{k}"), f"ld:er:{person.id}:{i}") for i, k in enumerate(ROLE_KEYS)]
        return [ctx.reply("leaders.edit_role", [*options, cancel], name=person.name or "—")]
    if field == "commune":
        communes = [c.name for c in ctx.content.units.communes if _staff(ctx).covers(c.name)]
        ctx.goto("leaders.search", communes=communes)
        options = [Option(name, f"ld:ec:{person.id}:{i}") for i, name in enumerate(communes)]
        return [ctx.reply("leaders.edit_commune", [*options, cancel], name=person.name or "—")]
    ctx.goto(EDIT, person=person.id, field=field)
    return [ctx.reply("leaders.edit_type", [cancel], field=ctx.t(f"leaders.fields.{field}"), name=person.name or "—")]


async def _edit_role(ctx: Context, ids: list[int]) -> list[Reply]:
    if len(ids) != 2 or not 0 <= ids[1] < len(ROLE_KEYS):
        return _refused(ctx)
    if ROLE_KEYS[ids[1]] == "chi_hoi":  # which association, then saved together
        person = await _load(ctx, ids[0])
        if person is None:
            return _refused(ctx)
        options = [Option(ctx.t(f"onboarding.associations.{k}"), f"ld:ea:{person.id}:{i}")
                   for i, k in enumerate(ASSOCIATIONS)]
        return [ctx.reply("onboarding.ask_association", [*options, ctx.option("leaders.merge_cancel",
                                                                              f"ld:s:{person.id}")])]
    return await _save(ctx, ids[0], "role", ROLE_KEYS[ids[1]])


async def _edit_association(ctx: Context, ids: list[int]) -> list[Reply]:
    if len(ids) != 2 or not 0 <= ids[1] < len(ASSOCIATIONS):
        return _refused(ctx)
    return await _save(ctx, ids[0], "role", "chi_hoi", association=ASSOCIATIONS[ids[1]])


async def _edit_commune(ctx: Context, ids: list[int]) -> list[Reply]:
    communes = ctx.data.get("communes") or []
    if len(ids) != 2 or not 0 <= ids[1] < len(communes) or not _staff(ctx).covers(communes[ids[1]]):
        return _refused(ctx)
    return await _save(ctx, ids[0], "commune", str(communes[ids[1]]))


async def _save(ctx: Context, person_id: int, field: str, value: Any, **more: Any) -> list[Reply]:
    person = await _load(ctx, person_id)
    if person is None:
        return _refused(ctx)
    fields = {field: value, **more}
    if field == "role" and value != "chi_hoi":
        fields["association"] = None
    await leaders.edit(ctx.db, person.id, fields, str(ctx.identity), ctx.now_iso(), _scope(ctx))
    ctx.goto("leaders.search")
    reply = ctx.reply("leaders.edit_done", field=ctx.t(f"leaders.fields.{field}"), name=person.name or "—")
    updated = await people.get(ctx.db, person.id)
    if updated is None or not _staff(ctx).covers(updated.commune):
        return [reply, await _home(ctx)]  # moved out of this staff member's communes
    return [reply, *await show_card(ctx, updated)]


async def _home(ctx: Context) -> Reply:
    return await home_reply(ctx)


async def _typed_phone(ctx: Context, person_id: int, text: str) -> list[Reply]:
    """A new phone for the person: valid, and nobody else's."""
    phone = normalize_phone(text)
    if phone is None:
        return [ctx.reply("leaders.phone_invalid")]
    owner = await people.by_phone(ctx.db, phone)
    if owner is not None and owner.id != person_id:
        # Say who only if this staff member may see them; otherwise just that it is taken.
        other = owner.name if _staff(ctx).covers(owner.commune) else "—"
        return [ctx.reply("leaders.phone_taken", [ctx.option("leaders.merge_cancel", f"ld:s:{person_id}")],
                          other=other or "—", id=owner.id if other != "—" else "—")]
    return await _save(ctx, person_id, "phone", phone)


async def _typed_value(ctx: Context, text: str) -> list[Reply]:
    field = str(ctx.data.get("field", ""))
    person = await _load(ctx, int(ctx.data.get("person", 0)))
    if person is None or field not in TYPED_FIELDS:
        return _refused(ctx)
    if field == "phone":
        return await _typed_phone(ctx, person.id, text)
    if field == "birth_year":
        year = number_or(text, 0)
        if not ctx.local_now().year - 100 <= year <= ctx.local_now().year - 16:
            return [ctx.reply("leaders.birth_year_invalid")]
        return await _save(ctx, person.id, field, year)
    if not has_letters(text) or len(text) > TEXT_LIMIT:
        return [ctx.reply("leaders.edit_invalid", field=ctx.t(f"leaders.fields.{field}"), limit=TEXT_LIMIT)]
    if field == "hamlet" and person.commune:
        text = await hamlets.settle(ctx.db, ctx.content.units, person.commune, text, ctx.now_iso())
    return await _save(ctx, person.id, field, text)


# ---------------------------------------------------------------- phone claims

async def _claims(ctx: Context, ids: list[int]) -> list[Reply]:
    found = await claims.open_claims(ctx.db, _staff(ctx).commune_filter)
    if not found:
        return [ctx.reply("leaders.claims_none", [_back(ctx)])]
    ctx.goto(CLAIMS, claims=[c.id for c in found])
    lines, options = [ctx.t("leaders.claims_title", count=len(found))], []
    for n, claim in enumerate(found, start=1):
        lines.append(ctx.t("leaders.claim_line", n=n, claimant=claim.claimant_name or "—",
                           claimant_commune=claim.claimant_commune or "—", phone=claim.phone or "—",
                           listed=claim.listed_name or "—", listed_commune=claim.listed_commune or "—"))
        options += [ctx.option("leaders.claim_confirm", f"ld:cc:{claim.id}", n=n),
                    ctx.option("leaders.claim_reject", f"ld:cx:{claim.id}", n=n)]
    return [Reply("\n".join(lines), [*options, _back(ctx)], columns=2)]


async def _claim(ctx: Context, claim_id: int) -> claims.Claim | None:
    """The claim if this staff member covers both people it joins."""
    claim = await claims.get(ctx.db, claim_id)
    if claim is None:
        return None
    staff = _staff(ctx)
    return claim if staff.covers(claim.listed_commune) and staff.covers(claim.claimant_commune) else None


async def _claim_confirm(ctx: Context, ids: list[int]) -> list[Reply]:
    if await claims.get(ctx.db, ids[0]) is None:
        return [ctx.reply("leaders.claim_gone", [_back(ctx)])]
    claim = await _claim(ctx, ids[0])
    if claim is None:
        return _refused(ctx)
    if await people.identities_of(ctx.db, claim.listed_id):
        await claims.reject(ctx.db, claim.id)  # the owner proved the number meanwhile
        return [ctx.reply("leaders.claim_taken", [_back(ctx)])]
    result = await merge.merge_people(ctx.db, claim.claimant_id, claim.listed_id, actor=str(ctx.identity),
                                      at=ctx.now_iso(), scope=_scope(ctx))
    if result.person is None or result.status != "merged":
        return [ctx.reply("leaders.claim_gone", [_back(ctx)])]
    if claim.phone and result.person.phone != claim.phone:
        await people.update_profile(ctx.db, result.person.id, phone=claim.phone)  # the number they typed as theirs
    return [ctx.reply("leaders.claim_confirmed", name=result.person.name or "—", id=result.person.id),
            *await _claims(ctx, [])]


async def _claim_reject(ctx: Context, ids: list[int]) -> list[Reply]:
    if await claims.get(ctx.db, ids[0]) is None:
        return [ctx.reply("leaders.claim_gone", [_back(ctx)])]
    claim = await _claim(ctx, ids[0])
    if claim is None:
        return _refused(ctx)
    await claims.reject(ctx.db, claim.id)
    await audit.record(ctx.db, ctx.now_iso(), str(ctx.identity), "claim.reject", _scope(ctx),
                       f"person:{claim.claimant_id}->person:{claim.listed_id}")
    return [ctx.reply("leaders.claim_rejected"), *await _claims(ctx, [])]


# ---------------------------------------------------------------- proposed hamlets

async def _hamlets(ctx: Context, ids: list[int]) -> list[Reply]:
    found = await hamlets.proposed(ctx.db, _staff(ctx).commune_filter)
    if not found:
        return [ctx.reply("leaders.hamlets_none", [_back(ctx)])]
    ctx.goto(HAMLETS, hamlets=[[h.commune, h.name] for h in found])
    lines, options = [ctx.t("leaders.hamlets_title", count=len(found))], []
    for n, hamlet in enumerate(found, start=1):
        lines.append(ctx.t("leaders.hamlet_line", n=n, commune=hamlet.commune, hamlet=hamlet.name,
                           people=hamlet.people))
        options += [ctx.option("leaders.hamlet_approve", f"ld:ha:{n - 1}", n=n),
                    ctx.option("leaders.hamlet_merge", f"ld:hm:{n - 1}", n=n),
                    ctx.option("leaders.hamlet_rename", f"ld:hr:{n - 1}", n=n)]
    return [Reply("\n".join(lines), [*options, _back(ctx)], columns=3)]


def _listed_hamlet(ctx: Context, index: int) -> tuple[str, str] | None:
    """(commune, name) of the index-th hamlet of the list last shown, if this staff covers it."""
    shown = ctx.data.get("hamlets") or []
    if not 0 <= index < len(shown):
        return None
    commune, name = str(shown[index][0]), str(shown[index][1])
    return (commune, name) if _staff(ctx).covers(commune) else None


async def _hamlet_approve(ctx: Context, ids: list[int]) -> list[Reply]:
    picked = _listed_hamlet(ctx, ids[0])
    if picked is None:
        return _refused(ctx)
    await hamlets.approve(ctx.db, *picked)
    return [ctx.reply("leaders.hamlet_done", commune=picked[0], hamlet=picked[1]), *await _hamlets(ctx, [])]


async def _hamlet_merge_pick(ctx: Context, ids: list[int]) -> list[Reply]:
    picked = _listed_hamlet(ctx, ids[0])
    if picked is None:
        return _refused(ctx)
    targets = [h for h in await hamlets.approved(ctx.db, ctx.content.units, picked[0]) if h != picked[1]]
    if not targets:
        return [ctx.reply("leaders.hamlet_merge_none", [_back(ctx)], commune=picked[0])]
    ctx.remember(targets=targets)
    options = [Option(name, f"ld:hi:{ids[0]}:{j}") for j, name in enumerate(targets)]
    return [ctx.reply("leaders.hamlet_merge_pick", [*options, _back(ctx)], commune=picked[0], hamlet=picked[1])]


async def _hamlet_merge(ctx: Context, ids: list[int]) -> list[Reply]:
    targets = ctx.data.get("targets") or []
    picked = _listed_hamlet(ctx, ids[0]) if len(ids) == 2 else None
    if picked is None or not 0 <= ids[1] < len(targets):
        return _refused(ctx)
    into = str(targets[ids[1]])
    moved = await hamlets.merge_into(ctx.db, picked[0], picked[1], into)
    return [ctx.reply("leaders.hamlet_merged", hamlet=picked[1], into=into, count=moved), *await _hamlets(ctx, [])]


async def _hamlet_rename_ask(ctx: Context, ids: list[int]) -> list[Reply]:
    picked = _listed_hamlet(ctx, ids[0])
    if picked is None:
        return _refused(ctx)
    ctx.goto(RENAME, commune=picked[0], name=picked[1])
    return [ctx.reply("leaders.hamlet_rename_ask", [_back(ctx)], commune=picked[0], hamlet=picked[1])]


async def _renamed(ctx: Context, text: str) -> list[Reply]:
    commune, name = str(ctx.data.get("commune", "")), str(ctx.data.get("name", ""))
    if not _staff(ctx).covers(commune):
        return _refused(ctx)
    if not has_letters(text) or len(text) > TEXT_LIMIT:
        return [ctx.reply("leaders.hamlet_invalid", limit=TEXT_LIMIT)]
    kept = await hamlets.rename(ctx.db, commune, name, text, ctx.now_iso())
    return [ctx.reply("leaders.hamlet_done", commune=commune, hamlet=kept), *await _hamlets(ctx, [])]


async def on_text(ctx: Context, text: str) -> list[Reply]:
    """Typed text in an edit or rename step."""
    if ctx.step == RENAME:
        return await _renamed(ctx, text)
    return await _typed_value(ctx, text)


ACTIONS: dict[str, Callable[[Context, list[int]], Awaitable[list[Reply]]]] = {
    "e": _edit_choose, "ef": _edit_field, "er": _edit_role, "ea": _edit_association, "ec": _edit_commune,
    "claims": _claims, "cc": _claim_confirm, "cx": _claim_reject,
    "hamlets": _hamlets, "ha": _hamlet_approve, "hm": _hamlet_merge_pick, "hi": _hamlet_merge,
    "hr": _hamlet_rename_ask,
}
