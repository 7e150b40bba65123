"""Dashboard settings: CAUNOI_WEB (host:port), CAUNOI_WEB_URL (public base URL), idle timeout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Config, ConfigError

DEFAULT_IDLE_MINUTES = 30


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Where the dashboard listens and how it is reached."""

    host: str
    port: int
    base_url: str  # what login links start with, e.g. https://caunoi.example.vn
    idle: timedelta

    @property
    def secure(self) -> bool:
        """Behind TLS (the public URL is https): cookies get the Secure flag."""
        return self.base_url.startswith("https://")


def parse_listen(raw: str) -> tuple[str, int]:
    """"127.0.0.1:8080" -> ("127.0.0.1", 8080); ConfigError when malformed."""
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"CAUNOI_WEB: '{raw}' must be HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


def load_web_settings(config: Config, listen: str | None = None) -> WebSettings | None:
    """The settings from `--web` (or CAUNOI_WEB); None when the dashboard is off."""
    raw = listen or config.extra.get("CAUNOI_WEB", "").strip()
    if not raw:
        return None
    host, port = parse_listen(raw)
    base = config.extra.get("CAUNOI_WEB_URL", "").strip().rstrip("/")
    if base and not base.startswith(("http://", "https://")):
        raise ConfigError(f"CAUNOI_WEB_URL: '{base}' must start with https:// (or http:// on a trusted network)")
    idle_raw = config.extra.get("CAUNOI_WEB_IDLE_MINUTES", "").strip() or str(DEFAULT_IDLE_MINUTES)
    if not idle_raw.isdigit() or not 1 <= int(idle_raw) <= 24 * 60:
        raise ConfigError(f"CAUNOI_WEB_IDLE_MINUTES: '{idle_raw}' must be 1 to 1440")
    shown_host = "localhost" if host in ("0.0.0.0", "::") else host
    return WebSettings(host, port, base or f"http://{shown_host}:{port}", timedelta(minutes=int(idle_raw)))


def login_url(settings_base: str, token: str) -> str:
    """The one-time link a staff member opens."""
    return f"{settings_base}/login/{token}"
