"""The Telegram channel: python-telegram-bot polling, updates -> Events, Replies -> messages.

Works against api.telegram.org or any self-hosted Bot API server (`TELEGRAM_API_URL`).
Messages are paced by `CAUNOI_TELEGRAM_RATE` (smooth, no bursts, never more than the rate in
any second; 0 = no pacing) through one Pacer (bot/pacer.py) that the outbox shares.
A reply that meets flood control (429) is sent again after `retry_after`; `deliver` (the
outbox's path) does not retry a message that has not started to go out, and maps errors to
bot/channels/base.py.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram import error as tg_error
from telegram.constants import MessageEntityType
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot, TypeHandler

from bot.channels import base
from bot.channels.base import Dispatch
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_limiter import ChatRetryAfter, PacedRateLimiter
from bot.config import Config, ConfigError
from bot.content import Content
from bot.model import Event, Identity, Reply
from bot.pacer import Pacer, Ticket
from bot.router import Router
from bot.textutil import split_text

log = logging.getLogger(__name__)


class _OneLineNetworkErrors(logging.Filter):
    """PTB logs a full traceback when the server cannot be reached (e.g. its last getUpdates at
    shutdown); a network error needs one line, not forty."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, tg_error.NetworkError):
            record.msg = f"{record.getMessage()} ({error})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("telegram.ext.Updater").addFilter(_OneLineNetworkErrors())

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile limit
MAX_REPLY_RETRIES = 8  # 429s on one direct reply before giving up (each waits retry_after)
_BLOCKED_HINTS = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked",
                  "user not found", "peer_id_invalid")
_COMMAND_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def retry_seconds(exc: tg_error.RetryAfter) -> float:
    """retry_after in seconds (an int in PTB 22, a timedelta later)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(exc: tg_error.TelegramError) -> base.DeliveryError:
    """What the outbox should do about a Telegram error."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, tg_error.RetryAfter):
        return base.RetryAfter(retry_seconds(exc), text, chat_only=isinstance(exc, ChatRetryAfter))
    if isinstance(exc, tg_error.Forbidden):
        return base.Blocked(text)
    if isinstance(exc, tg_error.BadRequest):  # a NetworkError subclass: test it first
        if any(hint in lowered for hint in _BLOCKED_HINTS):
            return base.Blocked(text)
        return base.Rejected(text)
    if isinstance(exc, tg_error.TimedOut):
        # A pool timeout means the request never left; any other timeout may have been delivered.
        return base.Transient(text) if "pool timeout" in lowered else base.Unknown(text)
    if isinstance(exc, tg_error.ChatMigrated):
        return base.Rejected(text)
    return base.Transient(text)


def inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's options as inline buttons, `reply.columns` per row."""
    if not reply.options:
        return None
    columns = max(1, reply.columns)
    buttons = [InlineKeyboardButton(o.label, callback_data=o.payload) for o in reply.options]
    return InlineKeyboardMarkup([buttons[i:i + columns] for i in range(0, len(buttons), columns)])


def contact_keyboard(reply: Reply, contact_label: str) -> ReplyKeyboardMarkup:
    """The share-phone button plus the options as plain text buttons (their labels come back as text)."""
    rows = [[KeyboardButton(contact_label, request_contact=True)]]
    rows += [[KeyboardButton(o.label)] for o in reply.options]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


class TelegramChannel:
    """A running Telegram bot (long polling) for one token."""

    name = "tg"
    text_limit = TEXT_LIMIT

    def __init__(
        self, config: Config, dispatch: Dispatch, router: Router, content: Content, *,
        poll_timeout: float = 10.0, concurrency: int = 64,
    ) -> None:
        if not config.telegram_token:
            raise ValueError("TelegramChannel needs TELEGRAM_BOT_TOKEN")
        self.config = config
        self.dispatch = dispatch
        self.router = router
        self.content = content
        self.poll_timeout = poll_timeout
        self._keyboard_chats: set[int] = set()  # chats showing the share-phone keyboard
        self._turns: dict[int, asyncio.Future[None]] = {}  # per chat: the update being handled last
        self._poll_delay = 0.0  # the retry loop's current wait after failed polls
        self._poll_failed_at = float("-inf")
        api = config.telegram_api_url.rstrip("/")
        self._base_url = f"{api}/bot"
        self._base_file_url = f"{api}/file/bot"
        self._requests = (AiohttpRequest(concurrency + 32, pool_timeout=30.0),
                          AiohttpRequest(1, read_timeout=poll_timeout + 10.0))
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            Application.builder()
            .token(config.telegram_token.reveal())
            .base_url(self._base_url)
            .base_file_url(self._base_file_url)
            .concurrent_updates(concurrency)
            # aiohttp, not PTB's httpx default: far less CPU per update with 64 at once
            # (bot/channels/telegram_http.py). + 32 connections of headroom for outbox deliveries.
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .job_queue(None)  # the app has its own scheduler
        )
        # The pacer every message goes through; the outbox reserves its slots from it too.
        self.pacer: Pacer | None = Pacer(config.telegram_rate) if config.telegram_rate > 0 else None
        if self.pacer is not None:
            builder = builder.rate_limiter(PacedRateLimiter(self.pacer, retry_seconds))
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._paid_bot: ExtBot[Any] | None = None
        # Called after each update is fully answered (tests and benchmarks wait on it).
        self.on_handled: Callable[[Update], None] | None = None

    @property
    def bot(self) -> ExtBot[Any]:
        """The python-telegram-bot Bot used for every request but paid broadcasts."""
        return self.application.bot

    # ----- lifecycle

    async def start(self) -> None:
        """Connect (getMe), register the command list, start polling in the background."""
        await self._connect()
        await self.register_commands()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            timeout=int(self.poll_timeout) if self.poll_timeout >= 1 else self.poll_timeout,  # type: ignore[arg-type]
            allowed_updates=["message", "callback_query"],
            drop_pending_updates=False,
            bootstrap_retries=-1,  # a network hiccup at start-up is retried, not fatal
            error_callback=self._polling_failed,
        )
        log.info("telegram: polling as @%s", self.bot.username)

    async def _connect(self) -> None:
        """getMe until it works: a refused token stops start-up; an unreachable server is retried."""
        delay = 1.0
        while True:
            try:
                await self.application.initialize()
                return
            except tg_error.InvalidToken:  # its message repeats the token: keep that out of logs
                raise ConfigError(f"TELEGRAM_BOT_TOKEN: the Bot API at {self.config.telegram_api_url} "
                                  "refused this token (copy it again from @BotFather)") from None
            except tg_error.NetworkError as exc:
                log.warning("telegram: cannot reach %s (%s); trying again in %.0fs",
                            self.config.telegram_api_url, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    def _polling_failed(self, exc: tg_error.TelegramError) -> None:
        """One line per failed poll with the wait PTB's retry loop takes next (1 s, growing to 30 s),
        instead of its traceback for every attempt."""
        now = asyncio.get_running_loop().time()
        if now - self._poll_failed_at > self._poll_delay + self.poll_timeout + 15:
            self._poll_delay = 0.0  # polls worked in between: PTB starts again from 1 s
        self._poll_failed_at = now
        self._poll_delay = 1.0 if self._poll_delay == 0 else min(30.0, 1.5 * self._poll_delay)
        log.warning("telegram: cannot reach %s (%s); polling again in %.1fs",
                    self.config.telegram_api_url, exc, self._poll_delay)

    async def stop(self) -> None:
        """Stop polling, finish updates in progress, close connections."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        for request in self._requests:  # opened by a getMe that failed: PTB's shutdown skips them
            await request.shutdown()
        if self._paid_bot is not None:
            await self._paid_bot.shutdown()
            self._paid_bot = None

    async def register_commands(self) -> None:
        """setMyCommands: leaders' commands for everyone, all commands for each staff chat."""
        leaders = self._commands(staff=False)
        everything = self._commands(staff=True)
        try:
            await self.bot.set_my_commands(leaders, scope=BotCommandScopeDefault())
        except tg_error.TelegramError as exc:
            log.warning("telegram: setMyCommands failed: %s", exc)
        for identity in sorted(self.config.admins, key=str):
            if identity.channel != "tg" or not identity.address.lstrip("-").isdigit():
                continue
            try:
                await self.bot.set_my_commands(everything, scope=BotCommandScopeChat(int(identity.address)))
            except tg_error.TelegramError as exc:  # e.g. the staff member has not opened the bot yet
                log.warning("telegram: setMyCommands for staff chat %s failed: %s", identity.address, exc)

    def _commands(self, staff: bool) -> list[BotCommand]:
        commands = []
        for info in self.router.command_info:
            if info.staff and not staff:
                continue
            if not set(info.name) <= _COMMAND_CHARS or len(info.name) > 32:
                continue  # Telegram accepts only lower-case latin letters, digits and _
            description = self.content.texts(info.description_key)[:256]
            commands.append(BotCommand(info.name, description))
        return commands[:100]

    # ----- incoming

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One update: answer a callback at once, then dispatch and reply in this chat's order."""
        user = update.effective_user
        chat_key = user.id if user is not None else 0
        # Updates run concurrently; a chat's updates must still be handled in the order sent.
        # Taking the turn before any await keeps Telegram's order (tasks start in update order).
        previous = self._turns.get(chat_key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns[chat_key] = mine
        try:
            query = update.callback_query
            if query is not None:
                try:
                    await query.answer()
                except tg_error.TelegramError as exc:  # too old, or a network hiccup: the reply still goes
                    log.info("telegram: answerCallbackQuery failed: %s", exc)
            if previous is not None:
                await asyncio.shield(previous)
            await self._handle(update)
        finally:
            mine.set_result(None)
            if self._turns.get(chat_key) is mine:
                del self._turns[chat_key]
            if self.on_handled is not None:
                self.on_handled(update)

    async def _handle(self, update: Update) -> None:
        event = await self.to_event(update)
        if event is None:
            return
        replies = await self.dispatch(event)
        if replies:
            await self.send_replies(int(event.identity.address), replies)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log and carry on: one bad update never stops the bot."""
        log.error("telegram: error while handling an update", exc_info=context.error)

    async def to_event(self, update: Update) -> Event | None:
        """The Event for an update (None for what the bot ignores: groups, edits, channel posts)."""
        query = update.callback_query
        if query is not None:
            if not query.data or query.from_user is None:
                return None
            message_id = str(query.message.message_id) if query.message is not None else ""
            return Event(self._identity(query.from_user.id), "choice", query.data,
                         display_name=query.from_user.full_name, message_id=message_id)
        message = update.message
        if message is None or message.from_user is None or message.chat.type != "private":
            return None
        identity = self._identity(message.from_user.id)
        common: dict[str, Any] = {"display_name": message.from_user.full_name,
                                  "message_id": str(message.message_id)}
        if message.contact is not None:
            # The contact button shares the sender's own number; a forwarded card has another user_id.
            own = message.contact.user_id is not None and message.contact.user_id == message.from_user.id
            return Event(identity, "contact", message.contact.phone_number, verified=own, **common)
        if message.text is not None:
            command = self._command(message)
            if command is not None:
                name, args = command
                return Event(identity, "command", name, args, **common)
            return Event(identity, "text", message.text, **common)
        return await self._media_event(identity, message, common)

    def _identity(self, user_id: int) -> Identity:
        return Identity("tg", str(user_id))

    def _command(self, message: Message) -> tuple[str, str] | None:
        """("name", "args") for "/name@bot args" when a bot_command entity starts the text."""
        text = message.text or ""
        for entity in message.entities or ():
            if entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
                head = message.parse_entity(entity)
                name, _, target = head[1:].partition("@")
                if target and self.bot.username and target.lower() != self.bot.username.lower():
                    return None
                return name.lower(), text[len(head):].strip()
        return None

    async def _media_event(self, identity: Identity, message: Message, common: dict[str, Any]) -> Event:
        """A photo, voice note, sticker, document… as a media Event (a document's bytes on request)."""
        caption = message.caption or ""
        if message.document is not None:
            doc = message.document
            fetch = None
            if doc.file_size is not None and doc.file_size <= DOWNLOAD_LIMIT:
                fetch = partial(self._download, doc.file_id)  # only a handler that takes files calls it
            return Event(identity, "media", "document", file_ref=doc.file_id, caption=caption,
                         file_size=doc.file_size or 0, file_name=doc.file_name or "", fetch=fetch, **common)
        if message.photo:
            photo = message.photo[-1]  # the largest size
            return Event(identity, "media", "photo", file_ref=photo.file_id, caption=caption,
                         file_size=photo.file_size or 0, **common)
        for kind in ("voice", "audio", "video", "video_note", "animation", "sticker"):
            media = getattr(message, kind)
            if media is not None:
                return Event(identity, "media", kind, file_ref=media.file_id, caption=caption,
                             file_size=getattr(media, "file_size", 0) or 0,
                             file_name=getattr(media, "file_name", "") or "", **common)
        kind = "location" if message.location is not None else "other"
        return Event(identity, "media", kind, caption=caption, **common)

    async def _download(self, file_id: str) -> bytes | None:
        try:
            file = await self.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())
        except tg_error.TelegramError as exc:
            log.warning("telegram: could not download a document: %s", exc)
            return None

    # ----- outgoing

    async def send_replies(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """Send a handler's replies in order; a blocked chat ends the list quietly."""
        replies = list(replies)
        if replies and chat_id in self._keyboard_chats and not any(r.ask_contact for r in replies):
            self._keyboard_chats.discard(chat_id)
            first = replies[0]
            if not first.options and first.attachment is None:
                replies[0] = _Removal(first.text)  # the first reply carries the keyboard removal
            else:  # a message has one markup: inline buttons cannot remove the reply keyboard
                replies.insert(0, _Removal(self.content.texts("telegram.keyboard_closed")))
        for reply in replies:
            try:
                await self._send(chat_id, reply, retry=True, remove_keyboard=isinstance(reply, _Removal))
            except tg_error.Forbidden as exc:
                log.info("telegram: chat %s refuses messages: %s", chat_id, exc)
                return
            except tg_error.TelegramError as exc:  # this reply is lost; the next ones may still go
                log.warning("telegram: a reply to %s failed: %s", chat_id, exc)

    async def _send(self, chat_id: int, reply: Reply, *, retry: bool, paid: bool = False,
                    remove_keyboard: bool = False, ticket: Ticket | None = None) -> int:
        """Send one reply (split when long, buttons on the last part); return the last message id.
        `ticket`: the pacer slot reserved for the first request. Without `retry` only the first
        request may fail as it is: once a part went out, a 429 is waited out and sent again, and
        any other failure raises _PartlySent (resending the whole would repeat the first parts)."""
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
        if reply.ask_contact:
            markup = contact_keyboard(reply, self.content.texts("onboarding.share_phone_button"))
            self._keyboard_chats.add(chat_id)
        elif remove_keyboard:
            markup = ReplyKeyboardRemove()
        else:
            markup = inline_keyboard(reply)
        bot = self._paid() if paid else self.bot
        extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
        parts = split_text(reply.text, TEXT_LIMIT) if reply.text.strip() else []
        if not parts and reply.attachment is None:
            parts = ["…"]  # Telegram refuses empty messages
        calls: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = [
            (bot.send_message, (chat_id, part), {"reply_markup": markup if i == len(parts) - 1 else None})
            for i, part in enumerate(parts)]
        if reply.attachment is not None:
            attachment = reply.attachment
            if not attachment.reachable_from(self.name):
                calls.append((bot.send_message, (chat_id, self.content.texts("telegram.file_elsewhere")), {}))
            else:
                # A reference (file id or URL) is passed on as a string; bytes are uploaded.
                file: InputFile | str = attachment.ref or InputFile(attachment.data, filename=attachment.filename,
                                                                     attach=False)
                sends = {"photo": bot.send_photo, "voice": bot.send_voice, "audio": bot.send_audio,
                         "video": bot.send_video, "video_note": bot.send_video_note}
                calls.append((sends.get(attachment.kind, bot.send_document), (chat_id, file), {}))
        message_id = 0
        for i, (method, args, kwargs) in enumerate(calls):
            kwargs = {**kwargs, **extra}
            if i == 0 and ticket is not None:
                kwargs["rate_limit_args"] = ticket
            try:
                sent = await self._call(retry or i > 0, method, *args, **kwargs)
            except tg_error.TelegramError as exc:
                if i == 0 or retry:
                    raise
                raise _PartlySent(i, len(calls), exc) from exc
            message_id = sent.message_id
        return message_id

    async def _call(self, retry: bool, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a Bot method; with `retry`, a 429 waits retry_after and tries again."""
        attempt = 0
        while True:
            try:
                return await method(*args, **kwargs)
            except tg_error.RetryAfter as exc:
                attempt += 1
                if not retry or attempt > MAX_REPLY_RETRIES:
                    raise
                wait = retry_seconds(exc)
                log.info("telegram: flood control, sending again in %.1fs", wait)
                kwargs.pop("rate_limit_args", None)  # a reserved slot is used up: take a new one
                await asyncio.sleep(wait + 0.05)

    def _paid(self) -> ExtBot[Any]:
        """A Bot without the 30/s limiter for paid broadcasts (the outbox paces those)."""
        if self._paid_bot is None:
            assert self.config.telegram_token
            # As many connections as sends in flight.
            pool = AiohttpRequest(max(self.config.outbox_concurrency, 1), pool_timeout=30.0)
            self._paid_bot = ExtBot(self.config.telegram_token.reveal(), base_url=self._base_url,
                                    base_file_url=self._base_file_url, request=pool)
        return self._paid_bot

    async def deliver(self, address: str, reply: Reply, *, paid: bool = False,
                      ticket: Ticket | None = None) -> str | None:
        """Send one outbox reply (its first request in `ticket`'s slot, reserved from self.pacer);
        errors mapped to bot/channels/base.py."""
        chat_id = _chat_id(address)
        try:
            if paid:
                await self._paid().initialize()  # once: later calls return at once
            message_id = await self._send(chat_id, reply, retry=False, paid=paid,
                                          ticket=None if paid else ticket)
        except _PartlySent as exc:
            error = delivery_error(exc.error)
            if isinstance(error, base.Blocked | base.Rejected):
                raise error from exc
            # Sending again would repeat the parts that went out; staff decide instead.
            raise base.Unknown(str(exc)) from exc
        except tg_error.TelegramError as exc:
            raise delivery_error(exc) from exc
        return str(message_id) if message_id else None

    async def edit(self, address: str, message_id: str, reply: Reply) -> None:
        """Change a sent message's text and inline buttons (unchanged content is not an error)."""
        chat_id = _chat_id(address)
        text = split_text(reply.text, TEXT_LIMIT)[0] if reply.text.strip() else "…"
        try:
            await self.bot.edit_message_text(text, chat_id=chat_id, message_id=int(message_id),
                                             reply_markup=inline_keyboard(reply))
        except tg_error.BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            raise delivery_error(exc) from exc
        except tg_error.TelegramError as exc:
            raise delivery_error(exc) from exc


class _PartlySent(Exception):
    """A later request of a multi-part message failed after the first ones went out."""

    def __init__(self, sent: int, total: int, error: tg_error.TelegramError) -> None:
        super().__init__(f"{sent} of {total} parts sent, then: {error}")
        self.error = error


class _Removal(Reply):
    """A reply without buttons that also removes the share-phone keyboard."""

    def __init__(self, text: str) -> None:
        super().__init__(text)


def _chat_id(address: str) -> int:
    try:
        return int(address)
    except ValueError:
        raise base.Rejected(f"not a Telegram chat id: {address!r}") from None
