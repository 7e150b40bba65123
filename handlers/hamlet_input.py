"""Hamlets in onboarding and the profile editor: buttons for the commune's approved hamlets, a
typed name matched folded ("tdp 3" = "Tổ dân phố 3", offered as "Có phải …?"), a new name kept
and proposed to the commune's staff when the profile is saved."""

from __future__ import annotations

from bot.content.units import tidy_hamlet
from bot.context import Context
from bot.model import Option, Reply
from bot.store import hamlets
from bot.textutil import has_letters
from handlers.onboarding_parts import (
    HAMLET,
    HAMLET_GUESS,
    HAMLET_LIMIT,
    HAMLET_TYPED,
    kept,
    page_options,
    to_int,
    with_keep,
)


async def _next(ctx: Context) -> list[Reply]:
    from handlers.onboarding import next_question  # the flow table lives there

    return await next_question(ctx)


async def ask_hamlet(ctx: Context, page: int = 0) -> Reply:
    """Hamlet buttons (units.yaml and approved ones) for the chosen commune, or ask to type the name."""
    commune = str(ctx.data.get("commune", ""))
    offered = await hamlets.approved(ctx.db, ctx.content.units, commune)
    if not offered:
        return ask_hamlet_typed(ctx)
    ctx.goto(HAMLET, **kept(ctx), page=page)
    options = page_options(ctx, [Option(name, f"ob:h:{i}") for i, name in enumerate(offered)], page, "ob:hp")
    options.append(ctx.option("onboarding.hamlet_other", "ob:ht"))
    return ctx.reply("onboarding.ask_hamlet", with_keep(ctx, options), commune=commune)


def ask_hamlet_typed(ctx: Context) -> Reply:
    """Ask to type the hamlet's name."""
    ctx.goto(HAMLET_TYPED, **kept(ctx))
    return ctx.reply("onboarding.ask_hamlet_typed", with_keep(ctx, []), commune=ctx.data.get("commune", ""))


async def hamlet_page(ctx: Context, value: str) -> list[Reply]:
    """ob:hp:<page>: another page of hamlet buttons."""
    return [await ask_hamlet(ctx, to_int(value))]


async def hamlet_choice(ctx: Context, value: str) -> list[Reply] | None:
    """ob:h:<index>: a hamlet button."""
    offered = await hamlets.approved(ctx.db, ctx.content.units, str(ctx.data.get("commune", "")))
    index = to_int(value)
    if not 0 <= index < len(offered):
        return None
    ctx.remember(hamlet=offered[index], hamlet_new=False)
    return await _next(ctx)


async def hamlet_other(ctx: Context, value: str) -> list[Reply]:
    """ob:ht: "Thôn/tổ khác": type the name."""
    return [ask_hamlet_typed(ctx)]


async def hamlet_guess(ctx: Context, value: str) -> list[Reply] | None:
    """ob:hg:y takes the known spelling; ob:hg:n asks again (names equal after folding are one
    hamlet, so a different hamlet needs a different name)."""
    if ctx.step != HAMLET_GUESS or value not in ("y", "n"):
        return None
    name = ctx.data.get("guess")
    ctx.goto(HAMLET, **{k: v for k, v in kept(ctx).items() if k not in ("guess", "typed")})
    if value == "n":
        return [ask_hamlet_typed(ctx)]
    ctx.remember(hamlet=name, hamlet_new=False)
    ctx.data.pop("backup", None)
    return await _next(ctx)


async def typed_hamlet(ctx: Context, text: str) -> list[Reply]:
    """A typed hamlet: a known one under another spelling is offered as a button; a new one is kept
    (and proposed to staff when the profile is saved)."""
    if not has_letters(text) or len(text) > HAMLET_LIMIT:
        return [ctx.reply("onboarding.hamlet_invalid", with_keep(ctx, []), limit=HAMLET_LIMIT)]
    known = await hamlets.match(ctx.db, ctx.content.units, str(ctx.data.get("commune", "")), text)
    if known is not None and known.name != text:
        ctx.goto(HAMLET_GUESS, **kept(ctx), guess=known.name, typed=text)
        return [ctx.reply("editor.hamlet_guess", [
            ctx.option("editor.hamlet_guess_yes", "ob:hg:y", hamlet=known.name),
            ctx.option("editor.hamlet_guess_no", "ob:hg:n")], hamlet=known.name)]
    ctx.remember(hamlet=known.name if known else tidy_hamlet(text), hamlet_new=known is None)
    ctx.data.pop("backup", None)
    return await _next(ctx)
