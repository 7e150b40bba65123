"""The Zalo channel: receiving (a webhook in production, long polling for development) and sending
through the Bot API client (bot/channels/zalo_api.py), with what failures mean decided in
bot/channels/zalo_delivery.py.

Zalo has no keyboards, no buttons, no editing and no documents. So options are rendered as a
numbered list (the router matches typed numbers and labels), text is split below 2,000 UTF-16
units on paragraph boundaries, and the options a delivered message shows are remembered (through
a callback from the composition root) so a leader can answer a broadcast or reminder by typing
its number.

Receiving: text and shared links become text; photos, stickers, voice and hidden content get the
router's short "media" answer; a reaction gets no answer at all (it is not a question, and an
answer spends quota); an event without a message, or of a kind we do not know, is logged once
per kind and otherwise ignored.

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

from bot.channels.base import Blocked, DeliveryError, Dispatch, Rejected, RetryAfter, Transient, Unknown
from bot.channels.render import numbered_label
from bot.channels.zalo_api import (
    KNOWN_EVENTS,
    POLL_TIMEOUT,
    TEXT_LIMIT,
    ZaloApiError,
    ZaloClient,
    ZaloNetworkError,
    fit,
    mask,
    to_event,
    unwrap,
)
from bot.channels.zalo_delivery import NoteRefusal, Refusals, TokenRefused
from bot.config import Config, ConfigError
from bot.model import Attachment, Event, Identity, Option, Reply
from bot.pacer import Pacer, Ticket

log = logging.getLogger(__name__)

SEEN_LIMIT = 4096  # message ids remembered for de-duplication
CHAT_QUEUE_LIMIT = 50  # updates waiting per chat before we drop (a flood, not a person)
WEBHOOK_BODY_LIMIT = 256 * 1024
REPLY_RETRIES = 2  # for direct replies; the outbox does its own retrying for deliveries
REPLY_MAX_WAIT = 10.0  # seconds a waiting person's reply may be held back before giving up
SECRET_HEADER = "X-Bot-Api-Secret-Token"

RememberOptions = Callable[[Identity, list[Option]], Awaitable[None]]


def webhook_secret(token: str, configured: str | None = None) -> str:
    """The webhook secret: CAUNOI_ZALO_WEBHOOK_SECRET (checked by the config), or one derived
    from the token (stable across restarts, 64 hex characters, and not the token itself)."""
    if configured:
        return configured
    return hmac.new(token.encode(), b"caunoi zalo webhook", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ZaloTexts:
    """The channel's own Vietnamese texts (content/texts/zalo.yaml)."""

    numbered_hint: str
    no_files: str
    photo_unavailable: str
    quota_plan: str = ""  # what the plans allow, for the outbox's quota alert to staff


class ZaloChannel:
    """Zalo: a webhook server (`webhook_url` + `listen`, production), or long polling (development)."""

    name = "zalo"
    text_limit = TEXT_LIMIT

    def __init__(
        self, config: Config, dispatch: Dispatch, texts: ZaloTexts, *,
        remember_options: RememberOptions | None = None, webhook_url: str | None = None,
        listen: str = "0.0.0.0:8443", client: ZaloClient | None = None,
        poll_timeout: int = POLL_TIMEOUT, note_refusal: NoteRefusal | None = None,
    ) -> None:
        if not config.zalo_token:
            raise ConfigError("ZALO_BOT_TOKEN is not set")
        self.token = config.zalo_token.reveal()
        self.client = client or ZaloClient(self.token, config.zalo_api_url)
        self.dispatch = dispatch
        self.texts = texts
        self.remember_options = remember_options
        self.quota_note = texts.quota_plan  # read by the outbox's quota alert
        # Recent refusals: 429 back-off steps, outages, and per-person evidence via note_refusal.
        self.refusals = Refusals(note_refusal)
        self._logged_kinds: set[str] = set()
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
        # Polling and a webhook exclude each other. Asked unconditionally: getWebhookInfo can
        # answer 404 whether a webhook is set or not, so it cannot tell us whether to delete.
        await self.client.delete_webhook()
        log.info("zalo: webhook removed (if one was set); long polling (for development: "
                 "an update in flight at a restart can be lost)")

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
                webhook_checked = False  # e.g. someone set a webhook meanwhile: delete it again
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
        if update is not None:
            self._note_kind(update)
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

    def _note_kind(self, update: dict[str, Any]) -> None:
        """Log an event we do not know, or one without a message, once per kind (never its content)."""
        name = str(update.get("event_name"))[:80]
        has_message = isinstance(update.get("message"), dict)
        if name in KNOWN_EVENTS and has_message:
            return
        kind = name if has_message else f"{name} (no message)"
        if kind not in self._logged_kinds and len(self._logged_kinds) < 100:
            self._logged_kinds.add(kind)
            log.warning("zalo: an event of kind %s was received; it gets no special handling "
                        "(logged once per kind)", kind)

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
            if exc.code in (400, 401):  # the URL or the token: waiting will not fix it
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
                message_id = await self._send_photo(address, url, after_text=bool(parts))
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
                began = self.refusals.begin()
                try:
                    async with self._slot(ticket if i == 0 and attempt == 0 else None):
                        message_id = await self.client.send_message(address, part)
                    self.refusals.succeeded()
                    break
                except (ZaloApiError, ZaloNetworkError) as exc:
                    error = await self.refusals.classify(exc, address, began)
                    wait = error.seconds if isinstance(error, RetryAfter) else self.retry_base * 2 ** attempt
                    if attempt == tries or not isinstance(error, RetryAfter | Transient) or wait > REPLY_MAX_WAIT:
                        if i > 0 and not isinstance(error, Blocked | Rejected | TokenRefused):
                            raise Unknown(f"{i} of {len(parts)} parts sent, then: {error}") from None
                        raise error from None
                    log.info("zalo: message part not sent (%s); retrying in %.0fs", type(error).__name__, wait)
                    await asyncio.sleep(wait)
        return message_id

    async def _send_photo(self, address: str, url: str, after_text: bool) -> str | None:
        """Send a photo by URL, once (Zalo fetches it before answering, so it may take long).
        After text went out, a failure that may repeat what arrived is Unknown."""
        began = self.refusals.begin()
        try:
            async with self._slot(None):
                message_id = await self.client.send_photo(address, url)
        except (ZaloApiError, ZaloNetworkError) as exc:
            error = await self.refusals.classify(exc, address, began)
            if after_text and not isinstance(error, Blocked | Rejected | TokenRefused | Unknown):
                raise Unknown(f"text sent, then the photo: {error}") from None
            raise error from None
        self.refusals.succeeded()
        return message_id

    def _slot(self, ticket: Ticket | None) -> contextlib.AbstractAsyncContextManager[object]:
        """The pacer's slot for one request (none when CAUNOI_ZALO_RATE is 0)."""
        return self.pacer.slot(ticket) if self.pacer is not None else contextlib.nullcontext()

    async def deliver(self, address: str, reply: Reply, *, paid: bool = False,
                      ticket: Ticket | None = None) -> str | None:
        """Send an outbox message (`paid` has no meaning on Zalo), its first part in `ticket`'s
        slot. Its options become the ones a typed number chooses, so a leader answers a reminder
        by typing "1"."""
        parts = self.render(reply)
        message_id = await self._send_parts(address, parts, ticket=ticket)
        if reply.attachment is not None and (url := _photo_url(reply.attachment)):
            message_id = await self._send_photo(address, url, after_text=bool(parts))
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


def _host_port(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen: '{listen}' is not host:port (e.g. 0.0.0.0:8443)")
    return host.strip("[]") or "0.0.0.0", int(port)
