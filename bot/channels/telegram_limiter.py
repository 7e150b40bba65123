"""python-telegram-bot's rate-limiter hook (`BaseRateLimiter`) driven by bot/pacer.py.

PTB's own AIORateLimiter spaces requests but cannot take a slot reserved in advance, so the outbox
had to pace first and then queue again here: two pacers in a row cost speed, and a row claimed
in the database waited in that queue (a `kill -9` then left it in doubt). Here a send carries its
reserved Ticket in `rate_limit_args`; direct replies take the next free slot. Only messages are
paced (what Telegram's 30/s counts); callback answers, edits and the like go at once.
Messages to one chat from the outbox and from replies also keep Telegram's 1 a second per chat
(ChatSpacing): a broadcast copy and the answer to its "Đã nhận ✅" pressed half a second later
would otherwise meet a 429, and any 429 pauses every send (bench/broadcast.py `loaded`).
No retries here: replies retry in TelegramChannel._call, the outbox sees every 429.
A 429 for a chat that had a message of ours within the last second is that chat's limit (the
pacer keeps the overall 30/s): only that chat waits (ChatRetryAfter), every other send goes on.
Two answers in a row can meet it — Telegram allows a short burst in a chat, the fake does not.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import error as tg_error
from telegram.ext import BaseRateLimiter

from bot.pacer import Pacer, Ticket

JSONDict = dict[str, Any]
_UNPACED_SENDS = frozenset({"sendChatAction"})
_IN_FLIGHT_POLL = 0.02  # how often to look again while the other side's message to the chat is on its way


def is_message(endpoint: str) -> bool:
    """Whether a Bot API method sends a message (counted by Telegram's flood limits)."""
    return (endpoint.startswith("send") and endpoint not in _UNPACED_SENDS) or endpoint in {
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages"}


class ChatSpacing:
    """Telegram's 1 message a second per chat between the outbox and direct replies: a message of
    one side starts only `spacing` seconds after the answer to the other side's last message to
    that chat came back (the request reached the server before its answer), and not while that
    one is on its way. Outbox.hold keeps the outbox's rows away from a person being answered; this
    also covers the rows already on their way to a slot then, and replies after a broadcast copy.
    A reply's own parts, and two replies in a row, go as before: Telegram allows a short burst in
    a chat, and spacing every turn would keep a person who answers at once waiting each time."""

    def __init__(self, spacing: float = 1.0) -> None:
        self.spacing = spacing
        # side ("outbox" or "reply") -> chat -> monotonic time the other side may start; messages in flight
        self._until: dict[str, dict[int, float]] = {"outbox": {}, "reply": {}}
        self._flying: dict[str, Counter[int]] = {"outbox": Counter(), "reply": Counter()}

    def wait_for(self, side: str, chat: int) -> float:
        """Seconds until a message may start after `side`'s last one to this chat (inf: in flight)."""
        if self._flying[side][chat]:
            return math.inf
        return self._until[side].get(chat, 0.0) - time.monotonic()

    async def clear_of(self, side: str, chat: int) -> None:
        """Wait until `side`'s last message to this chat is a `spacing` old."""
        while True:
            wait = self.wait_for(side, chat)
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, _IN_FLIGHT_POLL))

    def take(self, side: str, chat: int) -> None:
        """A message of `side` to this chat is on its way."""
        self._flying[side][chat] += 1

    def recent(self, chat: int, since: float) -> bool:
        """Whether a message of either side to this chat was answered after `since` - spacing, or is
        on its way (Telegram may still count it against the chat's second)."""
        return any(self._flying[side][chat] or self._until[side].get(chat, 0.0) > since
                   for side in ("outbox", "reply"))

    def block(self, chat: int, seconds: float) -> None:
        """Nothing of either side goes to this chat for `seconds` (its own 429)."""
        until = time.monotonic() + seconds
        for side in ("outbox", "reply"):
            self._until[side][chat] = max(self._until[side].get(chat, 0.0), until)

    def done(self, side: str, chat: int) -> None:
        """Its answer came back."""
        flying = self._flying[side]
        flying[chat] -= 1
        if flying[chat] <= 0:
            del flying[chat]
        now = time.monotonic()
        until = self._until[side]
        until[chat] = now + self.spacing
        if len(until) > 1000:  # forget chats whose spacing has passed
            self._until[side] = {c: t for c, t in until.items() if t > now}


class ChatRetryAfter(tg_error.RetryAfter):
    """A 429 that is one chat's limit: that chat waits, the pacer is not paused."""


def _chat_of(data: dict[str, Any]) -> int | None:
    """The chat a request goes to (PTB puts it in the request data as given: int or str)."""
    chat = data.get("chat_id")
    if isinstance(chat, int):
        return chat
    if isinstance(chat, str) and chat.lstrip("-").isdigit():
        return int(chat)
    return None  # a @channel name: not a private chat


class PacedRateLimiter(BaseRateLimiter[Ticket]):
    """Lets message sends through one shared Pacer, the outbox's and the replies to one chat a
    second apart; everything else goes at once."""

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
        """Wait for the request's slot (reserved, or the next free one) and, for a message to a
        chat, a second after the other side's last message there; then make it."""
        if not is_message(endpoint):
            return await callback(*args, **kwargs)
        chat = _chat_of(data)
        if self.chats is None or chat is None:
            async with self.pacer.slot(rate_limit_args):
                return await self._call(callback, args, kwargs, None)
        # The outbox's first request of a delivery carries its reserved slot; everything else is a
        # reply (or a later part, which then waits a second after the first, as Telegram counts).
        mine, other = ("outbox", "reply") if rate_limit_args is not None else ("reply", "outbox")
        ticket = rate_limit_args
        while True:
            await self.chats.clear_of(other, chat)
            started = await self.pacer.start(ticket)
            if self.chats.wait_for(other, chat) <= 0:  # no await since the check: the chat is ours
                break
            # The other side took the chat while this one waited for its slot: the slot is spent
            # (counted as a send, to be safe); wait, then take the next free one.
            self.pacer.finish(started)
            ticket = None
        recent = self.chats.recent(chat, time.monotonic())  # before this one is counted
        self.chats.take(mine, chat)
        try:
            return await self._call(callback, args, kwargs, chat if recent else None)
        finally:
            self.pacer.finish(started)
            self.chats.done(mine, chat)

    async def _call(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                    kwargs: dict[str, Any], busy_chat: int | None) -> Any:
        """Make the request. A 429 pauses the pacer (everyone waits, not only this send), unless it
        went to `busy_chat`, a chat that had a message within the second: then only that chat waits."""
        try:
            return await callback(*args, **kwargs)
        except tg_error.RetryAfter as exc:
            seconds = self._retry_seconds(exc)
            if busy_chat is None or self.chats is None:
                self.pacer.pause(seconds)
                raise
            self.chats.block(busy_chat, seconds)
            raise ChatRetryAfter(timedelta(seconds=seconds)) from exc
