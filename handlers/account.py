"""The person's own data: /profile, /stop (no more notices), /delete_me."""

from __future__ import annotations

from bot.context import Context
from bot.model import Event, Reply
from bot.router import Router
from bot.store import people, traces
from handlers.onboarding import profile_lines


async def show_profile(event: Event, ctx: Context) -> list[Reply]:
    """/profile: what is stored about me, with a button to edit it."""
    fields = profile_lines(ctx, ctx.person.name, ctx.person.role, ctx.person.association,
                           ctx.person.commune, ctx.person.hamlet, ctx.person.phone)
    notices = ctx.t("onboarding.notices_no" if ctx.person.stopped else "onboarding.notices_yes")
    return [Reply(ctx.t("onboarding.profile", notices=notices, **fields),
                  [ctx.option("onboarding.profile_edit_button", "ob:edit"),
                   ctx.option("account.who_sees_button", "acc:who"), ctx.option("core.menu_button", "cmd:menu")])]


async def who_sees(event: Event, ctx: Context) -> list[Reply]:
    """"Ai xem được thông tin của tôi?": the roles (never names) that see what."""
    commune = ctx.person.commune or ctx.t("account.who_sees_no_commune")
    return [ctx.reply("account.who_sees", [ctx.option("core.menu_button", "cmd:menu")], commune=commune)]


async def stop_notices(event: Event, ctx: Context) -> list[Reply]:
    """/stop: no more broadcasts or reminders until /start."""
    await people.set_stopped(ctx.db, ctx.person.id, True)
    return [ctx.reply("account.stopped", [ctx.option("core.menu_button", "cmd:menu")])]


async def ask_delete(event: Event, ctx: Context) -> list[Reply]:
    """/delete_me: ask before deleting anything."""
    return [ctx.reply("account.delete_confirm", [ctx.option("account.delete_yes", "del:yes"),
                                                 ctx.option("account.delete_no", "del:no")])]


async def answer_delete(event: Event, ctx: Context) -> list[Reply]:
    """The answer to /delete_me: delete everything, or keep it."""
    if event.value != "del:yes":
        return [ctx.reply("account.delete_kept", [ctx.option("core.menu_button", "cmd:menu")])]
    await traces.delete_person(ctx.db, ctx.person.id)
    ctx.deleted = True
    return [ctx.reply("account.deleted")]


def register(router: Router) -> None:
    """Register /profile, /stop and /delete_me."""
    router.command("profile", show_profile, aliases=("thong tin",), describe="account.commands.profile")
    router.command("stop", stop_notices, registered=False, aliases=("dung",),
                   describe="account.commands.stop")
    router.command("delete_me", ask_delete, registered=False, aliases=("xoa du lieu",),
                   describe="account.commands.delete_me")
    router.choice("del", answer_delete, registered=False)
    router.choice("acc", who_sees)
