"""Onboarding (/start) and the profile editor (/profile → Sửa): consent, name, role, commune,
hamlet, optional phone, summary.

Every answer is kept in the conversation state, so a restart in the middle continues where
the person was; nothing is written to the profile until they confirm. "Sửa lại" at the summary
(and /profile's edit) lists the fields: the person changes only the wrong one, the rest — the
phone and a proved roster row included — stays. The flow is the table FLOW below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.context import Context
from bot.model import Event, Option, Reply
from bot.roles import ASSOCIATIONS, ROLES
from bot.router import Router
from bot.store import claims, hamlets, people
from bot.store import roster as roster_store
from bot.textutil import clean_line, fold, has_letters
from handlers import hamlet_input, phone_input, profile_editor
from handlers.hamlet_input import ask_hamlet, ask_hamlet_typed
from handlers.onboarding_parts import (
    ASSOCIATION,
    COMMUNE,
    CONFIRM,
    CONSENT,
    FIELDS,
    HAMLET,
    HAMLET_GUESS,
    HAMLET_TYPED,
    NAME,
    NAME_LIMIT,
    PHONE,
    ROLE,
    kept,
    page_options,
    to_int,
    with_keep,
)


def _needs_association(data: dict[str, Any]) -> bool:
    return data.get("role") == "chi_hoi" and data.get("association") not in ASSOCIATIONS


@dataclass(frozen=True)
class Question:
    """One question of the flow: asked while `missing(data)`, by `ask`."""

    step: str
    missing: Callable[[dict[str, Any]], bool]
    ask: Callable[[Context], Awaitable[Reply]]


async def _ask_name(ctx: Context) -> Reply:
    return ask_name(ctx)


async def _ask_role(ctx: Context) -> Reply:
    return ask_role(ctx)


async def _ask_association(ctx: Context) -> Reply:
    return ask_association(ctx)


async def _ask_commune(ctx: Context) -> Reply:
    return ask_commune(ctx, int(ctx.data.get("page", 0)))


async def _ask_phone(ctx: Context) -> Reply:
    return ask_phone(ctx)


# The flow, in order: the first question whose answer is missing is asked; none missing = summary.
FLOW: tuple[Question, ...] = (
    Question(NAME, lambda d: not d.get("name"), _ask_name),
    Question(ROLE, lambda d: d.get("role") not in ROLES, _ask_role),
    Question(ASSOCIATION, _needs_association, _ask_association),
    Question(COMMUNE, lambda d: not d.get("commune"), _ask_commune),
    Question(HAMLET, lambda d: not d.get("hamlet"), lambda ctx: ask_hamlet(ctx)),
    Question(PHONE, lambda d: "phone" not in d, _ask_phone),
)


def profile_lines(
    ctx: Context, name: str | None, role: str | None, association: str | None,
    commune: str | None, hamlet: str | None, phone: str | None,
) -> dict[str, str]:
    """The profile as the texts show it (role with its association, a dash for what is missing)."""
    role_text = ctx.t(f"onboarding.roles.{role}") if role in ROLES else "—"
    if role == "chi_hoi" and association in ASSOCIATIONS:
        role_text = f"{role_text} ({ctx.t(f'onboarding.associations.{association}')})"
    return {
        "name": name or "—", "role": role_text, "commune": commune or "—", "hamlet": hamlet or "—",
        "phone": phone or ctx.t("onboarding.phone_none"),
    }


async def start(event: Event, ctx: Context) -> list[Reply]:
    """/start: the menu for a registered person (notices back on), else the privacy notice."""
    if ctx.person.registered:
        replies = [ctx.reply("onboarding.welcome_back", name=ctx.person.name or "")]
        if ctx.person.stopped:
            await people.set_stopped(ctx.db, ctx.person.id, False)
            replies.append(ctx.reply("onboarding.notices_on"))
        ctx.finish()
        return [*replies, await ctx.menu()]
    return ask_consent(ctx)


async def resume(event: Event, ctx: Context) -> list[Reply]:
    """An unregistered person reached a feature: ask the question of the step they are in."""
    step = ctx.step or ""
    if not step.startswith("onboarding.") or step == CONSENT:
        return ask_consent(ctx)
    return [Reply(ctx.t("core.register_first")), *await ask_again(ctx)]


def ask_consent(ctx: Context) -> list[Reply]:
    """The privacy notice with agree / decline."""
    ctx.goto(CONSENT)
    return [ctx.reply("onboarding.privacy", [ctx.option("onboarding.agree_button", "ob:agree"),
                                             ctx.option("onboarding.decline_button", "ob:decline")])]


async def ask_again(ctx: Context) -> list[Reply]:
    """Repeat the question of the current step."""
    step = ctx.step
    if step == CONFIRM:
        return [summary(ctx)]
    if step == FIELDS:
        return [profile_editor.choose_field(ctx)]
    if step in (HAMLET_TYPED, HAMLET_GUESS):
        return [ask_hamlet_typed(ctx)]
    question = next((q for q in FLOW if q.step == step), None)
    if question is not None:
        return [await question.ask(ctx)]
    if ctx.person.registered:
        ctx.finish()
        return [await ctx.menu()]
    return ask_consent(ctx)


async def next_question(ctx: Context) -> list[Reply]:
    """The first question not answered yet (answers may come from the roster), else the summary."""
    for question in FLOW:
        if question.missing(ctx.data):
            return [await question.ask(ctx)]
    return [summary(ctx)]


def ask_name(ctx: Context) -> Reply:
    """Ask for the name; a new person may share or type a phone instead, to be found on the roster."""
    ctx.goto(NAME, **kept(ctx))
    if ctx.person.registered or "backup" in ctx.data:
        return ctx.reply("onboarding.ask_name", with_keep(ctx, []))
    if ctx.identity.channel == "tg":
        reply = ctx.reply("onboarding.ask_name_or_contact")
        reply.ask_contact = True
        return reply
    return ctx.reply("onboarding.ask_name_or_phone")


def ask_role(ctx: Context) -> Reply:
    """Role buttons."""
    ctx.goto(ROLE, **kept(ctx))
    options = [Option(ctx.t(f"onboarding.roles.{key}"), f"ob:role:{key}") for key in ROLES]
    return ctx.reply("onboarding.ask_role", with_keep(ctx, options), name=ctx.data.get("name", ""))


def ask_association(ctx: Context) -> Reply:
    """Association buttons, for a chi hội trưởng."""
    ctx.goto(ASSOCIATION, **kept(ctx))
    options = [Option(ctx.t(f"onboarding.associations.{key}"), f"ob:assoc:{key}") for key in ASSOCIATIONS]
    return ctx.reply("onboarding.ask_association", with_keep(ctx, options))


def ask_commune(ctx: Context, page: int = 0, key: str = "onboarding.ask_commune", **values: Any) -> Reply:
    """Commune buttons, a page at a time; typed names also work."""
    communes = [c.name for c in ctx.content.units.communes]
    ctx.goto(COMMUNE, **kept(ctx), page=page)
    options = page_options(ctx, [Option(name, f"ob:c:{i}") for i, name in enumerate(communes)], page, "ob:cp")
    return ctx.reply(key, with_keep(ctx, options), **values)


def ask_phone(ctx: Context) -> Reply:
    """Optional phone: the share-contact button where the channel has one, or typed."""
    ctx.goto(PHONE, **kept(ctx))
    skip = [ctx.option("onboarding.skip_phone_button", "ob:nophone")]
    if "backup" in ctx.data and (ctx.data["backup"] or {}).get("phone"):
        skip = [ctx.option("editor.remove_phone_button", "ob:nophone")]
    if ctx.identity.channel == "tg":
        reply = ctx.reply("onboarding.ask_phone", with_keep(ctx, skip))
        reply.ask_contact = True
        return reply
    return ctx.reply("onboarding.ask_phone_typed", with_keep(ctx, skip))


def summary(ctx: Context) -> Reply:
    """What will be saved, with Đúng / Sửa lại (Lưu / Sửa / Hủy when editing the profile)."""
    ctx.goto(CONFIRM, **{k: v for k, v in kept(ctx).items() if k != "backup"})
    data = ctx.data
    phone = data.get("phone")
    if not phone and data.get("claim_phone"):
        phone = ctx.t("editor.phone_pending", phone=data["claim_phone"])
    fields = profile_lines(ctx, data.get("name"), data.get("role"), data.get("association"),
                           data.get("commune"), data.get("hamlet"), phone)
    if data.get("mode") == "profile":
        return Reply(ctx.t("editor.profile_summary", **fields), [ctx.option("editor.save_button", "ob:ok"),
                                                                  ctx.option("onboarding.redo_button", "ob:redo"),
                                                                  ctx.option("editor.cancel_button", "ob:cancel")])
    return Reply(ctx.t("onboarding.summary", **fields), [ctx.option("onboarding.confirm_button", "ob:ok"),
                                                         ctx.option("onboarding.redo_button", "ob:redo")], 2)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every onboarding button: ob:<action>[:<value>]."""
    _, action, value = [*event.value.split(":", 2), "", ""][:3]
    handler = _ACTIONS.get(action)
    if handler is not None:
        replies = await handler(ctx, value)
        if replies is not None:
            return replies
    return [Reply(ctx.t("core.stale")), *await ask_again(ctx)]


async def _agree(ctx: Context, value: str) -> list[Reply]:
    await people.set_consent(ctx.db, ctx.person.id, ctx.now_iso())
    ctx.goto(NAME)
    return [ask_name(ctx)]


async def _decline(ctx: Context, value: str) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("onboarding.declined")]


async def _role(ctx: Context, value: str) -> list[Reply] | None:
    if value not in ROLES:
        return None
    ctx.remember(role=value, association=None)
    return await next_question(ctx)


async def _assoc(ctx: Context, value: str) -> list[Reply] | None:
    if value not in ASSOCIATIONS:
        return None
    ctx.remember(association=value)
    return await next_question(ctx)


async def _commune_page(ctx: Context, value: str) -> list[Reply]:
    return [ask_commune(ctx, to_int(value))]


async def _commune(ctx: Context, value: str) -> list[Reply] | None:
    communes = ctx.content.units.communes
    index = to_int(value)
    if not 0 <= index < len(communes):
        return None
    ctx.remember(commune=communes[index].name, hamlet=None)
    return await next_question(ctx)


async def _no_phone(ctx: Context, value: str) -> list[Reply]:
    ctx.remember(phone=None, roster_id=None, claim_id=None, claim_phone=None)
    ctx.data.pop("backup", None)
    return await next_question(ctx)


async def _ok(ctx: Context, value: str) -> list[Reply] | None:
    return await confirm(ctx) if ctx.step == CONFIRM else None


_ACTIONS: dict[str, Callable[[Context, str], Awaitable[list[Reply] | None]]] = {
    "agree": _agree, "decline": _decline, "redo": profile_editor.redo, "edit": profile_editor.edit,
    "f": profile_editor.field_button, "review": profile_editor.review, "keep": profile_editor.keep,
    "role": _role, "assoc": _assoc, "cp": _commune_page, "c": _commune, "hp": hamlet_input.hamlet_page,
    "h": hamlet_input.hamlet_choice, "ht": hamlet_input.hamlet_other, "hg": hamlet_input.hamlet_guess,
    "nophone": _no_phone, "ok": _ok, "cancel": profile_editor.cancel,
}


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed answers (and a shared contact) during onboarding and editing."""
    step = ctx.step
    if event.kind == "contact" and step in (PHONE, NAME):
        return await phone_input.take_phone(ctx, event.value, verified=event.verified)
    if event.kind != "text":
        return [Reply(ctx.t("core.media_unexpected")), *await ask_again(ctx)]
    text = clean_line(event.value)
    if step == NAME:
        return await _typed_name(ctx, text)
    if step == COMMUNE:
        return await _typed_commune(ctx, text)
    if step in (HAMLET, HAMLET_TYPED, HAMLET_GUESS):
        return await hamlet_input.typed_hamlet(ctx, text)
    if step == PHONE:
        return await phone_input.take_phone(ctx, text)
    return [Reply(ctx.t("core.not_understood")), *await ask_again(ctx)]


async def _typed_name(ctx: Context, text: str) -> list[Reply]:
    if not has_letters(text) and phone_input.looks_like_phone(text) and not ctx.person.registered:
        return await phone_input.take_phone(ctx, text)  # a phone first: the roster may already know this person
    if not has_letters(text) or not 2 <= len(text) <= NAME_LIMIT:
        return [ctx.reply("onboarding.name_invalid", limit=NAME_LIMIT)]
    ctx.remember(name=text)
    ctx.data.pop("backup", None)
    return await next_question(ctx)


async def _typed_commune(ctx: Context, text: str) -> list[Reply]:
    commune = ctx.content.units.find(text)
    if commune is None:
        folded = fold(text)
        matches = [c for c in ctx.content.units.communes if folded and folded in fold(c.name)]
        commune = matches[0] if len(matches) == 1 else None
    if commune is None:
        return [ask_commune(ctx, 0, "onboarding.commune_not_found", typed=text[:40])]
    ctx.remember(commune=commune.name, hamlet=None)
    return await next_question(ctx)


async def confirm(ctx: Context) -> list[Reply]:
    """Save the profile: finish registration, or the profile edit."""
    data = ctx.data
    profile_mode = data.get("mode") == "profile"
    phone = await phone_input.settle_phone(ctx)
    commune, hamlet = data.get("commune"), data.get("hamlet")
    await people.update_profile(
        ctx.db, ctx.person.id, name=data.get("name"), role=data.get("role"),
        association=data.get("association"), commune=commune, hamlet=hamlet, phone=phone,
    )
    if commune and hamlet and data.get("hamlet_new"):
        await hamlets.propose(ctx.db, str(commune), str(hamlet), ctx.now_iso())
    if data.get("claim_id") and data.get("claim_phone"):
        listed = await roster_store.roster_only_by_phone(ctx.db, str(data["claim_phone"]))
        if listed is not None and listed.id == data["claim_id"]:  # not proved by its owner meanwhile
            await claims.create(ctx.db, ctx.person.id, listed.id, ctx.now_iso())
    await people.register(ctx.db, ctx.person.id, ctx.now_iso())
    name = str(data.get("name", ""))
    ctx.finish()
    if profile_mode:
        return [ctx.reply("editor.updated"), await ctx.menu()]
    return [ctx.reply("onboarding.done", name=name), await ctx.menu()]


def register(router: Router) -> None:
    """Register /start, the onboarding buttons and steps."""
    router.command("start", start, registered=False, aliases=("bat dau",), describe="account.commands.start")
    router.choice("ob", on_choice, registered=False)
    router.step("onboarding", on_step, registered=False)
    router.on_unregistered(resume)
