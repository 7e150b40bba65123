"""/web (staff): a one-time link to the web dashboard (single use, valid 10 minutes)."""

from __future__ import annotations

from bot.context import Context
from bot.model import Event, Reply
from bot.router import Router
from bot.store import web


def base_url(ctx: Context) -> str | None:
    """Where the dashboard is reached: CAUNOI_WEB_URL (`caunoi run --web` sets it to the address it
    serves when not configured; set it by hand for a dashboard run apart with `caunoi web`)."""
    return ctx.config.extra.get("CAUNOI_WEB_URL", "").strip().rstrip("/") or None


async def web_link(event: Event, ctx: Context) -> list[Reply]:
    """/web: a fresh login link for this staff member's identity (the token is stored hashed)."""
    ctx.finish()
    back = [ctx.option("core.admin_button", "cmd:admin")]
    url = base_url(ctx)
    if url is None:
        return [ctx.reply("web.not_enabled", back)]
    token = await web.create_link(ctx.db, str(ctx.identity), ctx.now())
    return [ctx.reply("web.link", back, url=f"{url}/login/{token}")]


def register(router: Router) -> None:
    """Register /web (staff only)."""
    router.command("web", web_link, staff=True, aliases=("trang quan tri",), describe="web.cmd_desc")
