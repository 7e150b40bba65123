"""/export (staff): the whole picture as an Excel file, optionally for one commune or a date range."""

from __future__ import annotations

import logging
import re

from bot import export
from bot.context import Context
from bot.model import Attachment, Event, Reply
from bot.router import Router
from handlers import scope

log = logging.getLogger(__name__)
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")


async def export_file(event: Event, ctx: Context) -> list[Reply]:
    """/export [commune] [from-date [to-date]]: an .xlsx sent as a document (Telegram, console)."""
    ctx.finish()
    back = [ctx.option("core.admin_button", "cmd:admin")]
    if ctx.identity.channel == "zalo":
        return [Reply(ctx.t("export.zalo_no_files"), back)]
    words = event.args.split()
    dates = [w for w in words if _DATE.match(w)]
    commune = " ".join(w for w in words if not _DATE.match(w))
    if len(dates) > 2:
        return [Reply(ctx.t("export.too_many_args", usage=ctx.t("export.usage")), back)]
    try:
        date_from, date_to = [*dates, None, None][:2]
        query = export.make_query(ctx.content, ctx.config.tz, commune or None, date_from, date_to,
                                  mark=ctx.config.pass_mark, scope=scope.communes(ctx),
                                  sensitive=scope.sensitive(ctx))
    except export.ExportError as exc:
        return [Reply(f"{ctx.t(f'export.{exc.key}', **exc.values)}\n{ctx.t('export.usage')}", back)]
    try:
        name, data, summary = await export.export_bytes(ctx.db, ctx.content, ctx.config, query, ctx.now())
    except Exception:
        log.exception("export failed")
        return [Reply(ctx.t("export.failed"), back)]
    await scope.record(ctx, "export", "aspirations" if scope.sensitive(ctx) else "",
                       label=query.commune if query.commune else None)
    sheets = "\n".join(ctx.t("export.sheet_line", title=title, rows=rows) for title, rows in summary)
    text = ctx.t("export.done", filters=query.describe(ctx.t), sheets=sheets)
    if not event.args:
        text += "\n\n" + ctx.t("export.usage")
    return [Reply(text, back, attachment=Attachment(name, data))]


def register(router: Router) -> None:
    """Register /export and its staff-menu button."""
    router.command("export", export_file, staff=True, aliases=("xuat excel", "xuat du lieu"),
                   describe="export.cmd_desc")
    router.menu("export.menu_label", "export", staff=True, order=81)
