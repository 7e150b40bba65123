"""python-telegram-bot's rate-limiter hook (`BaseRateLimiter`) driven by bot/pacer.py.

PTB's own AIORateLimiter spaces requests but cannot take a slot reserved in advance, so the outbox
had to pace first and then queue again here: two pacers in a row cost speed, and a row claimed
in the database waited in that queue (a `kill -9` then left it in doubt). Here a send carries its
reserved Ticket in `rate_limit_args`; direct replies take the next free slot. Only messages are
paced (what Telegram's 30/s counts); callback answers, edits and the like go at once.
Messages to one chat also keep Telegram's 1 a second per chat (ChatSpacing), whichever path they
take: a broadcast copy and the reply to its "Đã nhận ✅" pressed half a second later, or two
quick replies, would otherwise meet a 429, and any 429 pauses every send.
No retries here: replies retry in TelegramChannel._call, the outbox sees every 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from telegram import error as tg_error
from telegram.ext import BaseRateLimiter

from bot.pacer import Pacer, Ticket

JSONDict = dict[str, Any]
_UNPACED_SENDS = frozenset({"sendChatAction"})
_IN_FLIGHT_POLL = 0.02  # how often to look again while an outbox message to the chat is on its way


def is_message(endpoint: str) -> bool:
    """Whether a Bot API method sends a message (counted by Telegram's flood limits)."""
    return (endpoint.startswith("send") and endpoint not in _UNPACED_SENDS) or endpoint in {
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages"}


class ChatSpacing:
    """Telegram's 1 message a second per chat between the outbox and everything else: after an
    outbox message (one sent with a reserved slot) to a chat, other messages to that chat start
    `spacing` seconds after its answer came back (the request reached the server before its
    answer), and not at all while it is on its way. The other way round, the outbox keeps away
    from a person being answered (Outbox.hold). A reply's own parts, and two replies in a row,
    go as before: Telegram allows a short burst in a chat, and spacing every turn would keep a
    person who answers at once waiting a second each time."""

    def __init__(self, spacing: float = 1.0) -> None:
        self.spacing = spacing
        self._until: dict[int, float] = {}  # chat -> monotonic time other messages may start

    @contextlib.asynccontextmanager
    async def outbox_send(self, chat: int) -> AsyncIterator[None]:
        """Around an outbox message: the chat is taken while it goes out and `spacing` after."""
        self._until[chat] = math.inf
        try:
            yield
        finally:
            now = time.monotonic()
            self._until[chat] = now + self.spacing
            if len(self._until) > 1000:  # forget chats whose spacing has passed
                self._until = {c: t for c, t in self._until.items() if t > now}

    async def clear(self, chat: int) -> None:
        """Wait until a message to this chat may start."""
        while True:
            wait = self._until.get(chat, 0.0) - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, _IN_FLIGHT_POLL))


def _chat_of(data: dict[str, Any]) -> int | None:
    """The chat a request goes to (PTB puts it in the request data as given: int or str)."""
    chat = data.get("chat_id")
    if isinstance(chat, int):
        return chat
    if isinstance(chat, str) and chat.lstrip("-").isdigit():
        return int(chat)
    return None  # a @channel name: not a private chat


class PacedRateLimiter(BaseRateLimiter[Ticket]):
    """Lets message sends through one shared Pacer, kept a second away from the outbox's message to
    the same chat; everything else goes at once."""

    def __init__(self, pacer: Pacer, retry_seconds: Callable[[tg_error.RetryAfter], float],
                 per_chat: float = 1.0) -> None:
        self.pacer = pacer
        self._retry_seconds = retry_seconds
        self.chats = ChatSpacing(per_chat) if per_chat > 0 else None

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
        """Wait for the request's slot (reserved, or the next free one), then make it; a message
        without a reserved slot first waits a second after the outbox's last one to that chat."""
        if not is_message(endpoint):
            return await callback(*args, **kwargs)
        chat = _chat_of(data)
        spacing: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
        if self.chats is not None and chat is not None:
            if rate_limit_args is not None:  # the outbox's first request of a delivery
                spacing = self.chats.outbox_send(chat)
            else:
                await self.chats.clear(chat)
        async with spacing:
            async with self.pacer.slot(rate_limit_args):
                try:
                    return await callback(*args, **kwargs)
                except tg_error.RetryAfter as exc:  # everyone waits, not only this send
                    self.pacer.pause(self._retry_seconds(exc))
                    raise
