"""How Telegram errors map to what the outbox does (bot/channels/base.py)."""

from __future__ import annotations

import pytest
from telegram import error as tg_error

from bot.channels import base
from bot.channels.telegram import delivery_error


@pytest.mark.parametrize(("error", "expected"), [
    (tg_error.RetryAfter(7), base.RetryAfter),
    (tg_error.Forbidden("Forbidden: bot was blocked by the user"), base.Blocked),
    (tg_error.Forbidden("Forbidden: user is deactivated"), base.Blocked),
    (tg_error.BadRequest("Chat not found"), base.Blocked),
    (tg_error.BadRequest("Bad Request: user is deactivated"), base.Blocked),
    (tg_error.BadRequest("Message is too long"), base.Rejected),
    (tg_error.TimedOut("Timed out"), base.Unknown),  # may have been delivered: never resend blindly
    (tg_error.TimedOut("Pool timeout: All connections in the connection pool are occupied."), base.Transient),
    (tg_error.NetworkError("httpx.ConnectError: refused"), base.Transient),
    (tg_error.ChatMigrated(-100123), base.Rejected),
])
def test_delivery_error_mapping(error: tg_error.TelegramError, expected: type[base.DeliveryError]) -> None:
    mapped = delivery_error(error)
    assert type(mapped) is expected


def test_retry_after_keeps_the_seconds() -> None:
    mapped = delivery_error(tg_error.RetryAfter(12))
    assert isinstance(mapped, base.RetryAfter) and mapped.seconds == 12
