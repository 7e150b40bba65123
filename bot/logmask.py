"""Never log a token: a filter on the root handlers masks bot tokens in every record.

python-telegram-bot and httpx log request URLs (`…/bot123:ABC…/getUpdates`) at DEBUG or INFO;
the filter rewrites each record's final message, so whichever library logs, the token is gone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# Telegram's shape: digits, a colon, 30+ URL-safe characters (also inside /bot…/ URLs).
TELEGRAM_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
MASK = "***"


class TokenMask(logging.Filter):
    """Replaces Telegram-shaped tokens and the configured secrets with *** in a record's message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("caunoi.tokenmask")
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        """Mask these literal values too (the configured Telegram and Zalo tokens)."""
        self.secrets.update(s for s in secrets if s and len(s) >= 4)

    def mask(self, text: str) -> str:
        """The text with every secret replaced."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return TELEGRAM_TOKEN.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message (and any traceback text) of the record; always let it through."""
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


_installed: TokenMask | None = None


def install(secrets: Iterable[str | None] = ()) -> TokenMask:
    """Put one TokenMask on every handler of the root logger (again after new handlers appear)."""
    global _installed
    if _installed is None:
        _installed = TokenMask()
    _installed.add(secrets)
    for handler in logging.getLogger().handlers:
        if _installed not in handler.filters:
            handler.addFilter(_installed)
    return _installed
