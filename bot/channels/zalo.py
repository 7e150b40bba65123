"""The Zalo channel: a small async client for the Zalo Bot API (httpx) and the channel around it.

Zalo Bot API (https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>, JSON in and out):
- every answer is `{"ok": bool, "result": ..., "error_code": int, "description": str}`;
- `getUpdates {"timeout": "30"}` long-polls for ONE update (no offset, no list); an idle poll
  answers HTTP 408 — normal, we simply poll again. Only one poller per bot, and polling and
  a webhook are mutually exclusive;
- `setWebhook {url, secret_token}`: Zalo then POSTs each update to `url` with the header
  `X-Bot-Api-Secret-Token`; the body is `{event_name, message}` or wrapped in `{ok, result}`;
- `sendMessage {chat_id, text}` (1–2,000 characters), `sendPhoto {chat_id, photo: URL, caption}`;
  no keyboards, no buttons, no editing, no documents.

So options are rendered as a numbered list (the router matches typed numbers and labels),
text is split at 2,000 characters on paragraph boundaries, and the options a delivered
message shows are remembered (through a callback from the composition root) so a leader can
answer a broadcast or reminder by typing its number.

`edit` is a no-op on Zalo: there is no editing, and resending every progress update would
spend the plan's monthly message quota and flood a cheap phone; Zalo staff see final reports
through the commands that show them.

The token (`<digits>:<secret>`) is in every URL: it never reaches our logs or exception
messages (see `mask`), and the CLI keeps httpx's own request log at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.channels.base import (
    Blocked,
    DeliveryError,
    Dispatch,
    QuotaExceeded,
    Rejected,
    RetryAfter,
    Transient,
    Unknown,
)
from bot.channels.render import numbered_label
from bot.config import Config, ConfigError
from bot.model import Attachment, Event, Identity, Option, Reply
from bot.pacer import Pacer, Ticket
from bot.textutil import split_text

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000
POLL_TIMEOUT = 30  # seconds Zalo holds an idle getUpdates
SEEN_LIMIT = 4096  # message ids remembered for de-duplication
CHAT_QUEUE_LIMIT = 50  # updates waiting per chat before we drop (a flood, not a person)
WEBHOOK_BODY_LIMIT = 256 * 1024
REPLY_RETRIES = 2  # for direct replies; the outbox does its own retrying for deliveries
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MEDIA_EVENTS = {
    "message.image.received": "photo",
    "message.sticker.received": "sticker",
    "message.voice.received": "voice",
    "message.unsupported.received": "unsupported",
}

RememberOptions = Callable[[Identity, list[Option]], Awaitable[None]]


class ZaloApiError(Exception):
    """The Zalo Bot API answered with an error (the message never contains the token)."""

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


class TokenRefused(QuotaExceeded):
    """Zalo refused the token (401): nothing can be sent until an operator fixes it, so the
    outbox treats it like an exhausted quota: stop the channel and tell staff."""


def mask(text: str, token: str) -> str:
    """`text` with the bot token (and its secret half) replaced, for logs and errors."""
    if token:
        text = text.replace(token, "<token>")
        secret = token.partition(":")[2]
        if len(secret) >= 6:
            text = text.replace(secret, "<token>")
    return text


def webhook_secret(token: str, configured: str | None = None) -> str:
    """The webhook secret: CAUNOI_ZALO_WEBHOOK_SECRET (checked by the config), or one derived
    from the token (stable across restarts, 64 hex characters, and not the token itself)."""
    if configured:
        return configured
    return hmac.new(token.encode(), b"caunoi zalo webhook", hashlib.sha256).hexdigest()


class ZaloClient:
    """The Zalo Bot API over one httpx connection pool."""

    def __init__(self, token: str, api_url: str = "https://bot-api.zaloplatforms.com",
                 http: httpx.AsyncClient | None = None, timeout: float = 15.0) -> None:
        self.token = token
        self.base = f"{api_url.rstrip('/')}/bot{token}/"
        self.timeout = timeout
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0),
                                              limits=httpx.Limits(max_connections=20))

    async def close(self) -> None:
        """Release connections."""
        await self.http.aclose()

    async def call(self, method: str, params: dict[str, Any] | None = None,
                   *, wait: float | None = None) -> Any:
        """Call one method; return its `result`. Raises ZaloApiError or ZaloNetworkError.

        `wait` is how long to wait for the answer (a long poll waits longer than a send)."""
        request_timeout = httpx.Timeout(wait or self.timeout, connect=10.0)
        try:
            response = await self.http.post(self.base + method, json=params or {}, timeout=request_timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ZaloNetworkError(f"{method}: cannot connect ({type(exc).__name__})", sent=False) from None
        except httpx.TransportError as exc:
            # Read timeouts and dropped connections happen after the request went out.
            raise ZaloNetworkError(f"{method}: no answer ({type(exc).__name__})", sent=True) from None
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
        """One update, or None when the long poll ended idle (HTTP 408)."""
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
        """Send a photo by URL (Zalo takes no uploads); return its message id."""
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption[:TEXT_LIMIT]
        return _message_id(await self.call("sendPhoto", params))

    async def send_typing(self, chat_id: str) -> None:
        """Show "typing…" in the chat."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})

    async def set_webhook(self, url: str, secret: str) -> None:
        """Ask Zalo to POST updates to `url` with `secret` in the header."""
        await self.call("setWebhook", {"url": url, "secret_token": secret})

    async def delete_webhook(self) -> None:
        """Remove the webhook (back to polling)."""
        await self.call("deleteWebhook")

    async def webhook_url(self) -> str:
        """The webhook currently set, or "" (Zalo answers 404 when there is none)."""
        try:
            result = await self.call("getWebhookInfo")
        except ZaloApiError as exc:
            if exc.code == 404:
                return ""
            raise
        return str(result.get("url") or "") if isinstance(result, dict) else ""


def _retry_after(body: dict[str, Any], response: httpx.Response) -> float | None:
    parameters = body.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
        return float(parameters["retry_after"])
    header = response.headers.get("Retry-After", "")
    return float(header) if header.isdigit() else None


def _message_id(result: Any) -> str | None:
    if isinstance(result, dict) and result.get("message_id") is not None:
        return str(result["message_id"])
    return None


def delivery_error(exc: ZaloApiError | ZaloNetworkError) -> DeliveryError:
    """What the outbox should do about a failed send (bot/channels/base.py)."""
    if isinstance(exc, ZaloNetworkError):
        return Unknown(str(exc)) if exc.sent else Transient(str(exc))
    status, code, text = exc.status, exc.code, exc.description
    if code == 401 or status == 401:
        return TokenRefused(f"Zalo refused the bot token: {text}")
    if code == 403 or status == 403:
        return Blocked(text or "forbidden")
    if code == 429 or status == 429:
        # Zalo documents 429 as "Quota exceeded" (the plan's monthly messages): retrying soon
        # cannot help. A 429 that says otherwise is a rate limit: wait and send again.
        if "quota" in text.lower() or (exc.retry_after is None and "rate" not in text.lower()):
            return QuotaExceeded(text or "quota exceeded")
        return RetryAfter(exc.retry_after or 5.0, text)
    if status >= 500 or code >= 500:
        return Transient(f"Zalo server error {code}: {text}")
    if code == 408 or status == 408:
        return Unknown(f"Zalo timeout: {text}")
    if code == 404 or status == 404:
        return Blocked(text or "chat not found")
    return Rejected(f"Zalo refused the message ({code}): {text}")


def unwrap(body: Any) -> dict[str, Any] | None:
    """An update from a webhook body or a getUpdates result: `{event_name, message}`, possibly
    wrapped in `{ok, result}`; None when it is neither."""
    if isinstance(body, dict) and "event_name" not in body and isinstance(body.get("result"), dict):
        body = body["result"]
    if isinstance(body, dict) and isinstance(body.get("event_name"), str):
        return body
    return None


def to_event(update: dict[str, Any]) -> Event | None:
    """A Zalo update as an Event, or None for what we do not handle (groups, malformed)."""
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    chat, sender = message.get("chat"), message.get("from")
    chat = chat if isinstance(chat, dict) else {}
    sender = sender if isinstance(sender, dict) else {}
    if chat.get("chat_type", "PRIVATE") != "PRIVATE" or sender.get("is_bot"):
        return None  # the bot talks to people one to one
    address = str(chat.get("id") or sender.get("id") or "")
    if not address or len(address) > 64:
        return None
    identity = Identity("zalo", address)
    name = str(sender.get("display_name") or sender.get("name") or "")[:128]
    message_id = str(message.get("message_id") or "")[:64]
    event_name = str(update.get("event_name", ""))
    text = message.get("text")
    if event_name == "message.text.received" and isinstance(text, str):
        return Event(identity, "text", text, display_name=name, message_id=message_id)
    kind = MEDIA_EVENTS.get(event_name, "unsupported")
    file_ref = next((str(message[key]) for key in ("photo_url", "photo", "sticker", "voice_url", "url")
                     if isinstance(message.get(key), str) and message[key]), "")
    caption = message.get("caption")
    return Event(identity, "media", kind, display_name=name, message_id=message_id,
                 file_ref=file_ref[:1024], caption=caption if isinstance(caption, str) else "")


@dataclass(frozen=True)
class ZaloTexts:
    """The channel's own Vietnamese texts (content/texts/zalo.yaml)."""

    numbered_hint: str
    no_files: str
    photo_unavailable: str


class ZaloChannel:
    """Zalo: long polling by default, or a webhook server (`webhook_url` + `listen`)."""

    name = "zalo"
    text_limit = TEXT_LIMIT

    def __init__(
        self, config: Config, dispatch: Dispatch, texts: ZaloTexts, *,
        remember_options: RememberOptions | None = None, webhook_url: str | None = None,
        listen: str = "0.0.0.0:8443", client: ZaloClient | None = None,
        poll_timeout: int = POLL_TIMEOUT,
    ) -> None:
        if not config.zalo_token:
            raise ConfigError("ZALO_BOT_TOKEN is not set")
        self.token = config.zalo_token.reveal()
        self.client = client or ZaloClient(self.token, config.zalo_api_url)
        self.dispatch = dispatch
        self.texts = texts
        self.remember_options = remember_options
        self.rate = config.zalo_rate
        # Every message goes through it; the outbox reserves its slots from it too.
        self.pacer: Pacer | None = Pacer(self.rate) if self.rate > 0 else None
        self.poll_timeout = poll_timeout
        self.retry_base = 1.0  # seconds before the first retry (a poll, the webhook, a reply)
        self.webhook_url = webhook_url
        configured = config.zalo_webhook_secret.reveal() if config.zalo_webhook_secret else None
        self.secret = webhook_secret(self.token, configured)
        self.listen_host, self.listen_port = _host_port(listen) if webhook_url else ("", 0)
        self.webhook_port = 0  # the port actually bound (listen port 0 picks a free one)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._queues: dict[str, asyncio.Queue[Event]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None  # polling, or retrying webhook registration
        self._runner: Any = None  # aiohttp.web.AppRunner in webhook mode
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token, then start polling or serving the webhook. Zalo being unreachable at
        start-up is not fatal: polling and registering the webhook retry with backoff."""
        try:
            me = await self.client.get_me()
            log.info("zalo: bot %s (%s)", me.get("account_name") or me.get("display_name") or "?",
                     "webhook" if self.webhook_url else "long polling")
        except ZaloApiError as exc:
            if exc.code == 401:
                raise ConfigError("ZALO_BOT_TOKEN was refused by Zalo (401): check the token") from None
            log.warning("zalo: getMe failed (%s); carrying on", exc)
        except ZaloNetworkError as exc:
            log.warning("zalo: Zalo is not reachable yet (%s); will keep trying", exc)
        if self.webhook_url:
            await self._start_webhook()
        else:
            self._poller = asyncio.create_task(self._poll_forever(), name="zalo-poll")

    async def stop(self) -> None:
        """Stop receiving, let replies in progress finish (briefly), release connections."""
        self._stopping = True
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=5)
            for task in pending:
                task.cancel()
        await self.client.close()

    async def drained(self) -> None:
        """Wait until every message received so far has been answered."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    # -- receiving ---------------------------------------------------------------------------

    async def _leave_webhook(self) -> None:
        if await self.client.webhook_url():
            # `caunoi run` without --webhook-url means polling; Zalo refuses both at once.
            log.warning("zalo: a webhook was set; deleting it to poll instead")
            await self.client.delete_webhook()

    async def _poll_forever(self) -> None:
        backoff, webhook_checked = self.retry_base, False
        while not self._stopping:
            try:
                if not webhook_checked:
                    await self._leave_webhook()
                    webhook_checked = True
                update = await self.client.get_update(self.poll_timeout)
            except asyncio.CancelledError:
                raise
            except ZaloApiError as exc:
                if exc.code == 401:
                    log.error("zalo: the token was refused (401); polling stopped")
                    return
                log.warning("zalo: getUpdates failed: %s; retrying in %.0fs", exc, backoff)
                webhook_checked = False  # e.g. someone set a webhook meanwhile: look again
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception as exc:  # network trouble: keep polling, never crash the bot
                log.warning("zalo: getUpdates failed: %s; retrying in %.0fs",
                            mask(str(exc), self.token), backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = self.retry_base
            if update is not None:
                self.accept(update)

    def accept(self, body: Any) -> bool:
        """Queue one update (polled or posted) for processing; False if ignored or a duplicate."""
        update = unwrap(body)
        event = to_event(update) if update is not None else None
        if event is None:
            log.debug("zalo: ignored an update (%s)", update.get("event_name") if update else "malformed")
            return False
        if event.message_id:
            if event.message_id in self._seen:
                log.info("zalo: duplicate message %s ignored", event.message_id)
                return False
            self._seen[event.message_id] = None
            if len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)
        address = event.identity.address
        queue = self._queues.get(address)
        if queue is None:
            queue = asyncio.Queue(CHAT_QUEUE_LIMIT)
            self._queues[address] = queue
            self._spawn(self._drain(address, queue), f"zalo-chat-{address[:12]}")
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("zalo: too many messages waiting from one chat; dropped one")
            self._seen.pop(event.message_id, None)  # a retry of it may still be answered
            return False
        return True

    async def _drain(self, address: str, queue: asyncio.Queue[Event]) -> None:
        # One task per chat at a time: a person's messages are answered in order, and
        # different people are answered concurrently.
        try:
            while not queue.empty():
                event = queue.get_nowait()
                try:
                    await self.send_replies(address, await self.dispatch(event))
                except DeliveryError as exc:
                    log.warning("zalo: reply not delivered: %s", mask(str(exc), self.token))
                except Exception:
                    log.exception("zalo: failed to answer a message")
        finally:
            if self._queues.get(address) is queue:
                del self._queues[address]

    async def _start_webhook(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=WEBHOOK_BODY_LIMIT)
        path = urlsplit(self.webhook_url or "").path or "/"
        app.router.add_post(path, self._on_webhook)
        app.router.add_get(path, self._on_check)  # a reverse proxy's or an operator's health check
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.listen_host, self.listen_port)
        await site.start()
        self._runner = runner
        sockets = [s for s in (runner.addresses or []) if isinstance(s, tuple)]
        self.webhook_port = int(sockets[0][1]) if sockets else self.listen_port
        log.info("zalo: webhook listening on %s:%s%s", self.listen_host, self.webhook_port, path)
        if not (self.webhook_url or "").startswith("https://"):
            log.warning("zalo: the webhook URL is not HTTPS; Zalo requires HTTPS")
        try:
            await self.client.set_webhook(self.webhook_url or "", self.secret)
        except ZaloApiError as exc:
            if exc.code < 500:
                raise ConfigError(f"--webhook-url: Zalo refused the webhook ({exc.code}): {exc.description}") from None
            log.warning("zalo: could not register the webhook yet (%s); retrying", exc)
            self._poller = asyncio.create_task(self._register_later(), name="zalo-webhook")
        except ZaloNetworkError as exc:
            log.warning("zalo: could not register the webhook yet (%s); retrying", exc)
            self._poller = asyncio.create_task(self._register_later(), name="zalo-webhook")

    async def _register_later(self) -> None:
        backoff = self.retry_base
        while not self._stopping:
            await asyncio.sleep(backoff)
            try:
                await self.client.set_webhook(self.webhook_url or "", self.secret)
            except (ZaloApiError, ZaloNetworkError) as exc:
                log.warning("zalo: webhook registration failed (%s); retrying", exc)
                backoff = min(backoff * 2, 60.0)
                continue
            log.info("zalo: webhook registered")
            return

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_check(self, request: Any) -> Any:
        from aiohttp import web

        return web.json_response({"ok": True, "channel": "zalo"})

    async def _on_webhook(self, request: Any) -> Any:
        from aiohttp import web

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("zalo: webhook request with a wrong secret from %s", request.remote)
            return web.json_response({"ok": False, "description": "forbidden"}, status=403)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            return web.json_response({"ok": False, "description": "bad json"}, status=400)
        # Answer at once; the update is processed in its chat's task.
        self.accept(body)
        return web.json_response({"ok": True})

    # -- sending -----------------------------------------------------------------------------

    def render(self, reply: Reply, start: int = 1, hint: bool = True) -> list[str]:
        """The messages one reply becomes: text, options numbered from `start`, the hint; split
        at 2,000 characters; an attachment becomes a short explanation (Zalo takes photos by
        URL only and has no documents)."""
        text = reply.text
        if reply.options:
            lines = [numbered_label(i, option.label) for i, option in enumerate(reply.options, start=start)]
            tail = f"\n{self.texts.numbered_hint}" if hint else ""
            text = f"{text}\n\n" + "\n".join(lines) + tail
        parts = [part for part in fit(text) if part.strip()]
        attachment = reply.attachment
        if attachment is not None and not _photo_url(attachment):
            parts.append(self.texts.no_files if attachment.kind == "document" else self.texts.photo_unavailable)
        return parts

    async def send_replies(self, address: str, replies: list[Reply]) -> str | None:
        """Answer a message. Options are numbered on across the replies, as the router numbers
        the options it stored for this answer; the hint comes once, after the last list.
        A rate limit or a network error gets a few short retries: the person is waiting."""
        last_with_options = max((i for i, r in enumerate(replies) if r.options), default=-1)
        start, message_id = 1, None
        for i, reply in enumerate(replies):
            parts = self.render(reply, start, i == last_with_options)
            message_id = await self._send_parts(address, parts, retries=REPLY_RETRIES)
            if reply.attachment is not None and (url := _photo_url(reply.attachment)):
                async with self._slot(None):
                    try:
                        message_id = await self.client.send_photo(address, url)
                    except (ZaloApiError, ZaloNetworkError) as exc:
                        raise delivery_error(exc) from None
            start += len(reply.options)
        return message_id

    async def _send_parts(self, address: str, parts: list[str], retries: int = 0,
                          ticket: Ticket | None = None) -> str | None:
        """Send the parts in order, the first in `ticket`'s slot. Once a part went out, the rest
        get the reply retries whatever `retries` says, and a part that still fails raises Unknown
        (unless the person is gone or the part refused): sending the whole again would repeat."""
        message_id: str | None = None
        for i, part in enumerate(parts):
            tries = retries if i == 0 else max(retries, REPLY_RETRIES)
            for attempt in range(tries + 1):
                try:
                    async with self._slot(ticket if i == 0 and attempt == 0 else None):
                        message_id = await self.client.send_message(address, part)
                    break
                except (ZaloApiError, ZaloNetworkError) as exc:
                    error = delivery_error(exc)
                    wait = error.seconds if isinstance(error, RetryAfter) else self.retry_base * 2 ** attempt
                    if attempt == tries or not isinstance(error, RetryAfter | Transient) or wait > 30:
                        if i > 0 and not isinstance(error, Blocked | Rejected | TokenRefused):
                            raise Unknown(f"{i} of {len(parts)} parts sent, then: {error}") from None
                        raise error from None
                    log.info("zalo: message part not sent (%s); retrying in %.0fs", type(error).__name__, wait)
                    await asyncio.sleep(wait)
        return message_id

    def _slot(self, ticket: Ticket | None) -> contextlib.AbstractAsyncContextManager[object]:
        """The pacer's slot for one request (none when CAUNOI_ZALO_RATE is 0)."""
        return self.pacer.slot(ticket) if self.pacer is not None else contextlib.nullcontext()

    async def deliver(self, address: str, reply: Reply, *, paid: bool = False,
                      ticket: Ticket | None = None) -> str | None:
        """Send an outbox message (`paid` has no meaning on Zalo), its first part in `ticket`'s
        slot. Its options become the ones a typed number chooses, so a leader answers a reminder
        by typing "1"."""
        message_id = await self._send_parts(address, self.render(reply), ticket=ticket)
        if reply.options and self.remember_options is not None:
            try:
                await self.remember_options(Identity(self.name, address), list(reply.options))
            except Exception:  # the message went out: report it sent; typing a number may miss
                log.exception("zalo: could not remember the options of a delivered message")
        return message_id

    async def edit(self, address: str, message_id: str, reply: Reply) -> None:
        """No editing on Zalo: a no-op (see the module docstring)."""


def _photo_url(attachment: Attachment) -> str:
    """The URL of a photo passed on by reference (Zalo sends photos by URL only), or ""."""
    is_url = attachment.ref.startswith(("https://", "http://"))
    return attachment.ref if attachment.kind == "photo" and is_url else ""


def fit(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` split on paragraph boundaries into parts of at most `limit` characters, counted
    both as Python counts them and in UTF-16 units (as Zalo may: an emoji is then two), so no
    part is refused as too long."""
    size = limit
    while True:
        parts = split_text(text, size)
        if all(len(part.encode("utf-16-le")) // 2 <= limit for part in parts) or size <= limit // 2:
            return parts
        size -= limit // 20


def _host_port(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen: '{listen}' is not host:port (e.g. 0.0.0.0:8443)")
    return host.strip("[]") or "0.0.0.0", int(port)
