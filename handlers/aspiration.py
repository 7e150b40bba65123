"""The aspiration survey (/aspiration): would the leader like to be considered for Party admission,
and what would help. Never forced; explicit consent first (political opinion is sensitive data
under Law 91/2025/QH15 and Decree 356/2025/NĐ-CP); only staff given that permission see it; it can be
changed or withdrawn (deleted, after one confirmation) any time. A "no" answer is not stored at all.
"""

from __future__ import annotations

from bot.context import Context
from bot.model import Event, Option, Reply
from bot.router import Router
from bot.store import voices
from handlers.feedback import local_time


def helps_text(ctx: Context, helps: tuple[str, ...] | list[str], none_key: str = "aspiration.helps_none") -> str:
    """The chosen helps as words, or a "(none)" text."""
    return "; ".join(ctx.t(f"aspiration.helps.{h}") for h in helps) if helps else ctx.t(none_key)


async def start(event: Event, ctx: Context) -> list[Reply]:
    """/aspiration: the current answer with change / withdraw, or the consent notice."""
    ctx.finish()
    current = await voices.aspiration(ctx.db, ctx.person.id)
    if current is None:
        return [ctx.reply("aspiration.consent", [ctx.option("aspiration.consent_button", "asp:consent"),
                                                 ctx.option("aspiration.later_button", "asp:later")])]
    return [ctx.reply("aspiration.current",
                      [ctx.option("aspiration.change_button", "asp:change"),
                       ctx.option("aspiration.withdraw_button", "asp:withdraw"),
                       ctx.option("core.menu_button", "cmd:menu")],
                      when=local_time(ctx, current.updated_at), wish=ctx.t(f"aspiration.wishes.{current.wish}"),
                      helps=helps_text(ctx, current.helps))]


def question(ctx: Context, consent_at: str) -> Reply:
    """Có / Cần tìm hiểu thêm / Không."""
    ctx.goto("aspiration.q", consent_at=consent_at)
    return ctx.reply("aspiration.question", [ctx.option("aspiration.wish_yes", "asp:w:yes"),
                                             ctx.option("aspiration.wish_maybe", "asp:w:maybe"),
                                             ctx.option("aspiration.wish_no", "asp:w:no")])


def ask_helps(ctx: Context) -> Reply:
    """The multiple choice of what would help, with ✅ on those chosen, and Xong."""
    chosen = list(ctx.data.get("helps", []))
    options = [Option(("✅ " if h in chosen else "▫️ ") + ctx.t(f"aspiration.helps.{h}"), f"asp:h:{h}")
               for h in voices.HELPS]
    options.append(ctx.option("aspiration.done_button", "asp:done"))
    return ctx.reply("aspiration.helps_question", options, chosen=helps_text(ctx, chosen))


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every survey button: asp:<action>[:<arg>]."""
    _, action, arg = [*event.value.split(":", 2), "", ""][:3]
    if action == "consent":
        return [question(ctx, ctx.now_iso())]
    if action == "later":
        ctx.finish()
        return [ctx.reply("aspiration.later"), await ctx.menu()]
    if action == "withdraw":
        return [await _withdraw(ctx, confirmed=arg == "yes")]
    if action == "keep":
        ctx.finish()
        return [ctx.reply("aspiration.withdraw_kept", [ctx.option("core.menu_button", "cmd:menu")])]
    current = await voices.aspiration(ctx.db, ctx.person.id)
    if action == "change" and current is not None:
        return [question(ctx, current.consent_at)]
    consent_at = ctx.data.get("consent_at")
    if not consent_at:  # no consent in this conversation: never store anything
        return [Reply(ctx.t("core.stale")), *await start(event, ctx)]
    if action == "w" and arg == "no":
        ctx.finish()
        deleted = await voices.delete_aspiration(ctx.db, ctx.person.id)
        return [ctx.reply("aspiration.no_withdrawn" if deleted else "aspiration.no_saved",
                          [ctx.option("core.menu_button", "cmd:menu")])]
    if action == "w" and arg in voices.WISHES:
        helps = list(current.helps) if current is not None else []
        await voices.save_aspiration(ctx.db, ctx.person.id, arg, tuple(helps), str(consent_at), ctx.now_iso())
        ctx.goto("aspiration.helps", consent_at=consent_at, wish=arg, helps=helps)
        return [ask_helps(ctx)]
    wish = ctx.data.get("wish")
    if action == "h" and arg in voices.HELPS and wish in voices.WISHES:
        helps = [h for h in voices.HELPS if (h in ctx.data.get("helps", [])) != (h == arg)]
        await voices.save_aspiration(ctx.db, ctx.person.id, str(wish), tuple(helps), str(consent_at), ctx.now_iso())
        ctx.remember(helps=helps)
        return [ask_helps(ctx)]
    if action == "done" and wish in voices.WISHES:
        ctx.finish()
        saved = await voices.aspiration(ctx.db, ctx.person.id)
        if saved is None:  # withdrawn meanwhile (another device)
            return [ctx.reply("aspiration.nothing_to_withdraw", [ctx.option("core.menu_button", "cmd:menu")])]
        return [ctx.reply("aspiration.saved", [ctx.option("core.menu_button", "cmd:menu")],
                          wish=ctx.t(f"aspiration.wishes.{saved.wish}"), helps=helps_text(ctx, saved.helps))]
    return [Reply(ctx.t("core.stale")), *await start(event, ctx)]


async def _withdraw(ctx: Context, confirmed: bool) -> Reply:
    """asp:withdraw asks once ("Rút lại và xóa câu trả lời?"); asp:withdraw:yes deletes the answer."""
    ctx.finish()
    if not confirmed:
        if await voices.aspiration(ctx.db, ctx.person.id) is None:
            return ctx.reply("aspiration.nothing_to_withdraw", [ctx.option("core.menu_button", "cmd:menu")])
        return ctx.reply("aspiration.withdraw_confirm", [ctx.option("aspiration.withdraw_yes", "asp:withdraw:yes"),
                                                         ctx.option("aspiration.withdraw_no", "asp:keep")])
    deleted = await voices.delete_aspiration(ctx.db, ctx.person.id)
    key = "aspiration.withdrawn" if deleted else "aspiration.nothing_to_withdraw"
    return ctx.reply(key, [ctx.option("core.menu_button", "cmd:menu")])


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed text that is not one of the buttons: ask the same question again."""
    if ctx.step == "aspiration.helps" and ctx.data.get("wish") in voices.WISHES:
        return [Reply(ctx.t("core.not_understood")), ask_helps(ctx)]
    consent_at = ctx.data.get("consent_at")
    if ctx.step == "aspiration.q" and consent_at:
        return [Reply(ctx.t("core.not_understood")), question(ctx, str(consent_at))]
    return await start(event, ctx)


def register(router: Router) -> None:
    """Register /aspiration, its buttons and steps."""
    router.command("aspiration", start, aliases=("nguyen vong", "ket nap", "vao dang"),
                   describe="aspiration.cmd_desc")
    router.choice("asp", on_choice)
    router.step("aspiration", on_step)
    router.menu("aspiration.menu_label", "aspiration", order=42)
