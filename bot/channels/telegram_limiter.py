"""python-telegram-bot's rate-limiter hook (`BaseRateLimiter`) driven by bot/pacer.py.

PTB's own AIORateLimiter spaces requests but cannot take a slot reserved in advance, so the outbox
had to pace first and then queue again here: two pacers in a row cost speed, and a row claimed
in the database waited in that queue (a `kill -9` then left it in doubt). Here a send carries its
reserved Ticket in `rate_limit_args`; direct replies take the next free slot. Only messages are
paced (what Telegram's 30/s counts); callback answers, edits and the like go at once.
No retries here: replies retry in TelegramChannel._call, the outbox sees every 429.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import error as tg_error
from telegram.ext import BaseRateLimiter

from bot.pacer import Pacer, Ticket

JSONDict = dict[str, Any]
_UNPACED_SENDS = frozenset({"sendChatAction"})


def is_message(endpoint: str) -> bool:
    """Whether a Bot API method sends a message (counted by Telegram's flood limits)."""
    return (endpoint.startswith("send") and endpoint not in _UNPACED_SENDS) or endpoint in {
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages"}


class PacedRateLimiter(BaseRateLimiter[Ticket]):
    """Lets message sends through one shared Pacer; everything else goes at once."""

    def __init__(self, pacer: Pacer, retry_seconds: Callable[[tg_error.RetryAfter], float]) -> None:
        self.pacer = pacer
        self._retry_seconds = retry_seconds

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Ticket | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for the request's slot (reserved, or the next free one), then make it."""
        if not is_message(endpoint):
            return await callback(*args, **kwargs)
        async with self.pacer.slot(rate_limit_args):
            try:
                return await callback(*args, **kwargs)
            except tg_error.RetryAfter as exc:  # everyone waits, not only this send
                self.pacer.pause(self._retry_seconds(exc))
                raise
