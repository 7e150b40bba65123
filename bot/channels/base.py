"""What every channel offers the rest of the bot, and the errors its deliveries raise.

A channel turns its updates into Events, calls `dispatch(event)`, and renders the
Replies. For the outbox it offers `deliver` (send one Reply to an address, raising
one of the errors below) and `edit` (change a message in place, where possible), and its
`pacer` (bot/pacer.py) when it paces its sends: the outbox then reserves a slot from it, claims
its row just before the slot, and hands the ticket to `deliver`; its replies and the outbox's
messages share one budget.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.model import Event, Reply
from bot.pacer import Pacer, Ticket

Dispatch = Callable[[Event], Awaitable[list[Reply]]]


class DeliveryError(Exception):
    """A delivery did not succeed; the subclass says what the outbox should do."""


class Blocked(DeliveryError):
    """The person blocked the bot, deleted the account, or the chat does not exist: stop sending."""


class RetryAfter(DeliveryError):
    """Flood control: wait `seconds`, then send again. `chat_only`: the limit of one chat (a
    message to it had just gone), so only what goes to that chat waits, not every send."""

    def __init__(self, seconds: float, message: str = "", *, chat_only: bool = False) -> None:
        super().__init__(message or f"retry after {seconds}s")
        self.seconds = seconds
        self.chat_only = chat_only


class Transient(DeliveryError):
    """Network error or server error before the message was accepted: retry with backoff."""


class Unknown(DeliveryError):
    """The request may have been delivered (timeout after sending): do not resend automatically."""


class Rejected(DeliveryError):
    """The channel refused this message for good (bad request): mark failed."""


class QuotaExceeded(DeliveryError):
    """The channel's plan quota is used up: stop and tell staff, do not retry forever."""


class Channel(Protocol):
    """A running channel."""

    name: str  # "tg" | "zalo" | "console"
    text_limit: int
    pacer: Pacer | None  # None: the channel does not pace (the outbox paces by its settings)

    async def start(self) -> None:
        """Start receiving updates (returns once running)."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def deliver(self, address: str, reply: Reply, *, paid: bool = False,
                      ticket: Ticket | None = None) -> str | None:
        """Send one reply to an address, its first request in `ticket`'s slot (reserved from
        `pacer`); return the id of the (last) message sent."""

    async def edit(self, address: str, message_id: str, reply: Reply) -> None:
        """Replace a sent message's text and buttons (channels without editing send a new one)."""
