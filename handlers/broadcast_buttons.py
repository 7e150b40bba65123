"""Broadcast buttons and steps: one declaration per button kind (bot.callback).

"Đã nhận ✅" (ack), the report (bcr), send again (bcu) and the unreachable reset (bcreach) are
durable: they stay under messages already delivered, so their form never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.callback import Payload


class Step:
    """Composing a broadcast: the text, the audience, (a typed send time,) the preview."""

    TEXT = "broadcast.text"
    AUDIENCE = "broadcast.audience"
    WHEN = "broadcast.when"
    CONFIRM = "broadcast.confirm"
    COMPOSING = (TEXT, AUDIENCE, WHEN, CONFIRM)


@dataclass(frozen=True)
class Cancel(Payload, head="bc:cancel"):
    """Drop the draft."""


@dataclass(frozen=True)
class CancelScheduled(Payload, head="bc:x"):
    """Withdraw a scheduled broadcast that has not started."""

    broadcast_id: int


@dataclass(frozen=True)
class Audience(Payload, head="bc:aud"):
    """An audience kind: "all", "commune" or "role"."""

    kind: str


@dataclass(frozen=True)
class Commune(Payload, head="bc:com"):
    """Commune number `index` of those the draft listed."""

    index: int


@dataclass(frozen=True)
class Role(Payload, head="bc:role"):
    """Everyone with this role."""

    role: str


@dataclass(frozen=True)
class OtherAudience(Payload, head="bc:other"):
    """Choose the audience again."""


@dataclass(frozen=True)
class When(Payload, head="bc:when"):
    """Type a send time."""


@dataclass(frozen=True)
class Send(Payload, head="bc:send"):
    """Send (now, or at the time typed)."""


@dataclass(frozen=True)
class Ack(Payload, head="ack"):
    """"Đã nhận ✅" under a broadcast."""

    broadcast_id: int


@dataclass(frozen=True)
class Report(Payload, head="bcr"):
    """A broadcast's report."""

    broadcast_id: int


@dataclass(frozen=True)
class ResendUnknown(Payload, head="bcu"):
    """Send again where it is unknown whether the message arrived."""

    broadcast_id: int


@dataclass(frozen=True)
class ResetReach(Payload, head="bcreach"):
    """Put the people of a broadcast marked unreachable back in reach."""

    broadcast_id: int
