"""Configuration from the environment or a `.env` file in the working directory (see DESIGN.md)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
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
class Secret:
    """A token or password. It prints as *** (in a repr of the config, a log line, a traceback's
    locals); the channel that needs the value calls `reveal()` where it hands it to the API."""

    _value: str

    def reveal(self) -> str:
        """The value itself, for the API call that needs it; never for logs or messages."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)


def _secret(value: str | None) -> Secret | None:
    return None if value is None else Secret(value)


@dataclass(frozen=True)
class Config:
    """Everything the bot reads from its environment."""

    telegram_token: Secret | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_rate: float = 30.0
    zalo_token: Secret | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    db_path: Path = Path("caunoi.sqlite3")
    admins: frozenset[Identity] = field(default_factory=frozenset)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    content_dir: Path | None = None
    reminders: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=2))
    # Beyond DESIGN.md's table (README "Configuration"): tuning of features, validated like the rest.
    pass_mark: int = 4  # CAUNOI_PASS_MARK: right answers out of 5 to pass a quiz
    digest_minutes: int = 30  # CAUNOI_DIGEST_MINUTES: staff inbox digest window
    flood_burst: float = 30.0  # CAUNOI_FLOOD_BURST: tokens a person may spend at once (a text costs 2)
    flood_rate: float = 1.0  # CAUNOI_FLOOD_RATE: tokens given back per second
    zalo_rate: float = 5.0  # CAUNOI_ZALO_RATE: Zalo messages/s; 0 = no limit
    zalo_webhook_secret: Secret | None = None  # CAUNOI_ZALO_WEBHOOK_SECRET (8-256 characters)
    paid_broadcast: bool = False  # CAUNOI_PAID_BROADCAST: Telegram allow_paid_broadcast for broadcasts
    paid_rate: float = 1000.0  # CAUNOI_PAID_RATE: messages/s in paid mode
    outbox_concurrency: int = 16  # CAUNOI_OUTBOX_CONCURRENCY: sends in flight per channel
    # Operations (backups): see README "Backups".
    backup_dir: Path | None = None  # CAUNOI_BACKUP_DIR: daily backups; None = off ("off")
    backup_keep: tuple[int, int] = (14, 8)  # CAUNOI_BACKUP_KEEP "14d,8w": newest per day, per week
    backup_hour: int = 2  # CAUNOI_BACKUP_HOUR: local hour of the daily backup
    backup_compress: bool = False  # CAUNOI_BACKUP_GZIP: gzip the backup files
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


_KEEP = re.compile(r"^\s*(\d+)\s*([dw])\s*$")


def parse_keep(raw: str) -> tuple[int, int]:
    """`14d,8w` -> (14, 8): keep the newest backup of each of the last 14 days and 8 weeks."""
    kept = {"d": 0, "w": 0}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        match = _KEEP.match(item)
        if not match:
            raise ConfigError(f"CAUNOI_BACKUP_KEEP: '{item}' is not like 14d or 8w")
        kept[match.group(2)] = int(match.group(1))
    if kept["d"] + kept["w"] == 0:
        raise ConfigError("CAUNOI_BACKUP_KEEP: keep at least one day or week (e.g. 14d,8w)")
    return kept["d"], kept["w"]


def backup_settings(get: Callable[[str], str | None], db_path: Path) -> dict[str, object]:
    """The CAUNOI_BACKUP_* values as Config fields; the default folder is `backups/` beside the database."""
    raw_dir = get("CAUNOI_BACKUP_DIR")
    off = raw_dir is not None and raw_dir.lower() in ("off", "none", "0", "no")
    return {
        "backup_dir": None if off else Path(raw_dir).expanduser() if raw_dir else db_path.parent / "backups",
        "backup_keep": parse_keep(get("CAUNOI_BACKUP_KEEP") or "14d,8w"),
        "backup_hour": int(_number("CAUNOI_BACKUP_HOUR", get("CAUNOI_BACKUP_HOUR"), 2, 0, 23, whole=True)),
        "backup_compress": _flag("CAUNOI_BACKUP_GZIP", get("CAUNOI_BACKUP_GZIP")),
    }


def _number(name: str, raw: str | None, default: float, low: float, high: float, *, whole: bool = False) -> float:
    """A number within [low, high], or ConfigError naming the variable."""
    if raw is None:
        return default
    try:
        value = int(raw) if whole else float(raw)
        if not low <= value <= high:
            raise ValueError
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{name}: '{raw}' must be {kind} from {low:g} to {high:g}") from None
    return value


_TRUE = {"1", "true", "yes", "on", "co", "có"}
_FALSE = {"0", "false", "no", "off", "khong", "không"}


def _flag(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    if raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    raise ConfigError(f"{name}: '{raw}' must be 1/0, true/false or yes/no")


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

    for old in ("CAUNOI_FLOOD_LIMIT", "CAUNOI_FLOOD_WINDOW"):  # the fixed window became a token bucket
        if get(old):
            raise ConfigError(f"{old}: no longer used; set CAUNOI_FLOOD_BURST and CAUNOI_FLOOD_RATE instead")

    extra = {k: v for k, v in values.items() if k.startswith("CAUNOI_")}
    extra.pop("CAUNOI_ZALO_WEBHOOK_SECRET", None)  # a secret is kept only as a Secret
    secret = get("CAUNOI_ZALO_WEBHOOK_SECRET")
    if secret is not None and not 8 <= len(secret) <= 256:
        raise ConfigError("CAUNOI_ZALO_WEBHOOK_SECRET: must be 8 to 256 characters")

    return Config(
        pass_mark=int(_number("CAUNOI_PASS_MARK", get("CAUNOI_PASS_MARK"), 4, 1, 5, whole=True)),
        digest_minutes=int(_number("CAUNOI_DIGEST_MINUTES", get("CAUNOI_DIGEST_MINUTES"), 30, 1, 1440, whole=True)),
        flood_burst=_number("CAUNOI_FLOOD_BURST", get("CAUNOI_FLOOD_BURST"), 30, 3, 10**6),
        flood_rate=_number("CAUNOI_FLOOD_RATE", get("CAUNOI_FLOOD_RATE"), 1, 0.01, 1000),
        zalo_rate=_number("CAUNOI_ZALO_RATE", get("CAUNOI_ZALO_RATE"), 5, 0, 1000),
        zalo_webhook_secret=_secret(secret),
        paid_broadcast=_flag("CAUNOI_PAID_BROADCAST", get("CAUNOI_PAID_BROADCAST")),
        paid_rate=_number("CAUNOI_PAID_RATE", get("CAUNOI_PAID_RATE"), 1000, 1, 1000),
        outbox_concurrency=int(_number("CAUNOI_OUTBOX_CONCURRENCY", get("CAUNOI_OUTBOX_CONCURRENCY"), 16, 1, 256,
                                       whole=True)),
        telegram_token=_secret(get("TELEGRAM_BOT_TOKEN")),
        telegram_api_url=(get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
        telegram_rate=rate,
        zalo_token=_secret(get("ZALO_BOT_TOKEN")),
        zalo_api_url=(get("ZALO_API_URL") or "https://bot-api.zaloplatforms.com").rstrip("/"),
        db_path=Path(get("CAUNOI_DB") or "caunoi.sqlite3"),
        admins=parse_admins(get("CAUNOI_ADMINS") or ""),
        tz=tz,
        content_dir=content_dir,
        reminders=parse_offsets(get("CAUNOI_REMINDERS") or "1d,2h"),
        **backup_settings(get, Path(get("CAUNOI_DB") or "caunoi.sqlite3")),  # type: ignore[arg-type]
        extra=extra,
    )
