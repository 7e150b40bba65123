"""/link: one person on two channels (Telegram and Zalo) becomes one person.

/link shows an 8-digit code valid 10 minutes and waits for a code from the other channel;
typing that code there (`/link 1234 5678`, or `lien ket` then the code) asks the person who
got the code, on their channel, "Liên kết với tài khoản …?"; only their "yes" joins the two
(a guessed code alone never merges anyone). After that, results, answers and reminders belong
to one person and each notice goes once, to the channel last used. Which profile is kept: see
bot/store/links.py. Wrong codes are counted per identity and overall, and survive /delete_me.
"""

from __future__ import annotations

import re

from bot.context import Context
from bot.model import Event, Identity, Option, Reply
from bot.payload import is_number
from bot.router import Router
from bot.store import links, outbox

_CODE = re.compile(rf"^[0-9]{{{links.CODE_DIGITS}}}$")  # ASCII digits: \d would take "١" too
_SEPARATORS = re.compile(r"[\s.\-]")


def _code_in(text: str) -> str | None:
    """The code in what was typed ("1234 5678" and "1234-5678" too), or None."""
    digits = _SEPARATORS.sub("", text)
    return digits if _CODE.match(digits) else None


def _channel_name(ctx: Context, channel: str) -> str:
    key = f"link.channels.{channel}"
    return ctx.t(key) if key in ctx.t else channel


async def start_link(event: Event, ctx: Context) -> list[Reply]:
    """/link [code]: join with a code from the other channel, or show this channel's code."""
    if event.args.strip():
        code = _code_in(event.args.strip())
        if code is None:
            return [ctx.reply("link.code_format", [ctx.option("link.cancel_button", "link:cancel")])]
        return await _use(ctx, code)
    code = await links.new_code(ctx.db, ctx.person.id, ctx.identity.channel, ctx.now())
    ctx.goto("link.code")
    minutes = int(links.CODE_TTL.total_seconds() // 60)
    there = {"zalo": "tg", "tg": "zalo"}.get(ctx.identity.channel)
    return [ctx.reply("link.code_shown", [ctx.option("link.cancel_button", "link:cancel")],
                      code=f"{code[:4]} {code[4:]}", digits=links.CODE_DIGITS, minutes=minutes,
                      here=_channel_name(ctx, ctx.identity.channel),
                      there=_channel_name(ctx, there) if there else ctx.t("link.other_channel"))]


async def on_code(event: Event, ctx: Context) -> list[Reply]:
    """A typed answer while waiting for a code from the other channel."""
    text = event.value.strip() if event.kind == "text" else ""
    if not any(ch.isdigit() for ch in text):
        # Not a code at all ("menu", a question…): the person moved on; stop waiting.
        ctx.finish()
        return [ctx.reply("link.left"), await _next(ctx)]
    code = _code_in(text)
    if code is None:
        return [ctx.reply("link.code_format", [ctx.option("link.cancel_button", "link:cancel")])]
    return await _use(ctx, code)


async def cancel(event: Event, ctx: Context) -> list[Reply]:
    """The cancel button: stop waiting for a code."""
    ctx.finish()
    return [ctx.reply("link.cancelled"), await _next(ctx)]


async def _use(ctx: Context, code: str) -> list[Reply]:
    now = ctx.now()
    if await links.guessing_stopped(ctx.db, ctx.identity, now):
        ctx.finish()
        return [ctx.reply("link.too_many", [ctx.option("core.menu_button", "cmd:menu")])]
    claim = await links.claim_code(ctx.db, code, ctx.person.id, ctx.identity, now)
    if claim.status == "invalid":
        await links.record_guess(ctx.db, ctx.identity, now)
        ctx.goto("link.code")
        return [ctx.reply("link.code_wrong", [ctx.option("link.cancel_button", "link:cancel")])]
    if claim.status in ("same_person", "same_channel"):
        ctx.finish()
        key = "link.already" if claim.status == "same_person" else "link.same_channel"
        return [ctx.reply(key, [ctx.option("core.menu_button", "cmd:menu")],
                          other=_channel_name(ctx, claim.issuer_channel))]
    # Nothing is joined yet: the person who got the code says whether this account is theirs.
    here, there = _channel_name(ctx, ctx.identity.channel), _channel_name(ctx, claim.issuer_channel)
    answer = f"{claim.code}:{claim.claimer_id}"
    question = ctx.reply("link.confirm_ask", [Option(ctx.t("link.confirm_yes"), f"lnk:ok:{answer}"),
                                              Option(ctx.t("link.confirm_no"), f"lnk:no:{answer}")],
                         there=here, name=claim.claimer_name or ctx.t("link.no_name"))
    await _notify(ctx, f"ask:{answer}", claim.issuer_id, claim.issuer_channel, question)
    ctx.finish()
    minutes = int(links.CODE_TTL.total_seconds() // 60)
    return [ctx.reply("link.claimed", [ctx.option("core.menu_button", "cmd:menu")], there=there, minutes=minutes)]


async def confirm(event: Event, ctx: Context) -> list[Reply]:
    """lnk:<ok|no>:<code>:<claimer>: the code's owner accepts or refuses the link (checked against
    the database: only the person who got the code, on the channel that showed it)."""
    _, action, code, claimer = [*event.value.split(":"), "", "", ""][:4]
    now = ctx.now()
    claim = await links.claim_of(ctx.db, code, now) if is_number(code) else None
    back = [ctx.option("core.menu_button", "cmd:menu")]
    if (claim is None or claim.issuer_id != ctx.person.id or claim.issuer_channel != ctx.identity.channel
            or str(claim.claimer_id) != claimer):
        return [ctx.reply("link.confirm_gone", back)]
    claimer_identity = Identity(claim.claimer_channel, claim.claimer_address)
    if action != "ok":
        await links.drop_code(ctx.db, code)
        await links.record_guess(ctx.db, claimer_identity, now)  # a refused claim counts as a wrong code
        await _notify(ctx, f"no:{code}", claim.claimer_id, claim.claimer_channel, ctx.reply("link.refused_notice"))
        return [ctx.reply("link.refused", back)]
    result = await links.use_code(ctx.db, code, claim.claimer_id, claim.claimer_channel, now)
    if result.status != "linked" or result.person is None:
        return [ctx.reply("link.confirm_gone", back)]
    # From now on this identity belongs to the kept person; the dispatcher stores the
    # conversation under ctx.person, so it must be the kept one (the other row is gone).
    ctx.person = result.person
    ctx.finish()
    here, other = _channel_name(ctx, ctx.identity.channel), _channel_name(ctx, claim.claimer_channel)
    await _notify(ctx, f"done:{code}", result.person.id, claim.claimer_channel,
                  ctx.reply("link.done", here=other, other=here))
    return [ctx.reply("link.done", here=here, other=other), await _next(ctx)]


async def _notify(ctx: Context, ref: str, person_id: int, channel: str, reply: Reply) -> None:
    """Queue a message to the other side of the link, on its own channel."""
    await outbox.enqueue_on(ctx.db, "link_notice", ref, person_id, channel, reply, ctx.now())
    ctx.services.hooks.wake(channel)


async def _next(ctx: Context) -> Reply:
    """The menu for a registered person, else the way to register."""
    if ctx.person.registered or ctx.is_staff:
        return await ctx.menu()
    return ctx.reply("link.register_next")


def register(router: Router) -> None:
    """Register /link, its code step and the cancel button."""
    router.command("link", start_link, registered=False, aliases=("lien ket", "lienket"),
                   describe="link.cmd_desc")
    router.step("link", on_code, registered=False)
    router.choice("link", cancel, registered=False)
    router.choice("lnk", confirm, registered=False, durable=True)  # delivered by the outbox, checked in the store
    router.menu("link.menu_label", "link", order=90)
