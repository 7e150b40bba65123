"""The profile editor: "Sửa lại" at the registration summary and /profile → Sửa list the fields;
one field's answers are cleared (kept aside for "Giữ như cũ") and asked again through the flow;
everything else — the phone and a proved roster row included — stays."""

from __future__ import annotations

from bot.context import Context
from bot.model import Reply
from handlers.onboarding_parts import CONFIRM, FIELDS, kept


async def _next(ctx: Context) -> list[Reply]:
    from handlers.onboarding import next_question  # the flow table lives there

    return await next_question(ctx)


# Editor: a field button clears these answers, so the flow asks them again (the rest stays).
EDITABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name", ("name",)),
    ("role", ("role", "association")),
    ("commune", ("commune", "hamlet", "hamlet_new")),
    ("hamlet", ("hamlet", "hamlet_new")),
    ("phone", ("phone", "roster_id", "claim_id")),
)


PROFILE_KEYS = ("name", "role", "association", "commune", "hamlet", "phone")


def choose_field(ctx: Context) -> Reply:
    """The editor: one button per field, and "Xong"."""
    ctx.goto(FIELDS, **{k: v for k, v in kept(ctx).items() if k != "backup"})
    options = [ctx.option(f"editor.field_{field}", f"ob:f:{field}") for field, _ in EDITABLE]
    options.append(ctx.option("editor.done_button", "ob:review"))
    return ctx.reply("editor.choose_field", options)


async def edit_field(ctx: Context, field: str) -> list[Reply]:
    """Clear one field's answers (kept aside for "Giữ như cũ") and ask them again."""
    cleared = dict(EDITABLE).get(field)
    if cleared is None:
        return [Reply(ctx.t("core.stale")), choose_field(ctx)]
    backup = {key: ctx.data[key] for key in cleared if key in ctx.data}
    for key in cleared:
        ctx.data.pop(key, None)
    ctx.remember(backup=backup)
    return await _next(ctx)


async def start_profile_edit(ctx: Context) -> list[Reply]:
    """/profile → Sửa: the editor over the stored profile."""
    person = ctx.person
    ctx.goto(FIELDS, mode="profile", **{key: getattr(person, key) for key in PROFILE_KEYS})
    return [choose_field(ctx)]


async def redo(ctx: Context, value: str) -> list[Reply] | None:
    """ob:redo ("Sửa lại" at the summary): the field list."""
    return [choose_field(ctx)] if ctx.step == CONFIRM else None


async def edit(ctx: Context, value: str) -> list[Reply] | None:
    """ob:edit (/profile → Sửa thông tin): the editor over the stored profile."""
    return await start_profile_edit(ctx) if ctx.person.registered else None


async def field_button(ctx: Context, value: str) -> list[Reply] | None:
    """ob:f:<field>: change that field."""
    return await edit_field(ctx, value) if ctx.step == FIELDS else None


async def review(ctx: Context, value: str) -> list[Reply]:
    """ob:review ("Xong"): the summary (or what is still missing)."""
    return await _next(ctx)


async def keep(ctx: Context, value: str) -> list[Reply] | None:
    """ob:keep ("Giữ như cũ"): the field's old answers back."""
    backup = ctx.data.pop("backup", None)
    if backup is None:
        return None
    ctx.remember(**backup)
    return await _next(ctx)


async def cancel(ctx: Context, value: str) -> list[Reply] | None:
    """ob:cancel (profile edit only): leave the profile as it was."""
    if ctx.data.get("mode") != "profile":
        return None
    ctx.finish()
    return [ctx.reply("editor.cancelled"), await ctx.menu()]
