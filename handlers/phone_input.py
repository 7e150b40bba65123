"""A phone typed or shared in onboarding and the profile editor, and what the roster knows of it.

A roster row is claimed only with proof: a contact the channel vouches is the sender's own
(Telegram's contact button). A typed number that is on the roster reveals nothing but
"Số này có trong danh sách của xã": registration goes on, and the match becomes a claim staff
confirm or reject (/leaders). A number another leader already uses is refused.
"""

from __future__ import annotations

import re

from bot.context import Context
from bot.model import Option, Reply
from bot.phone import normalize_phone
from bot.store import merge, people
from bot.store import roster as roster_store

_FOREIGN = re.compile(r"^\s*(\+|00)(?!\s*8\s*4)")
_PHONE_CHARS = re.compile(r"^[\d\s.\-()+]{6,}$")


def looks_like_phone(text: str) -> bool:
    """Digits with the usual separators: a phone number rather than a name."""
    return bool(_PHONE_CHARS.match(text))


async def take_phone(ctx: Context, raw: str, verified: bool = False) -> list[Reply]:
    """Accept a phone number if it is valid and not someone else's (see the module docstring)."""
    from handlers.onboarding import NAME, next_question

    phone = normalize_phone(raw)
    if phone is None:
        key = "editor.phone_foreign" if _FOREIGN.match(raw) else "onboarding.phone_invalid"
        return [ctx.reply(key, _skip(ctx), typed=raw[:20])]
    owner = await people.by_phone(ctx.db, phone)
    first = ctx.step == NAME
    if owner is None or owner.id == ctx.person.id:
        ctx.data.pop("backup", None)
        ctx.remember(phone=phone, roster_id=None, claim_id=None, claim_phone=None)
        return [ctx.reply("onboarding.phone_saved"), *await next_question(ctx)] if first else await next_question(ctx)
    listed = await roster_store.roster_only_by_phone(ctx.db, phone)
    if listed is None:
        return [ctx.reply("onboarding.phone_taken", _skip(ctx))]
    previous = (ctx.data.pop("backup", None) or {}).get("phone")
    if not verified:
        # Maybe them, maybe not: nothing of the row is shown; staff decide. A phone they had stays.
        ctx.remember(phone=previous, roster_id=None, claim_id=listed.id, claim_phone=phone)
        return [ctx.reply("editor.phone_listed"), *await next_question(ctx)]
    # Proved: the row is theirs. Their own answers win; the roster fills blanks.
    for key in ("name", "role", "association", "commune", "hamlet"):
        if not ctx.data.get(key) and getattr(listed, key):
            ctx.remember(**{key: getattr(listed, key)})
    ctx.remember(phone=phone, roster_id=listed.id, claim_id=None, claim_phone=None)
    return [ctx.reply("roster.found_in_list", commune=listed.commune or ""), *await next_question(ctx)]


def _skip(ctx: Context) -> list[Option]:
    """Bỏ qua — or, when changing a stored phone, "Xóa số" and "Giữ như cũ"."""
    backup = ctx.data.get("backup")
    if backup is None:
        return [ctx.option("onboarding.skip_phone_button", "ob:nophone")]
    key = "editor.remove_phone_button" if backup.get("phone") else "onboarding.skip_phone_button"
    return [ctx.option(key, "ob:nophone"), ctx.option("editor.keep_button", "ob:keep")]


async def settle_phone(ctx: Context) -> str | None:
    """At "Đúng"/"Lưu": take over a proved roster row, and return the phone to save (None when it
    was taken meanwhile: the rest of the profile is kept rather than lost)."""
    data = ctx.data
    phone = data.get("phone")
    roster_id = data.get("roster_id")
    if phone and roster_id:
        listed = await roster_store.roster_only_by_phone(ctx.db, phone)
        if listed is not None and listed.id == roster_id:
            if ctx.person.registered:
                await merge.merge_people(ctx.db, ctx.person.id, listed.id)  # the phone comes with it
            else:
                adopted = await roster_store.adopt(ctx.db, ctx.person.id, listed.id)
                if adopted is not None:
                    ctx.person = adopted  # the conversation is saved under the roster row from now on
    if phone:
        owner = await people.by_phone(ctx.db, phone)
        if owner is not None and owner.id != ctx.person.id:
            return None
    return str(phone) if phone else None
