"""The aspiration survey (/aspiration): would the leader like to be considered for Party admission,
and what would help. Never forced; explicit consent first (political opinion is sensitive data
under Law 91/2025/QH15 and Decree 356/2025/NĐ-CP); only staff given that permission see it; it can be
changed or withdrawn (deleted, after one confirmation) any time. A "no" answer is not stored at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.callback import Actions, Payload
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.router import Router
from bot.store import voices
from handlers.feedback import local_time


class Step:
    """The survey: the wish question, then what would help."""

    QUESTION = "aspiration.q"
    HELPS = "aspiration.helps"


@dataclass(frozen=True)
class Consent(Payload, head="asp:consent"):
    """I agree to answer."""


@dataclass(frozen=True)
class Later(Payload, head="asp:later"):
    """Not now."""


@dataclass(frozen=True)
class Change(Payload, head="asp:change"):
    """Answer again."""


@dataclass(frozen=True)
class Withdraw(Payload, head="asp:withdraw"):
    """Withdraw the answer: asks once, then "yes" deletes it."""

    confirm: str = ""


@dataclass(frozen=True)
class Keep(Payload, head="asp:keep"):
    """Keep the answer after all."""


@dataclass(frozen=True)
class Wish(Payload, head="asp:w"):
    """One of voices.WISHES, or "no"."""

    wish: str


@dataclass(frozen=True)
class Help(Payload, head="asp:h"):
    """Toggle one of voices.HELPS."""

    help: str


@dataclass(frozen=True)
class Done(Payload, head="asp:done"):
    """The helps are chosen."""


def helps_text(ctx: Context, helps: tuple[str, ...] | list[str], none_key: str = "aspiration.helps_none") -> str:
    """The chosen helps as words, or a "(none)" text."""
    return "; ".join(ctx.t(f"aspiration.helps.{h}") for h in helps) if helps else ctx.t(none_key)


async def start(event: Event, ctx: Context) -> list[Reply]:
    """/aspiration: the current answer with change / withdraw, or the consent notice."""
    return await _current(ctx)


async def _current(ctx: Context) -> list[Reply]:
    ctx.finish()
    current = await voices.aspiration(ctx.db, ctx.person.id)
    if current is None:
        return [ctx.reply("aspiration.consent", [ctx.option("aspiration.consent_button", Consent.head),
                                                 ctx.option("aspiration.later_button", Later.head)])]
    return [ctx.reply("aspiration.current",
                      [ctx.option("aspiration.change_button", Change.head),
                       ctx.option("aspiration.withdraw_button", Withdraw.head),
                       ctx.option("core.menu_button", "cmd:menu")],
                      when=local_time(ctx, current.updated_at), wish=ctx.t(f"aspiration.wishes.{current.wish}"),
                      helps=helps_text(ctx, current.helps))]


def question(ctx: Context, consent_at: str) -> Reply:
    """Có / Cần tìm hiểu thêm / Không."""
    ctx.goto(Step.QUESTION, consent_at=consent_at)
    return ctx.reply("aspiration.question", [ctx.option("aspiration.wish_yes", Wish("yes").pack()),
                                             ctx.option("aspiration.wish_maybe", Wish("maybe").pack()),
                                             ctx.option("aspiration.wish_no", Wish("no").pack())])


def ask_helps(ctx: Context) -> Reply:
    """The multiple choice of what would help, with ✅ on those chosen, and Xong."""
    chosen = list(ctx.data.get("helps", []))
    options = [Option(("✅ " if h in chosen else "▫️ ") + ctx.t(f"aspiration.helps.{h}"), Help(h).pack())
               for h in voices.HELPS]
    options.append(ctx.option("aspiration.done_button", Done.head))
    return ctx.reply("aspiration.helps_question", options, chosen=helps_text(ctx, chosen))


async def _consent(button: Consent, ctx: Context) -> list[Reply]:
    return [question(ctx, ctx.now_iso())]


async def _later(button: Later, ctx: Context) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("aspiration.later"), await ctx.menu()]


async def _withdraw_pressed(button: Withdraw, ctx: Context) -> list[Reply]:
    return [await _withdraw(ctx, confirmed=button.confirm == "yes")]


async def _keep(button: Keep, ctx: Context) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("aspiration.withdraw_kept", [ctx.option("core.menu_button", "cmd:menu")])]


async def _change(button: Change, ctx: Context) -> list[Reply]:
    current = await voices.aspiration(ctx.db, ctx.person.id)
    return [question(ctx, current.consent_at)] if current is not None else await _stale(ctx)


async def _wish(button: Wish, ctx: Context) -> list[Reply]:
    consent_at = ctx.data.get("consent_at")
    if not consent_at:  # no consent in this conversation: never store anything
        return await _stale(ctx)
    if button.wish == "no":
        ctx.finish()
        deleted = await voices.delete_aspiration(ctx.db, ctx.person.id)
        return [ctx.reply("aspiration.no_withdrawn" if deleted else "aspiration.no_saved",
                          [ctx.option("core.menu_button", "cmd:menu")])]
    if button.wish not in voices.WISHES:
        return await _stale(ctx)
    current = await voices.aspiration(ctx.db, ctx.person.id)
    helps = list(current.helps) if current is not None else []
    await voices.save_aspiration(ctx.db, ctx.person.id, button.wish, tuple(helps), str(consent_at), ctx.now_iso())
    ctx.goto(Step.HELPS, consent_at=consent_at, wish=button.wish, helps=helps)
    return [ask_helps(ctx)]


async def _help(button: Help, ctx: Context) -> list[Reply]:
    consent_at, wish = ctx.data.get("consent_at"), ctx.data.get("wish")
    if not consent_at or button.help not in voices.HELPS or wish not in voices.WISHES:
        return await _stale(ctx)
    helps = [h for h in voices.HELPS if (h in ctx.data.get("helps", [])) != (h == button.help)]
    await voices.save_aspiration(ctx.db, ctx.person.id, str(wish), tuple(helps), str(consent_at), ctx.now_iso())
    ctx.remember(helps=helps)
    return [ask_helps(ctx)]


async def _done(button: Done, ctx: Context) -> list[Reply]:
    if not ctx.data.get("consent_at") or ctx.data.get("wish") not in voices.WISHES:
        return await _stale(ctx)
    ctx.finish()
    saved = await voices.aspiration(ctx.db, ctx.person.id)
    if saved is None:  # withdrawn meanwhile (another device)
        return [ctx.reply("aspiration.nothing_to_withdraw", [ctx.option("core.menu_button", "cmd:menu")])]
    return [ctx.reply("aspiration.saved", [ctx.option("core.menu_button", "cmd:menu")],
                      wish=ctx.t(f"aspiration.wishes.{saved.wish}"), helps=helps_text(ctx, saved.helps))]


async def _stale(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("core.stale")), *await _current(ctx)]


ACTIONS = Actions()
ACTIONS.on(Consent, _consent)
ACTIONS.on(Later, _later)
ACTIONS.on(Withdraw, _withdraw_pressed)
ACTIONS.on(Keep, _keep)
ACTIONS.on(Change, _change)
# Wish, Help and Done need the consent given in this conversation (ctx.data), whatever the step.
ACTIONS.on(Wish, _wish)
ACTIONS.on(Help, _help)
ACTIONS.on(Done, _done)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every survey button (ACTIONS); one not valid now gets "menu has changed" and /aspiration."""
    return await ACTIONS.run(event, ctx) or await _stale(ctx)


async def _withdraw(ctx: Context, confirmed: bool) -> Reply:
    """asp:withdraw asks once ("Rút lại và xóa câu trả lời?"); asp:withdraw:yes deletes the answer."""
    ctx.finish()
    if not confirmed:
        if await voices.aspiration(ctx.db, ctx.person.id) is None:
            return ctx.reply("aspiration.nothing_to_withdraw", [ctx.option("core.menu_button", "cmd:menu")])
        return ctx.reply("aspiration.withdraw_confirm", [ctx.option("aspiration.withdraw_yes", Withdraw("yes").pack()),
                                                         ctx.option("aspiration.withdraw_no", Keep.head)])
    deleted = await voices.delete_aspiration(ctx.db, ctx.person.id)
    key = "aspiration.withdrawn" if deleted else "aspiration.nothing_to_withdraw"
    return ctx.reply(key, [ctx.option("core.menu_button", "cmd:menu")])


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed text that is not one of the buttons: ask the same question again."""
    if ctx.step == Step.HELPS and ctx.data.get("wish") in voices.WISHES:
        return [Reply(ctx.t("core.not_understood")), ask_helps(ctx)]
    consent_at = ctx.data.get("consent_at")
    if ctx.step == Step.QUESTION and consent_at:
        return [Reply(ctx.t("core.not_understood")), question(ctx, str(consent_at))]
    return await start(event, ctx)


def register(router: Router) -> None:
    """Register /aspiration, its buttons and steps."""
    router.command("aspiration", start, aliases=("nguyen vong", "ket nap", "vao dang"),
                   describe="aspiration.cmd_desc")
    router.choice("asp", on_choice)
    router.step("aspiration", on_step)
    router.menu("aspiration.menu_label", "aspiration", order=42)
