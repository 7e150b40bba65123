"""The Zalo Bot API: one async client (httpx), its error envelope, and update parsing.

What the platform does (the official docs, mirrored in lamdt1/ckvn-bot `docs/zalo-bot-doc.md`, and
the Zalo extension of openclaw/openclaw, `extensions/zalo/src/api.ts`, `monitor.ts`):
- `https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>`, JSON in and out. Every answer is
  `{"ok": bool, "result": ..., "error_code": int, "description": str}`; errors come as HTTP 200
  with `ok: false` (a proxy in between may still answer with a real HTTP status: both are read).
- Error codes: 400 bad request, 401 token invalid, 403 "internal server error", 404 "not found /
  invalid request", 408 request timeout (an idle long poll), 429 "quota exceeded". No
  `retry_after` is documented.
- `getUpdates {"timeout": "30"}` long-polls for ONE update (no offset, no list); polling and a
  webhook exclude each other, and polling is meant for development (it can miss events).
- A webhook POSTs `{"ok": true, "result": {event_name, message}}` with the secret in the
  `X-Bot-Api-Secret-Token` header.
- `sendMessage {chat_id, text}` takes 1–2,000 characters; `sendPhoto {chat_id, photo: URL,
  caption}` makes Zalo download the photo before it answers.

The token is in every URL: it never reaches our logs or exception messages (see `mask`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from bot.model import Event, Identity
from bot.textutil import split_text

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000  # sendMessage: 1–2,000 characters
# Parts are cut below the limit, counting UTF-16 code units (an emoji is two): what the platform
# counts is not documented, so a margin keeps a part from being refused as too long.
TEXT_MARGIN = 100
POLL_TIMEOUT = 30  # seconds Zalo holds an idle getUpdates
REQUEST_TIMEOUT = 15.0
# Zalo downloads a photo before answering sendPhoto: the reference client waits 150 s there.
PHOTO_TIMEOUT = 120.0

TEXT_EVENT = "message.text.received"
LINK_EVENT = "message.link.received"
REACTION_EVENT = "message.reaction.received"
MEDIA_EVENTS = {
    "message.image.received": "photo",
    "message.sticker.received": "sticker",
    "message.voice.received": "voice",
    "message.unsupported.received": "unsupported",
}
KNOWN_EVENTS = {TEXT_EVENT, LINK_EVENT, REACTION_EVENT, *MEDIA_EVENTS}


class ZaloApiError(Exception):
    """The Zalo Bot API answered with an error (the message never contains the token).

    `status` is the HTTP status (200 for Zalo's own error envelope), `code` Zalo's error_code
    (or the HTTP status when a proxy answered without the envelope)."""

    def __init__(self, status: int, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"Zalo API error {code or status}: {description}")
        self.status = status
        self.code = code or status
        self.description = description
        self.retry_after = retry_after


class ZaloNetworkError(Exception):
    """The request did not get an answer; `sent` says whether it may have reached Zalo."""

    def __init__(self, message: str, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


def mask(text: str, token: str) -> str:
    """`text` with the bot token (and its secret half) replaced, for logs and errors."""
    if token:
        text = text.replace(token, "<token>")
        secret = token.partition(":")[2]
        if len(secret) >= 6:
            text = text.replace(secret, "<token>")
    return text


class ZaloClient:
    """The Zalo Bot API over one httpx connection pool."""

    def __init__(self, token: str, api_url: str = "https://bot-api.zaloplatforms.com",
                 http: httpx.AsyncClient | None = None, timeout: float = REQUEST_TIMEOUT,
                 photo_timeout: float = PHOTO_TIMEOUT) -> None:
        self.token = token
        self.base = f"{api_url.rstrip('/')}/bot{token}/"
        self.timeout = timeout
        self.photo_timeout = photo_timeout
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0),
                                              limits=httpx.Limits(max_connections=20))

    async def close(self) -> None:
        """Release connections."""
        await self.http.aclose()

    async def call(self, method: str, params: dict[str, Any] | None = None,
                   *, wait: float | None = None) -> Any:
        """Call one method; return its `result`. Raises ZaloApiError or ZaloNetworkError.

        `wait` is how long to wait for the answer (a long poll or a photo waits longer)."""
        request_timeout = httpx.Timeout(wait or self.timeout, connect=10.0)
        try:
            response = await self.http.post(self.base + method, json=params or {}, timeout=request_timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout) as exc:
            # No connection, or the body was not written out in full: Zalo cannot have acted on it.
            raise ZaloNetworkError(f"{method}: not sent ({type(exc).__name__})", sent=False) from None
        except httpx.TransportError as exc:
            # A read timeout or a dropped connection: the whole request went out, the answer did not come.
            raise ZaloNetworkError(f"{method}: no answer ({type(exc).__name__})", sent=True) from None
        return self._result(response)

    def _result(self, response: httpx.Response) -> Any:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            if response.is_success:
                raise ZaloApiError(response.status_code, 0, "answer is not a JSON object")
            raise ZaloApiError(response.status_code, response.status_code, response.reason_phrase or "HTTP error")
        if response.is_success and body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        code = code if isinstance(code, int) else response.status_code
        description = mask(str(body.get("description") or response.reason_phrase or ""), self.token)[:200]
        raise ZaloApiError(response.status_code, code, description, _retry_after(body, response))

    async def get_me(self) -> dict[str, Any]:
        """The bot's own account (checks the token)."""
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_update(self, poll_seconds: int = POLL_TIMEOUT) -> dict[str, Any] | None:
        """One update, or None when the long poll ended idle (error 408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(poll_seconds)}, wait=poll_seconds + 15)
        except ZaloApiError as exc:
            if exc.code == 408:
                return None
            raise
        return result if isinstance(result, dict) and result else None

    async def send_message(self, chat_id: str, text: str) -> str | None:
        """Send one text (≤ 2,000 characters); return its message id."""
        return _message_id(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> str | None:
        """Send a photo by URL (Zalo takes no uploads and fetches it first); return its message id."""
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = fit(caption)[0]
        return _message_id(await self.call("sendPhoto", params, wait=self.photo_timeout))

    async def send_typing(self, chat_id: str) -> None:
        """Show "typing…" in the chat."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})

    async def set_webhook(self, url: str, secret: str) -> None:
        """Ask Zalo to POST updates to `url` with `secret` in the header."""
        await self.call("setWebhook", {"url": url, "secret_token": secret})

    async def delete_webhook(self) -> None:
        """Remove the webhook (needed before polling, whatever getWebhookInfo says)."""
        await self.call("deleteWebhook")


def _retry_after(body: dict[str, Any], response: httpx.Response) -> float | None:
    # Not documented by Zalo; honoured if a proxy or a future API version sends one.
    parameters = body.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
        return float(parameters["retry_after"])
    header = response.headers.get("Retry-After", "")
    return float(header) if header.isdigit() else None


def _message_id(result: Any) -> str | None:
    if isinstance(result, dict) and result.get("message_id") is not None:
        return str(result["message_id"])
    return None


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (what JavaScript's `length` counts: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int = TEXT_LIMIT - TEXT_MARGIN) -> list[str]:
    """`text` split on paragraph, line, then word boundaries into parts of at most `limit` UTF-16
    code units (so at most `limit` characters too). Nothing is lost but the spaces at a cut."""
    size = limit
    while True:
        parts = split_text(text, size)
        if all(utf16_len(part) <= limit for part in parts) or size <= limit // 2:
            break
        size -= limit // 20
    # Text made almost only of emoji may still be too long at half the size: cut those hard.
    return [piece for part in parts for piece in _hard_cut(part, limit)]


def _hard_cut(text: str, limit: int) -> list[str]:
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    units = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > limit:
            pieces.append("".join(current))
            current, units = [], 0
        current.append(char)
        units += width
    pieces.append("".join(current))
    return pieces


def unwrap(body: Any) -> dict[str, Any] | None:
    """An update from a webhook body or a getUpdates result: `{event_name, message}`, possibly
    wrapped in `{ok, result}`; None when it is neither."""
    if isinstance(body, dict) and "event_name" not in body and isinstance(body.get("result"), dict):
        body = body["result"]
    if isinstance(body, dict) and isinstance(body.get("event_name"), str):
        return body
    return None


def to_event(update: dict[str, Any]) -> Event | None:
    """A Zalo update as an Event, or None for what gets no answer: reactions, events without a
    message, groups, bots, malformed updates."""
    event_name = str(update.get("event_name", ""))
    message = update.get("message")
    if event_name == REACTION_EVENT or not isinstance(message, dict):
        return None  # a reaction is not a question: answering it would spend the quota
    chat: dict[str, Any] = _dict(message.get("chat"))
    sender: dict[str, Any] = _dict(message.get("from"))
    if chat.get("chat_type", "PRIVATE") != "PRIVATE" or sender.get("is_bot"):
        return None  # the bot talks to people one to one
    address = str(chat.get("id") or sender.get("id") or "")
    if not address or len(address) > 64:
        return None
    identity = Identity("zalo", address)
    name = str(sender.get("display_name") or sender.get("name") or "")[:128]
    message_id = str(message.get("message_id") or "")[:64]
    text = _str(message.get("text"))
    if event_name == LINK_EVENT:
        text = text.strip() or link_text(message)
    if event_name in (TEXT_EVENT, LINK_EVENT) and text:
        return Event(identity, "text", text, display_name=name, message_id=message_id)
    kind = MEDIA_EVENTS.get(event_name, "unsupported")
    file_ref = next((str(message[key]) for key in ("photo_url", "photo", "sticker", "voice_url", "url")
                     if isinstance(message.get(key), str) and message[key]), "")
    caption = _str(message.get("caption"))
    return Event(identity, "media", kind, display_name=name, message_id=message_id,
                 file_ref=file_ref[:1024], caption=caption)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def link_text(message: dict[str, Any]) -> str:
    """The text of a shared link when the message has no `text`: its URL (and title), from
    `link`, `links` or a link attachment (the shapes the reference client reads; undocumented)."""
    candidates: list[Any] = [message.get("link")]
    if isinstance(message.get("links"), list):
        candidates += message["links"]
    if isinstance(message.get("attachments"), list):
        candidates += [a.get("payload", a) for a in message["attachments"]
                       if isinstance(a, dict) and "link" in str(a.get("type", "link")).lower()]
    for item in candidates:
        if isinstance(item, dict):
            url, title = item.get("url") or item.get("href"), item.get("title")
            parts = [str(p).strip() for p in (title, url) if isinstance(p, str) and p.strip()]
            if parts:
                return "\n".join(parts)
    url = message.get("url")
    return url.strip() if isinstance(url, str) else ""
