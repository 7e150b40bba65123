"""What the bot does: one module per feature, channel-neutral, all registered here.

A handler is `async def name(event: Event, ctx: Context) -> list[Reply]`. Handlers use
`bot`'s model, store and content APIs only — never telegram, httpx or aiosqlite.
"""

from __future__ import annotations

from types import ModuleType

from bot.router import Router
from handlers import (
    account,
    aspiration,
    attendance,
    broadcast,
    class_admin,
    classes,
    export,
    feedback,
    inbox,
    leaders,
    link,
    menu,
    onboarding,
    quiz,
    results,
    roster_upload,
    staff,
    stats,
    topics,
)

# The order is the order of the menu where modules give the same menu position.
MODULES: tuple[ModuleType, ...] = (
    onboarding,
    menu,
    account,
    broadcast,
    classes,
    class_admin,
    attendance,
    feedback,
    aspiration,
    inbox,
    topics,
    quiz,
    results,
    link,
    leaders,
    stats,
    export,
    roster_upload,
    staff,
)


def register_all(router: Router) -> Router:
    """Register every feature module's commands, choices, steps and menu buttons."""
    for module in MODULES:
        module.register(router)
    return router


def build_router() -> Router:
    """A Router with every feature registered."""
    return register_all(Router())
