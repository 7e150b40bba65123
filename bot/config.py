"""Configuration from the environment or a `.env` file in the working directory (see DESIGN.md)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.model import Identity

CHANNEL_ALIASES = {"tg": "tg", "telegram": "tg", "zalo": "zalo", "console": "console"}
_OFFSET = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class ConfigError(Exception):
    """A bad configuration value; the message names the variable and is shown as one line."""


@dataclass(frozen=True)
class Config:
    """Everything the bot reads from its environment."""

    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_rate: float = 30.0
    zalo_token: str | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    db_path: Path = Path("caunoi.sqlite3")
    admins: frozenset[Identity] = field(default_factory=frozenset)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    content_dir: Path | None = None
    reminders: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=2))
    extra: Mapping[str, str] = field(default_factory=dict)

    def is_admin(self, identity: Identity) -> bool:
        """Whether this channel identity is staff."""
        return identity in self.admins


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; `#` comments and surrounding quotes allowed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def parse_admins(raw: str) -> frozenset[Identity]:
    """`tg:123,zalo:abc`; a bare number is Telegram."""
    admins: set[Identity] = set()
    for item in filter(None, (part.strip() for part in raw.split(","))):
        channel, sep, address = item.partition(":")
        if not sep:
            if not item.isdigit():
                raise ConfigError(f"CAUNOI_ADMINS: '{item}' is not 'tg:<id>', 'zalo:<id>' or a Telegram id")
            channel, address = "tg", item
        name = CHANNEL_ALIASES.get(channel.strip().lower())
        address = address.strip()
        if name is None or not address:
            raise ConfigError(f"CAUNOI_ADMINS: '{item}' is not 'tg:<id>', 'zalo:<id>' or a Telegram id")
        if name == "tg" and not address.lstrip("-").isdigit():
            raise ConfigError(f"CAUNOI_ADMINS: Telegram id '{address}' must be a number")
        admins.add(Identity(name, address))
    return frozenset(admins)


def parse_offsets(raw: str) -> tuple[timedelta, ...]:
    """`1d,2h,30m` -> timedeltas, largest first."""
    offsets: list[timedelta] = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        match = _OFFSET.match(item)
        if not match or int(match.group(1)) == 0:
            raise ConfigError(f"CAUNOI_REMINDERS: '{item}' is not like 1d, 2h or 30m")
        offsets.append(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    return tuple(sorted(set(offsets), reverse=True))


def load_config(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Config:
    """Build the Config from `.env` overlaid by the real environment; raise ConfigError on bad values."""
    values = read_dotenv(dotenv if dotenv is not None else Path.cwd() / ".env")
    values.update(os.environ if env is None else env)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    rate_raw = get("CAUNOI_TELEGRAM_RATE") or "30"
    try:
        rate = float(rate_raw)
        if rate < 0:
            raise ValueError
    except ValueError:
        raise ConfigError(f"CAUNOI_TELEGRAM_RATE: '{rate_raw}' must be a number ≥ 0 (0 = no limit)") from None

    tz_name = get("CAUNOI_TZ") or "Asia/Ho_Chi_Minh"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"CAUNOI_TZ: unknown time zone '{tz_name}' (e.g. Asia/Ho_Chi_Minh)") from None

    content_dir = None
    if raw := get("CAUNOI_CONTENT"):
        content_dir = Path(raw).expanduser()
        if not content_dir.is_dir() or not os.access(content_dir, os.R_OK | os.X_OK):
            raise ConfigError(f"CAUNOI_CONTENT: '{raw}' is not a readable folder")

    return Config(
        telegram_token=get("TELEGRAM_BOT_TOKEN"),
        telegram_api_url=(get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
        telegram_rate=rate,
        zalo_token=get("ZALO_BOT_TOKEN"),
        zalo_api_url=(get("ZALO_API_URL") or "https://bot-api.zaloplatforms.com").rstrip("/"),
        db_path=Path(get("CAUNOI_DB") or "caunoi.sqlite3"),
        admins=parse_admins(get("CAUNOI_ADMINS") or ""),
        tz=tz,
        content_dir=content_dir,
        reminders=parse_offsets(get("CAUNOI_REMINDERS") or "1d,2h"),
        extra={k: v for k, v in values.items() if k.startswith("CAUNOI_")},
    )
