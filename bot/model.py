"""The channel-neutral model: what comes in (Event) and what goes out (Reply, Option)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

EventKind = Literal["command", "choice", "text", "contact", "media"]

# Telegram limits callback_data to 64 bytes; every payload must fit.
MAX_PAYLOAD_BYTES = 64


@dataclass(frozen=True, slots=True)
class Identity:
    """One address of a person on one channel: ("tg", "123"), ("zalo", "6ede…"), ("console", "an")."""

    channel: str
    address: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a user did, normalised by a channel adapter.

    kind=command: value is the command name without slash, args the rest of the line.
    kind=choice: value is the option payload. kind=text: value is the text.
    kind=contact: value is the phone number shared; `verified` only when the channel vouches that
    it is the sender's own number (Telegram: the contact's user_id is the sender's id).
    kind=media: value is the media kind ("photo", "voice", "sticker", "document", ...),
    file_ref the channel's file reference.
    A document's bytes are fetched only when a handler that takes files asks (`read_file`):
    nothing is downloaded for people who may not send one (issue 20 item 2).
    """

    identity: Identity
    kind: EventKind
    value: str = ""
    args: str = ""
    display_name: str = ""
    message_id: str = ""
    file_ref: str = ""
    caption: str = ""
    file_size: int = 0
    file_name: str = ""
    file_data: bytes | None = None
    verified: bool = False
    fetch: Callable[[], Awaitable[bytes | None]] | None = field(default=None, compare=False, repr=False)

    async def read_file(self) -> bytes | None:
        """The document's bytes: given, or downloaded now from the channel (None if unavailable)."""
        if self.file_data is not None or self.fetch is None:
            return self.file_data
        return await self.fetch()


@dataclass(frozen=True, slots=True)
class Option:
    """A button (Telegram) or a numbered line (Zalo, console)."""

    label: str
    payload: str

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload over {MAX_PAYLOAD_BYTES} bytes: {self.payload!r}")


AttachmentKind = Literal["document", "photo", "voice", "audio", "video", "video_note"]
ATTACHMENT_KINDS: tuple[AttachmentKind, ...] = get_args(AttachmentKind)


def attachment_kind(value: str) -> AttachmentKind:
    """`value` as an attachment kind; a kind stored by a channel that we cannot send is sent as a document."""
    return next((kind for kind in ATTACHMENT_KINDS if kind == value), "document")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply: an export (document), a chart (photo), or a file a user sent
    earlier, passed on by reference (`ref`: a file id of channel `ref_channel`, or a URL)."""

    filename: str
    data: bytes
    kind: AttachmentKind = "document"
    ref: str = ""
    ref_channel: str = ""

    def reachable_from(self, channel: str) -> bool:
        """Whether `channel` can send this: bytes anywhere; a reference on its own channel or as a URL."""
        return not self.ref or self.ref_channel == channel or self.ref.startswith(("https://", "http://"))


@dataclass(slots=True)
class Reply:
    """One message the bot sends.

    options are shown as buttons (columns per row on Telegram) or a numbered list.
    ask_contact asks Telegram to show the share-phone keyboard button.
    """

    text: str
    options: list[Option] = field(default_factory=list)
    columns: int = 1
    attachment: Attachment | None = None
    ask_contact: bool = False

    def to_dict(self) -> dict[str, object]:
        """A JSON-able form, for the outbox (attachments are not queued)."""
        return {
            "text": self.text,
            "options": [[o.label, o.payload] for o in self.options],
            "columns": self.columns,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Reply:
        """Inverse of to_dict."""
        raw_options = data.get("options") or []
        columns = data.get("columns", 1)
        assert isinstance(raw_options, list) and isinstance(columns, int)
        return cls(
            text=str(data.get("text", "")),
            options=[Option(str(label), str(payload)) for label, payload in raw_options],
            columns=columns,
        )
