"""The main menu, help, the staff menu — and what happens to text typed outside any step.

Free text at the menu is not thrown away: a greeting ("chào", "alo", "cảm ơn") gets a friendly
answer with the menu; anything else looks like a question or a message, and the person is
offered to send it to the staff in charge (as feedback of kind "câu hỏi", through the feedback
feature's own check-and-send step) or to go to the menu. The text is kept whole in the
conversation state until they choose, however long the paste; a long message that arrives in
several pieces (Telegram splits at 4096) is joined, not replaced.
"""

from __future__ import annotations

from bot.context import Context
from bot.model import Event, Reply
from bot.router import Router
from bot.textutil import clean_block, fold
from handlers import feedback

QUESTION_KIND = "cau_hoi"
EXCERPT = 300
MAX_KEPT_CHARS = 20_000  # a paste longer than this is refused with a polite reply, not stored
GREETING_WORDS = 5  # a greeting is short: "chào bot", "cảm ơn cán bộ nhiều"
_HELLOS = ("xin chao", "chao", "alo", "a lo", "hello", "hi", "kinh chao")
_THANKS = ("cam on", "thank", "thanks", "cam ta")
_STOP_WORDS = {"menu", "menu chinh", "huy", "thoi", "khong", "0"}


async def show_menu(event: Event, ctx: Context) -> list[Reply]:
    """/menu: buttons to every feature."""
    ctx.finish()
    return [await ctx.menu()]


async def show_help(event: Event, ctx: Context) -> list[Reply]:
    """/help: what the bot does, in plain Vietnamese."""
    return [Reply(ctx.t("core.help"), [ctx.option("core.menu_button", "cmd:menu")])]


async def show_admin(event: Event, ctx: Context) -> list[Reply]:
    """/admin: the staff's buttons."""
    ctx.finish()
    return [await ctx.menu(staff=True)]


def greeting(text: str) -> str | None:
    """"hello" or "thanks" when the text is a short greeting (diacritics optional), else None."""
    words = "".join(ch if ch.isalnum() else " " for ch in fold(text)).split()
    if not words or len(words) > GREETING_WORDS:
        return None
    line = " ".join(words)
    for kind, starts in (("thanks", _THANKS), ("hello", _HELLOS)):
        if any(line == start or line.startswith(start + " ") for start in starts):
            return kind
    return None


async def free_text(event: Event, ctx: Context) -> list[Reply]:
    """Text outside any step that is neither a command nor an option: greet, or offer to send it."""
    text = clean_block(event.value) if event.kind == "text" else ""
    if not feedback.has_content(text):
        return [ctx.reply("menu.empty_text"), await ctx.menu()]
    if kind := greeting(text):
        name = ctx.person.name or ""
        return [ctx.reply(f"menu.greeting_{kind}", name=f" {name}" if name else ""), await ctx.menu()]
    if len(text) > MAX_KEPT_CHARS:
        return [ctx.reply("menu.too_long", limit=feedback.number(MAX_KEPT_CHARS)), await ctx.menu()]
    ctx.goto("ask", text=text)
    return [offer(ctx, text)]


def offer(ctx: Context, text: str, added: bool = False) -> Reply:
    """"Gửi cho cán bộ phụ trách?" with the text's beginning, Send / Menu."""
    key = "menu.offer_added" if added else "menu.offer"
    return ctx.reply(key, [ctx.option("menu.send_button", "ask:send"), ctx.option("core.menu_button", "cmd:menu")],
                     excerpt=feedback.excerpt(text, EXCERPT), length=feedback.number(len(text)))


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """ask:send — the kept text becomes a feedback draft of kind "câu hỏi", shown for checking."""
    text = str(ctx.data.get("text") or "") if ctx.step == "ask" else ""
    if not text:
        return [ctx.reply("core.stale"), await ctx.menu()]
    ctx.goto("feedback.text", kind=QUESTION_KIND, body="", media=[], draft="")
    return feedback.take_body(ctx, text)


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """More text while the offer is open: joined to the kept text (a long paste arrives in pieces)."""
    kept = str(ctx.data.get("text") or "")
    more = clean_block(event.value) if event.kind == "text" else ""
    if fold(more) in _STOP_WORDS:
        ctx.finish()
        return [await ctx.menu()]
    if not feedback.has_content(more) or len(kept) + len(more) > MAX_KEPT_CHARS:
        return [offer(ctx, kept)]
    kept = f"{kept}\n\n{more}"
    ctx.goto("ask", text=kept)
    return [offer(ctx, kept, added=True)]


def register(router: Router) -> None:
    """Register /menu, /help, /admin and the answer to free text."""
    router.command("menu", show_menu, aliases=("menu chinh", "0"), describe="account.commands.menu")
    router.command("help", show_help, registered=False, aliases=("huong dan", "tro giup"),
                   describe="account.commands.help")
    router.command("admin", show_admin, staff=True, aliases=("quan tri",), describe="account.commands.admin")
    router.on_free_text(free_text)
    router.choice("ask", on_choice)
    router.step("ask", on_step)
