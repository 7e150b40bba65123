"""The last backup, as one line of /stats (so staff notice when backups stop)."""

from __future__ import annotations

from typing import Any, Protocol

from bot.clock import parse_iso
from bot.config import Config
from bot.store import backups
from bot.store.db import Database


class Desk(Protocol):
    """What the line needs: a chat Context has it, and so does the web overview (bot/web/overview.py)."""

    @property
    def db(self) -> Database: ...
    @property
    def config(self) -> Config: ...
    def t(self, key: str, /, **values: Any) -> str: ...


async def backup_line(ctx: Desk) -> str:
    """"💾 Sao lưu gần nhất: …", or that there is none yet, or that daily backups are off."""
    last = await backups.last(ctx.db)
    if last is None:
        return ctx.t("backup.stats_off" if ctx.config.backup_dir is None else "backup.stats_none")
    when = parse_iso(last.finished_at).astimezone(ctx.config.tz).strftime("%H:%M %d/%m/%Y")
    size = f"{(last.size or 0) / 1_048_576:.1f} MB"
    return ctx.t("backup.stats_last", when=when, size=size)
