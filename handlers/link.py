"""/link: one person on two channels (Telegram and Zalo) becomes one person.

/link shows a 6-digit code valid 10 minutes and waits for a code from the other channel;
typing that code there (`/link 123456`, or `lien ket` then the code) joins the two. After
that, results, answers and reminders belong to one person and each notice goes once, to
the channel last used. Which profile is kept: see bot/store/links.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.context import Context
from bot.model import Event, Reply
from bot.router import Router
from bot.store import links, outbox

MAX_FAILURES = 5  # wrong codes per hour before we stop listening: guessing 1 in a million
FAILURE_WINDOW = timedelta(hours=1)
NOTIFIED_CHANNELS = ("tg", "zalo")  # channels the outbox delivers to
_CODE = re.compile(r"^\d{6}$")
_SEPARATORS = re.compile(r"[\s.\-]")


def _code_in(text: str) -> str | None:
    """The 6-digit code in what was typed ("123 456" and "123-456" too), or None."""
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
                      code=code, minutes=minutes, here=_channel_name(ctx, ctx.identity.channel),
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
    if await links.failures_since(ctx.db, ctx.person.id, now - FAILURE_WINDOW) >= MAX_FAILURES:
        ctx.finish()
        return [ctx.reply("link.too_many", [ctx.option("core.menu_button", "cmd:menu")])]
    result = await links.use_code(ctx.db, code, ctx.person.id, ctx.identity.channel, now)
    if result.status == "invalid":
        await links.record_failure(ctx.db, ctx.person.id, now)
        ctx.goto("link.code")
        return [ctx.reply("link.code_wrong", [ctx.option("link.cancel_button", "link:cancel")])]
    if result.status in ("same_person", "same_channel"):
        ctx.finish()
        key = "link.already" if result.status == "same_person" else "link.same_channel"
        return [ctx.reply(key, [ctx.option("core.menu_button", "cmd:menu")],
                          other=_channel_name(ctx, result.other_channel))]
    assert result.person is not None
    # From now on this identity belongs to the kept person; the dispatcher stores the
    # conversation under ctx.person, so it must be the kept one (the other row is gone).
    ctx.person = result.person
    ctx.finish()
    here, other = _channel_name(ctx, ctx.identity.channel), _channel_name(ctx, result.other_channel)
    if result.other_channel in NOTIFIED_CHANNELS:
        # Say so on the other channel too: whoever owns it learns at once if it was not them.
        local = ctx.local_now()
        notice = ctx.reply("link.notice", here=here, time=local.strftime("%H:%M"), date=local.strftime("%d/%m/%Y"))
        await outbox.enqueue_on(ctx.db, "link_notice", f"{ctx.identity}:{ctx.now_iso()}", result.person.id,
                                result.other_channel, notice, now)
        ctx.services.hooks.wake(result.other_channel)
    return [ctx.reply("link.done", here=here, other=other), await _next(ctx)]


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
    router.menu("link.menu_label", "link", order=90)
