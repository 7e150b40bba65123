"""What onboarding and the profile editor share: the step names (one table: onboarding.FLOW), the
answer keys, and small helpers for the step data and paged buttons."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.model import Option
from bot.payload import number_or

NAME_LIMIT = 80
HAMLET_LIMIT = 80
PAGE_SIZE = 8

# The steps (conversation step names) of onboarding and the editor.
CONSENT = "onboarding.consent"
NAME = "onboarding.name"
ROLE = "onboarding.role"
ASSOCIATION = "onboarding.association"
COMMUNE = "onboarding.commune"
HAMLET = "onboarding.hamlet"
HAMLET_TYPED = "onboarding.hamlet_typed"
HAMLET_GUESS = "onboarding.hamlet_guess"
PHONE = "onboarding.phone"
CONFIRM = "onboarding.confirm"
FIELDS = "onboarding.fields"  # the editor: which field to change


def kept(ctx: Context) -> dict[str, Any]:
    """The step data to carry to the next step (the page number stays behind)."""
    return {k: v for k, v in ctx.data.items() if k != "page"}


def to_int(value: str) -> int:
    """A button's number, or -1."""
    return number_or(value, -1)


def page_options(ctx: Context, options: list[Option], page: int, prefix: str) -> list[Option]:
    """One page of buttons with ◀ / ▶ (payloads prefix:<page>)."""
    pages = max(1, -(-len(options) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return [*options[page * PAGE_SIZE:(page + 1) * PAGE_SIZE], *ctx.pager(page, pages, lambda p: f"{prefix}:{p}")]


def with_keep(ctx: Context, options: list[Option]) -> list[Option]:
    """While editing one field, "Giữ như cũ" puts the old answer back."""
    return [*options, ctx.option("editor.keep_button", "ob:keep")] if "backup" in ctx.data else options
