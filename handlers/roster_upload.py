"""/import (staff): send a CSV/XLSX roster in the chat, read the dry-run report, then Áp dụng or Hủy.
A document a staff member sends outside any step is taken as a roster too.

The file waits in the database (roster_uploads) between the report and the button, so a
restart loses nothing; "Áp dụng" re-reads it and applies it in one transaction.
"""

from __future__ import annotations

from datetime import timedelta

from bot import roster
from bot.context import Context, Services
from bot.model import Event, Reply
from bot.payload import number
from bot.router import Router
from bot.store import roster as roster_store
from bot.store import traces
from handlers import scope

REPORT_LINES = 15  # rows listed per section in the chat; the command line lists all


async def ask_file(event: Event, ctx: Context) -> list[Reply]:
    """/import: ask for the file, where the channel lets people send one to the bot."""
    if not ctx.can.receives_files:
        ctx.finish()
        key = "roster.no_files_command_line" if ctx.can.command_line else "roster.no_files_chat"
        return [ctx.reply(key, [ctx.option("core.admin_button", "cmd:admin")], channel=ctx.channel_name())]
    ctx.goto("roster.wait")
    return [ctx.reply("roster.ask_file", [ctx.option("roster.cancel_button", "roster:cancel")])]


async def on_file(event: Event, ctx: Context) -> list[Reply]:
    """The file (or anything else) sent while /import waits for one."""
    cancel = [ctx.option("roster.cancel_button", "roster:cancel")]
    if event.kind != "media" or event.value != "document":
        return [ctx.reply("roster.waiting_file", cancel)]
    if event.file_size > roster.MAX_BYTES:
        error = roster.RosterError("errors.too_big", limit_mb=roster.MAX_BYTES // (1024 * 1024))
        return [Reply(roster.render_error(ctx.t, error), cancel)]
    data = await event.read_file()  # downloaded only here: staff only, after the size check
    if data is None:
        return [ctx.reply("roster.no_file_data", cancel)]
    name = event.file_name or "danh-sach"
    try:
        plan = await roster.dry_run(ctx.db, ctx.content, data, name, ctx.local_now().year, scope.communes(ctx))
    except roster.RosterError as exc:
        return [Reply(roster.render_error(ctx.t, exc), cancel)]  # still waiting: a corrected file is welcome
    ctx.finish()
    # Conflicts are overwritten at the desk (/leaders/import), not in chat: the note says so.
    report = roster.render_report(ctx.t, plan, name, limit=REPORT_LINES, note="roster.bot_note",
                                  conflict_note="roster.chat_conflict_note")
    if not plan.writes_anything:
        return [Reply(report, [ctx.option("core.admin_button", "cmd:admin")])]
    upload = await roster_store.save_upload(ctx.db, ctx.person.id, name, data, ctx.now_iso())
    return [Reply(report, [ctx.option("roster.apply_button", f"roster:apply:{upload}"),
                           ctx.option("roster.cancel_button", f"roster:cancel:{upload}")], columns=2)]


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """roster:apply:<upload> writes the file; roster:cancel[:<upload>] forgets it."""
    _, action, value = [*event.value.split(":", 2), "", ""][:3]
    back = [ctx.option("core.admin_button", "cmd:admin")]
    ctx.finish()
    upload_id = number(value)
    if action == "cancel":
        if upload_id is not None:
            await roster_store.delete_upload(ctx.db, upload_id)
        return [Reply(ctx.t("roster.cancelled"), back)]
    stored = await roster_store.get_upload(ctx.db, upload_id, ctx.person.id) if upload_id is not None else None
    if action != "apply" or stored is None:
        return [Reply(ctx.t("roster.upload_gone"), back)]
    name, data = stored
    try:
        plan = await roster.apply(ctx.db, ctx.content, data, name, ctx.local_now().year, ctx.now_iso(),
                                  scope=scope.communes(ctx))
    except roster.RosterError as exc:
        return [Reply(roster.render_error(ctx.t, exc), back)]
    finally:
        await roster_store.delete_upload(ctx.db, upload_id)  # type: ignore[arg-type]
    report = roster.render_report(ctx.t, plan, name, limit=REPORT_LINES)
    return [Reply(f"{report}\n\n{ctx.t('roster.applied_note')}", back)]


async def expire_uploads(services: Services) -> None:
    """The periodic job: waiting roster files (phone numbers) are kept one day at most."""
    await traces.expire_uploads(services.db, services.clock.now() - timedelta(hours=traces.UPLOAD_TTL_HOURS))


def register(router: Router) -> None:
    """Register /import, its waiting step, its buttons and the staff-menu entry."""
    router.command("import", ask_file, staff=True, aliases=("nhap danh sach",), describe="roster.cmd_desc")
    router.step("roster", on_file, staff=True)
    router.media("document", on_file, staff=True)  # staff may also just drop the file into the chat
    router.choice("roster", on_choice, staff=True)
    router.menu("roster.menu_label", "import", staff=True, order=82)
    router.periodic("roster.expire_uploads", 600, expire_uploads)
