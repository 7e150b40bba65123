"""Onboarding (/start): privacy consent, name, role, commune, hamlet, optional phone, confirm.

Every answer is kept in the conversation state, so a restart in the middle continues
where the person was; nothing is written to the profile until they confirm.
"""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.model import Event, Option, Reply
from bot.phone import normalize_phone
from bot.roles import ASSOCIATIONS, ROLES
from bot.router import Router
from bot.store import people
from bot.store import roster as roster_store
from bot.textutil import clean_line, fold, has_letters

NAME_LIMIT = 80
HAMLET_LIMIT = 80
PAGE_SIZE = 8


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
    if not step.startswith("onboarding.") or step == "onboarding.consent":
        return ask_consent(ctx)
    return [Reply(ctx.t("core.register_first")), *ask_again(ctx)]


def ask_consent(ctx: Context) -> list[Reply]:
    """The privacy notice with agree / decline."""
    ctx.goto("onboarding.consent")
    return [ctx.reply("onboarding.privacy", [ctx.option("onboarding.agree_button", "ob:agree"),
                                             ctx.option("onboarding.decline_button", "ob:decline")])]


def ask_again(ctx: Context) -> list[Reply]:
    """Repeat the question of the current onboarding step."""
    step = ctx.step
    if step == "onboarding.name":
        return [ask_name(ctx)]
    if step == "onboarding.role":
        return [ask_role(ctx)]
    if step == "onboarding.association":
        return [ask_association(ctx)]
    if step == "onboarding.commune":
        return [ask_commune(ctx, int(ctx.data.get("page", 0)))]
    if step in ("onboarding.hamlet", "onboarding.hamlet_typed"):
        return [ctx.reply("onboarding.ask_hamlet_typed", commune=ctx.data.get("commune", ""))]
    if step == "onboarding.phone":
        return [ask_phone(ctx)]
    if step == "onboarding.confirm":
        return [summary(ctx)]
    return ask_consent(ctx)


def ask_role(ctx: Context) -> Reply:
    """Role buttons."""
    ctx.goto("onboarding.role", **_kept(ctx))
    options = [Option(ctx.t(f"onboarding.roles.{key}"), f"ob:role:{key}") for key in ROLES]
    return ctx.reply("onboarding.ask_role", options, name=ctx.data.get("name", ""))


def ask_association(ctx: Context) -> Reply:
    """Association buttons, for a chi hội trưởng."""
    ctx.goto("onboarding.association", **_kept(ctx))
    options = [Option(ctx.t(f"onboarding.associations.{key}"), f"ob:assoc:{key}") for key in ASSOCIATIONS]
    return ctx.reply("onboarding.ask_association", options)


def ask_commune(ctx: Context, page: int = 0, key: str = "onboarding.ask_commune", **values: Any) -> Reply:
    """Commune buttons, a page at a time; typed names also work."""
    communes = [c.name for c in ctx.content.units.communes]
    ctx.goto("onboarding.commune", **_kept(ctx), page=page)
    options = _page(ctx, [Option(name, f"ob:c:{i}") for i, name in enumerate(communes)], page, "ob:cp")
    return ctx.reply(key, options, **values)


async def ask_hamlet(ctx: Context, page: int = 0) -> Reply:
    """Hamlet buttons for the chosen commune, or a request to type the name when none are listed."""
    commune = str(ctx.data.get("commune", ""))
    hamlets = await _hamlets(ctx, commune)
    if not hamlets:
        ctx.goto("onboarding.hamlet_typed", **_kept(ctx))
        return ctx.reply("onboarding.ask_hamlet_typed", commune=commune)
    ctx.goto("onboarding.hamlet", **_kept(ctx), page=page)
    options = _page(ctx, [Option(name, f"ob:h:{i}") for i, name in enumerate(hamlets)], page, "ob:hp")
    options.append(ctx.option("onboarding.hamlet_other", "ob:ht"))
    return ctx.reply("onboarding.ask_hamlet", options, commune=commune)


def ask_phone(ctx: Context) -> Reply:
    """Optional phone: Telegram's share-contact button, or typed."""
    ctx.goto("onboarding.phone", **_kept(ctx))
    skip = [ctx.option("onboarding.skip_phone_button", "ob:nophone")]
    if ctx.identity.channel == "tg":
        reply = ctx.reply("onboarding.ask_phone", skip)
        reply.ask_contact = True
        return reply
    return ctx.reply("onboarding.ask_phone_typed", skip)


def ask_name(ctx: Context) -> Reply:
    """Ask for the name; a new person may share or type a phone instead, to be found on the roster."""
    if ctx.person.registered:
        return ctx.reply("onboarding.ask_name")
    if ctx.identity.channel == "tg":
        reply = ctx.reply("onboarding.ask_name_or_contact")
        reply.ask_contact = True
        return reply
    return ctx.reply("onboarding.ask_name_or_phone")


async def next_question(ctx: Context) -> list[Reply]:
    """The first question not answered yet (answers may come from the roster), else the summary."""
    data = ctx.data
    if not data.get("name"):
        ctx.goto("onboarding.name", **_kept(ctx))
        return [ask_name(ctx)]
    if data.get("role") not in ROLES:
        return [ask_role(ctx)]
    if data.get("role") == "chi_hoi" and data.get("association") not in ASSOCIATIONS:
        return [ask_association(ctx)]
    if not data.get("commune"):
        return [ask_commune(ctx)]
    if not data.get("hamlet"):
        return [await ask_hamlet(ctx)]
    if "phone" not in data:
        return [ask_phone(ctx)]
    return [summary(ctx)]


def summary(ctx: Context) -> Reply:
    """What will be saved, with Đúng / Sửa lại."""
    ctx.goto("onboarding.confirm", **_kept(ctx))
    data = ctx.data
    fields = profile_lines(ctx, data.get("name"), data.get("role"), data.get("association"),
                           data.get("commune"), data.get("hamlet"), data.get("phone"))
    return ctx.reply("onboarding.summary", [ctx.option("onboarding.confirm_button", "ob:ok"),
                                            ctx.option("onboarding.redo_button", "ob:redo")], columns=2, **fields)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every onboarding button: ob:<action>[:<value>]."""
    _, action, value = [*event.value.split(":", 2), "", ""][:3]
    if action == "agree":
        await people.set_consent(ctx.db, ctx.person.id, ctx.now_iso())
        ctx.goto("onboarding.name")
        return [ask_name(ctx)]
    if action == "decline":
        ctx.finish()
        return [ctx.reply("onboarding.declined")]
    if action in ("redo", "edit"):
        ctx.goto("onboarding.name", **_profile_data(ctx))
        return [ask_name(ctx)]
    if action == "role" and value in ROLES:
        ctx.remember(role=value, association=None)
        return [ask_association(ctx) if value == "chi_hoi" else ask_commune(ctx)]
    if action == "assoc" and value in ASSOCIATIONS:
        ctx.remember(association=value)
        return [ask_commune(ctx)]
    if action == "cp":
        return [ask_commune(ctx, _int(value))]
    if action == "c":
        communes = ctx.content.units.communes
        index = _int(value)
        if 0 <= index < len(communes):
            ctx.remember(commune=communes[index].name)
            return [await ask_hamlet(ctx)]
    if action == "hp":
        return [await ask_hamlet(ctx, _int(value))]
    if action == "h":
        hamlets = await _hamlets(ctx, str(ctx.data.get("commune", "")))
        index = _int(value)
        if 0 <= index < len(hamlets):
            ctx.remember(hamlet=hamlets[index])
            return await next_question(ctx)
    if action == "ht":
        ctx.goto("onboarding.hamlet_typed", **_kept(ctx))
        return [ctx.reply("onboarding.ask_hamlet_typed", commune=ctx.data.get("commune", ""))]
    if action == "nophone":
        ctx.remember(phone=None)
        return await next_question(ctx)
    if action == "ok" and ctx.step == "onboarding.confirm":
        return await confirm(ctx)
    return [Reply(ctx.t("core.stale")), *ask_again(ctx)]


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed answers (and a shared contact) during onboarding."""
    step = ctx.step
    if event.kind == "contact" and step in ("onboarding.phone", "onboarding.name"):
        return await take_phone(ctx, event.value)
    if event.kind != "text":
        return [Reply(ctx.t("core.media_unexpected")), *ask_again(ctx)]
    text = clean_line(event.value)
    if step == "onboarding.name":
        if not has_letters(text) and normalize_phone(text) and not ctx.person.registered:
            return await take_phone(ctx, text)  # a phone first: the roster may already know this person
        if not has_letters(text) or not 2 <= len(text) <= NAME_LIMIT:
            return [ctx.reply("onboarding.name_invalid", limit=NAME_LIMIT)]
        ctx.remember(name=text)
        return [ask_role(ctx)]
    if step == "onboarding.commune":
        commune = ctx.content.units.find(text)
        if commune is None:
            folded = fold(text)
            matches = [c for c in ctx.content.units.communes if folded and folded in fold(c.name)]
            commune = matches[0] if len(matches) == 1 else None
        if commune is None:
            return [ask_commune(ctx, 0, "onboarding.commune_not_found", typed=text[:40])]
        ctx.remember(commune=commune.name)
        return [await ask_hamlet(ctx)]
    if step in ("onboarding.hamlet", "onboarding.hamlet_typed"):
        if not has_letters(text) or len(text) > HAMLET_LIMIT:
            return [ctx.reply("onboarding.hamlet_invalid", limit=HAMLET_LIMIT)]
        known = {fold(h): h for h in await _hamlets(ctx, str(ctx.data.get("commune", "")))}
        ctx.remember(hamlet=known.get(fold(text), text))
        return await next_question(ctx)
    if step == "onboarding.phone":
        return await take_phone(ctx, text)
    return [Reply(ctx.t("core.not_understood")), *ask_again(ctx)]


async def take_phone(ctx: Context, raw: str) -> list[Reply]:
    """Accept a phone number if it is valid and not someone else's."""
    phone = normalize_phone(raw)
    if phone is None:
        return [ctx.reply("onboarding.phone_invalid", [ctx.option("onboarding.skip_phone_button", "ob:nophone")],
                          typed=raw[:20])]
    owner = await people.by_phone(ctx.db, phone)
    if owner is not None and owner.id != ctx.person.id:
        listed = None if ctx.person.registered else await roster_store.roster_only_by_phone(ctx.db, phone)
        if listed is None:
            return [ctx.reply("onboarding.phone_taken",
                              [ctx.option("onboarding.skip_phone_button", "ob:nophone")])]
        # On the staff's roster: this row becomes theirs at "Đúng"; their own answers win, the roster fills blanks.
        for key in ("name", "role", "commune", "hamlet"):
            if not ctx.data.get(key) and getattr(listed, key):
                ctx.remember(**{key: getattr(listed, key)})
        if ctx.data.get("role") == "chi_hoi" and not ctx.data.get("association") and listed.association:
            ctx.remember(association=listed.association)
        ctx.remember(phone=phone, roster_id=listed.id)
        return [ctx.reply("roster.found_in_list", commune=listed.commune or ""), *await next_question(ctx)]
    ctx.remember(phone=phone)
    if ctx.step == "onboarding.name":
        return [ctx.reply("onboarding.phone_saved"), *await next_question(ctx)]
    return await next_question(ctx)


async def confirm(ctx: Context) -> list[Reply]:
    """Save the profile and finish onboarding."""
    data = ctx.data
    phone = data.get("phone")
    roster_id = data.get("roster_id")
    if phone and roster_id and not ctx.person.registered:
        listed = await roster_store.roster_only_by_phone(ctx.db, phone)
        if listed is not None and listed.id == roster_id:
            adopted = await roster_store.adopt(ctx.db, ctx.person.id, listed.id)
            if adopted is not None:
                ctx.person = adopted  # the conversation is saved under the roster row from now on
    if phone:
        owner = await people.by_phone(ctx.db, phone)
        if owner is not None and owner.id != ctx.person.id:
            phone = None  # taken meanwhile; keep the rest rather than lose it
    await people.update_profile(
        ctx.db, ctx.person.id, name=data.get("name"), role=data.get("role"),
        association=data.get("association"), commune=data.get("commune"), hamlet=data.get("hamlet"),
        phone=phone,
    )
    await people.register(ctx.db, ctx.person.id, ctx.now_iso())
    name = str(data.get("name", ""))
    ctx.finish()
    return [ctx.reply("onboarding.done", name=name), await ctx.menu()]


def _kept(ctx: Context) -> dict[str, Any]:
    return {k: v for k, v in ctx.data.items() if k != "page"}


def _profile_data(ctx: Context) -> dict[str, Any]:
    person = ctx.person
    return {"name": person.name, "role": person.role, "association": person.association,
            "commune": person.commune, "hamlet": person.hamlet, "phone": person.phone}


def _int(value: str) -> int:
    return int(value) if value.isdigit() else -1


def _page(ctx: Context, options: list[Option], page: int, prefix: str) -> list[Option]:
    pages = max(1, -(-len(options) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return [*options[page * PAGE_SIZE:(page + 1) * PAGE_SIZE], *ctx.pager(page, pages, lambda p: f"{prefix}:{p}")]


async def _hamlets(ctx: Context, commune: str) -> list[str]:
    listed = next((c.hamlets for c in ctx.content.units.communes if c.name == commune), ())
    learnt = await people.hamlets_learnt(ctx.db, commune)
    seen = {fold(h) for h in listed}
    return [*listed, *(h for h in learnt if fold(h) not in seen)]


def register(router: Router) -> None:
    """Register /start, the onboarding buttons and steps."""
    router.command("start", start, registered=False, aliases=("bat dau",), describe="account.commands.start")
    router.choice("ob", on_choice, registered=False)
    router.step("onboarding", on_step, registered=False)
    router.on_unregistered(resume)
