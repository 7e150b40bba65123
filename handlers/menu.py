"""The main menu, help, and the staff menu."""

from __future__ import annotations

from bot.context import Context
from bot.model import Event, Reply
from bot.router import Router


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


def register(router: Router) -> None:
    """Register /menu, /help and /admin."""
    router.command("menu", show_menu, aliases=("menu chinh", "0"), describe="account.commands.menu")
    router.command("help", show_help, registered=False, aliases=("huong dan", "tro giup"),
                   describe="account.commands.help")
    router.command("admin", show_admin, staff=True, aliases=("quan tri",), describe="account.commands.admin")
