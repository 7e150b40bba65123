"""What every staff screen asks of the staff member's rights (bot/staff.py): the commune scope,
whether aspirations may be shown, and the one refusal for an item outside them."""

from __future__ import annotations

from bot.context import Context
from bot.model import Reply
from bot.store import audit


def communes(ctx: Context) -> frozenset[str] | None:
    """The communes this staff member may see (None = every commune). Nobody outside staff gets here
    (routes are staff-only); an empty scope is kept empty so it matches nothing."""
    return ctx.staff.commune_filter if ctx.staff is not None else frozenset()


def covers(ctx: Context, commune: str | None) -> bool:
    """Whether the staff member may see or act on a leader of `commune`."""
    return ctx.staff is not None and ctx.staff.covers(commune)


def sensitive(ctx: Context) -> bool:
    """Whether the staff member may see aspirations (political opinion)."""
    return ctx.staff is not None and ctx.staff.sensitive


def refused(ctx: Context) -> list[Reply]:
    """The reply to an item outside the staff member's rights: the same as to a non-staff user, so a
    forged or stale button learns nothing (not even that the item exists)."""
    return [Reply(ctx.t("core.staff_only"), [ctx.option("core.menu_button", "cmd:menu")])]


async def record(ctx: Context, action: str, subject: str = "", label: str | None = None) -> None:
    """Audit an action by this staff member over their scope (or over `label`, e.g. one commune)."""
    await audit.record(ctx.db, ctx.now_iso(), str(ctx.identity), action,
                       audit.scope_label(communes(ctx)) if label is None else label, subject)
