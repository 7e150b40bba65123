"""The inbox's buttons and steps: one declaration per button kind (bot.callback).

Every inbox button carries the view code "t.c.s.p" (handlers/inbox.py View) last, so a pressed
button comes back to the same filters and page.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.callback import Payload


class Step:
    """Typing an answer (then previewing it) or an internal note about one item."""

    ANSWER = "inbox.answer"
    ANSWER_PREVIEW = "inbox.answer_ok"
    NOTE = "inbox.note"


@dataclass(frozen=True)
class ListPage(Payload, head="ib:l"):
    """A page of the inbox under a view (none: the first, unfiltered)."""

    view: str = ""


@dataclass(frozen=True)
class FilterKind(Payload, head="ib:ft"):
    """Choose the kind to show."""

    view: str
    page: int = 0


@dataclass(frozen=True)
class FilterCommune(Payload, head="ib:fc"):
    """Choose the commune to show, FILTER_PAGE communes at a time."""

    view: str
    page: int = 0


@dataclass(frozen=True)
class FilterStatus(Payload, head="ib:fs"):
    """Choose the status to show."""

    view: str
    page: int = 0


@dataclass(frozen=True)
class Digest(Payload, head="ib:dg"):
    """Turn the digest on (1) or off (0)."""

    on: int
    view: str


@dataclass(frozen=True)
class OpenItem(Payload, head="ib:o"):
    """One item in full."""

    voice_id: int
    view: str


@dataclass(frozen=True)
class ShowFile(Payload, head="ib:f"):
    """Pass on file number `index` of an item."""

    voice_id: int
    index: int
    view: str


@dataclass(frozen=True)
class SetStatus(Payload, head="ib:s"):
    """Set an item's status (index into voices.STATUSES)."""

    voice_id: int
    status: int
    view: str


@dataclass(frozen=True)
class Answer(Payload, head="ib:a"):
    """Start typing an answer to the leader."""

    voice_id: int
    view: str


@dataclass(frozen=True)
class Note(Payload, head="ib:n"):
    """Start typing an internal note."""

    voice_id: int
    view: str


@dataclass(frozen=True)
class SendAnswer(Payload, head="ib:as"):
    """Send the answer previewed."""

    voice_id: int
    view: str
