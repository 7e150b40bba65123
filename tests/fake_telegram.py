"""A fake Telegram Bot API server for tests and benchmarks (aiohttp on 127.0.0.1, random port).

Usage::

    async with FakeTelegram() as tg:            # or: tg = await FakeTelegram().start(); ...; await tg.stop()
        config = replace(config, telegram_token=Secret(tg.token), telegram_api_url=tg.url)
        tg.command(100, "start")                # a user types /start
        call = await tg.wait_for("sendMessage", chat_id=100)
        tg.press(100, "ob:agree")               # a user presses an inline button (callback_query)

The bot calls `{tg.url}/bot{token}/{method}` (JSON, form-urlencoded or multipart bodies, as
python-telegram-bot sends them) and downloads files from `{tg.url}/file/bot{token}/{file_path}`.

Methods: getMe, getUpdates (offset, limit, long-poll `timeout`, woken early when an update is
injected), deleteWebhook, setMyCommands, getMyCommands (per scope), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendDocument and sendPhoto
(multipart: filename and bytes recorded), sendChatAction, getFile (+ the download route).
Any other method answers `{"ok": true, "result": true}`. Like Telegram, editing an unknown
message or with unchanged content, and getFile of an unknown file_id, answer 400.
`FakeTelegram(port=N)` listens on a fixed port (to test a bot started before its server).

What the bot did:
  - `calls`: every request in order, as `Call(method, params, time, status, files, result)`; params are
    decoded (chat_id/message_id/offset… as int, reply_markup/commands/scope… as JSON objects,
    "true"/"false" as bool for known flags); `files` maps a field to `UploadedFile(filename, data)`.
  - `calls_of(method)`: every call of a method; `sent(chat_id=None)`: the accepted
    sendMessage/sendDocument/sendPhoto calls.
  - `messages[(chat_id, message_id)]`: the bot's messages as they are now (edits applied).
  - `last_message(chat_id)`, `messages_in(chat_id)`, `texts(chat_id)`, `commands[scope_key]` (setMyCommands per scope,
    scope_key "default" or "chat:<id>"), `answered` (callback query ids answered).
  - `await wait_for(method, within=5, **param_filters)`: the first call after the current
    `mark()` position (or since the start with `since=0`) matching the filters.
  - `flood_429s`: how many 429s the flood-control mode returned.
  - `listeners`: callables run with each recorded Call as it happens.

Injecting what users do (each returns the update dict; `chat_id` is also the user id; updates
injected before the bot starts polling wait in the queue, so a benchmark can pre-fill a whole burst
and read `pending_updates` to see how many the bot has not yet confirmed):
  `text(chat_id, text)`, `command(chat_id, name, args="", bot_username=None)` (with a
  bot_command entity), `press(chat_id, data, message_id=None)` (callback_query referring to the
  bot's message — the last one in that chat when message_id is None), `contact(chat_id, phone)`,
  `photo(chat_id)`, `sticker(chat_id)`, `voice(chat_id)`, `document(chat_id, file_name, data,
  caption="")` (the bytes are served by getFile + the download route), `inject(update_body)`.

Failure injection:
  - `block(chat_id, description="Forbidden: bot was blocked by the user")`: sends to that chat get 403
    (`unblock(chat_id)` undoes it).
  - `fail_next(method, status, description, retry_after=None, count=1)`: the next `count`
    calls of `method` fail that way (429 puts `retry_after` into `parameters`).
  - Flood control (`FakeTelegram(flood_control=True, overall_rate=30, chat_rate=1,
    paid_rate=1000)`): a send (sendMessage/sendDocument/sendPhoto) is refused with 429 and
    `parameters.retry_after` when, within the sliding last second, `overall_rate` sends were
    already accepted (or `paid_rate` for calls with allow_paid_broadcast=true, counted apart),
    or `chat_rate` sends to that chat were. Refused calls do not count toward the window.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "sendVoice"})
_JSON_FIELDS = frozenset({
    "reply_markup", "commands", "scope", "entities", "caption_entities", "allowed_updates",
    "reply_parameters", "link_preview_options", "media",
})
_INT_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "from_chat_id", "user_id"})
_BOOL_FIELDS = frozenset({
    "allow_paid_broadcast", "drop_pending_updates", "show_alert", "disable_notification",
    "protect_content", "disable_web_page_preview",
})
_MAX_UPLOAD = 60 * 1024 * 1024


@dataclass
class UploadedFile:
    """A file the bot uploaded (sendDocument, sendPhoto)."""

    filename: str
    data: bytes
    content_type: str = ""


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    files: dict[str, UploadedFile] = field(default_factory=dict)
    result: Any = None  # what the server answered (e.g. the sent message), for accepted calls

    def matches(self, method: str | None, filters: dict[str, Any]) -> bool:
        """Whether this call is `method` with every filter param equal."""
        if method is not None and self.method != method:
            return False
        return all(self.params.get(key) == value for key, value in filters.items())


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: float | None
    count: int
    after: int = 0  # calls that still succeed first


def _decode(params: dict[str, Any]) -> dict[str, Any]:
    """Form values are strings (PTB JSON-encodes objects): turn known fields back into values."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            elif key in _INT_FIELDS and value.lstrip("-").isdigit():
                value = int(value)
            elif key in _BOOL_FIELDS and value.lower() in ("true", "false"):
                value = value.lower() == "true"
        out[key] = value
    return out


class FakeTelegram:
    """The fake Bot API server; see the module docstring."""

    def __init__(
        self, token: str = "123456:TEST-TOKEN", *, bot_username: str = "caunoi_test_bot",
        flood_control: bool = False, overall_rate: int = 30, chat_rate: int = 1, paid_rate: int = 1000,
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.flood_control = flood_control
        self.overall_rate = overall_rate
        self.chat_rate = chat_rate
        self.paid_rate = paid_rate
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.answered: list[str] = []
        self.flood_429s = 0
        self.blocked: dict[int, str] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self.downloads = 0  # file bytes served by the download route
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._window: deque[float] = deque()
        self._paid_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = defaultdict(deque)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._mark = 0
        self.listeners: list[Callable[[Call], None]] = []  # called with each recorded call (benchmarks)
        self._runner: web.AppRunner | None = None
        self.port = port  # 0: a random free port

    # ----- lifecycle

    @property
    def url(self) -> str:
        """The API root to put into TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        """Listen on a random loopback port."""
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        """Wake long polls and shut down."""
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----- injecting what users do

    def user(self, chat_id: int, name: str = "") -> dict[str, Any]:
        """The Telegram user behind a private chat."""
        return {"id": chat_id, "is_bot": False, "first_name": name or f"Người dùng {chat_id}",
                "language_code": "vi"}

    def _chat(self, chat_id: int, name: str = "") -> dict[str, Any]:
        return {"id": chat_id, "type": "private", "first_name": name or f"Người dùng {chat_id}"}

    def _user_message(self, chat_id: int, name: str = "", **body: Any) -> dict[str, Any]:
        message_id = next(self._message_ids[chat_id])
        return {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id, name),
                "from": self.user(chat_id, name), **body}

    def inject(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (`body` without update_id, e.g. {"message": {...}}) and wake long polls."""
        update = {"update_id": next(self._update_ids), **body}
        self._updates.append(update)
        self._new_update.set()
        return update

    def text(self, chat_id: int, text: str, name: str = "") -> dict[str, Any]:
        """The user types text."""
        return self.inject({"message": self._user_message(chat_id, name, text=text)})

    def command(self, chat_id: int, name: str, args: str = "", bot_username: str | None = None,
                user_name: str = "") -> dict[str, Any]:
        """The user sends /name (optionally /name@bot) with arguments, with a bot_command entity."""
        head = f"/{name}" + (f"@{bot_username}" if bot_username else "")
        text = f"{head} {args}" if args else head
        entities = [{"type": "bot_command", "offset": 0, "length": len(head.encode("utf-16-le")) // 2}]
        return self.inject({"message": self._user_message(chat_id, user_name, text=text, entities=entities)})

    def press(self, chat_id: int, data: str, message_id: int | None = None, name: str = "") -> dict[str, Any]:
        """The user presses an inline button with callback `data` under one of the bot's messages."""
        if message_id is None:
            message = self.last_message(chat_id)
        else:
            message = self.messages.get((chat_id, message_id))
        if message is None:  # no such message: refer to a made-up one, as an old chat would
            message = {"message_id": message_id or 1, "date": int(time.time()), "chat": self._chat(chat_id),
                       "text": "…"}
        query = {"id": str(next(self._callback_ids)), "from": self.user(chat_id, name),
                 "chat_instance": f"ci{chat_id}", "data": data, "message": message}
        return self.inject({"callback_query": query})

    def contact(self, chat_id: int, phone: str, name: str = "") -> dict[str, Any]:
        """The user shares their phone number through the contact button."""
        contact = {"phone_number": phone, "first_name": name or f"Người dùng {chat_id}", "user_id": chat_id}
        return self.inject({"message": self._user_message(chat_id, name, contact=contact)})

    def _new_file(self, folder: str, suffix: str, data: bytes) -> dict[str, Any]:
        n = next(self._file_ids)
        file_id = f"file{n}"
        self.files[file_id] = (f"{folder}/file_{n}{suffix}", data)
        return {"file_id": file_id, "file_unique_id": f"u{n}", "file_size": len(data)}

    def photo(self, chat_id: int, caption: str = "", data: bytes = b"\xff\xd8fakejpeg") -> dict[str, Any]:
        """The user sends a photo (two sizes, as Telegram does)."""
        sizes = [{**self._new_file("photos", ".jpg", data[:4]), "width": 90, "height": 90},
                 {**self._new_file("photos", ".jpg", data), "width": 800, "height": 600}]
        extra = {"caption": caption} if caption else {}
        return self.inject({"message": self._user_message(chat_id, photo=sizes, **extra)})

    def sticker(self, chat_id: int) -> dict[str, Any]:
        """The user sends a sticker."""
        sticker = {**self._new_file("stickers", ".webp", b"RIFFwebp"), "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "type": "regular", "emoji": "👍"}
        return self.inject({"message": self._user_message(chat_id, sticker=sticker)})

    def voice(self, chat_id: int, seconds: int = 3) -> dict[str, Any]:
        """The user sends a voice note."""
        voice = {**self._new_file("voice", ".oga", b"OggS" + bytes(64)), "duration": seconds}
        return self.inject({"message": self._user_message(chat_id, voice=voice)})

    def document(self, chat_id: int, file_name: str, data: bytes, caption: str = "",
                 mime_type: str = "application/octet-stream", declared_size: int | None = None) -> dict[str, Any]:
        """The user sends a file; `declared_size` overrides the size Telegram reports."""
        document = {**self._new_file("documents", "." + file_name.rsplit(".", 1)[-1] if "." in file_name else "",
                                     data), "file_name": file_name, "mime_type": mime_type}
        if declared_size is not None:
            document["file_size"] = declared_size
        extra = {"caption": caption} if caption else {}
        return self.inject({"message": self._user_message(chat_id, document=document, **extra)})

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a later getUpdates offset."""
        return len(self._updates)

    # ----- failures

    def block(self, chat_id: int, description: str = "Forbidden: bot was blocked by the user") -> None:
        """Sends to this chat get 403 from now on."""
        self.blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        """The user unblocked the bot."""
        self.blocked.pop(chat_id, None)

    def fail_next(self, method: str, status: int, description: str, retry_after: float | None = None,
                  count: int = 1, after: int = 0) -> None:
        """The next `count` calls of `method` (after `after` more that succeed) fail with this
        status and description."""
        self._failures[method].append(_Failure(status, description, retry_after, count, after))

    # ----- reading what the bot did

    def mark(self) -> int:
        """Remember the current position: `wait_for` looks only at later calls."""
        self._mark = len(self.calls)
        return self._mark

    def calls_of(self, method: str) -> list[Call]:
        """Every call of one method, in order (whatever its status)."""
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Accepted message sends, optionally to one chat."""
        return [c for c in self.calls if c.method in SEND_METHODS and c.status == 200
                and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def last_message(self, chat_id: int) -> dict[str, Any] | None:
        """The bot's latest message in a chat (edits applied)."""
        ids = [mid for (cid, mid) in self.messages if cid == chat_id]
        return self.messages[(chat_id, max(ids))] if ids else None

    def messages_in(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, oldest first (edits applied)."""
        return [m for (cid, _), m in sorted(self.messages.items()) if cid == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        """Texts (or captions) of the bot's messages in a chat, in order."""
        return [m.get("text") or m.get("caption") or "" for (cid, _), m in sorted(self.messages.items())
                if cid == chat_id]

    async def wait_for(self, method: str | None = None, within: float = 5.0, since: int | None = None,
                       **filters: Any) -> Call:
        """The first call after `since` (default: the last `mark()`) matching method and params."""
        position = self._mark if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for call in self.calls[position:]:
                if call.matches(method, filters):
                    return call
            position = len(self.calls)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no {method} {filters} within {within}s; calls: "
                                   f"{[c.method for c in self.calls[-10:]]}")
            self._new_call.clear()
            try:
                await asyncio.wait_for(self._new_call.wait(), remaining)
            except TimeoutError:
                pass

    # ----- the server

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        files: dict[str, UploadedFile] = {}
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
                    else:
                        params[key] = value
        return _decode(params), files

    def _record(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile], status: int,
                result: Any = None) -> None:
        call = Call(method, params, time.monotonic(), status, files, result)
        self.calls.append(call)
        self._new_call.set()
        for listener in self.listeners:
            listener(call)

    @staticmethod
    def _error(status: int, description: str, retry_after: float | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await self._params(request)
        if method == "getUpdates":  # not recorded per poll round beyond the call itself
            return await self._get_updates(params)
        failure = self._take_failure(method)
        if failure is not None:
            self._record(method, params, files, failure.status)
            return self._error(failure.status, failure.description, failure.retry_after)
        chat_id = params.get("chat_id")
        if method in SEND_METHODS | {"editMessageText", "editMessageReplyMarkup", "sendChatAction"}:
            if isinstance(chat_id, int) and chat_id in self.blocked:
                self._record(method, params, files, 403)
                return self._error(403, self.blocked[chat_id])
        if method in SEND_METHODS and self.flood_control and isinstance(chat_id, int):
            wait = self._flood_wait(chat_id, bool(params.get("allow_paid_broadcast")))
            if wait:
                self.flood_429s += 1
                self._record(method, params, files, 429)
                return self._error(429, f"Too Many Requests: retry after {wait}", wait)
        refusal = self._refusal(method, params)
        if refusal:
            self._record(method, params, files, 400)
            return self._error(400, refusal)
        result = self._result(method, params, files)
        self._record(method, params, files, 200, result)
        return web.json_response({"ok": True, "result": result})

    def _refusal(self, method: str, params: dict[str, Any]) -> str:
        """Telegram's own 400s for edits of unknown/unchanged messages and unknown files."""
        if method == "getFile" and str(params.get("file_id", "")) not in self.files:
            return "Bad Request: invalid file_id"
        if method == "sendVoice" and str(params.get("voice", "")) not in self.files:
            return "Bad Request: wrong file identifier/HTTP URL specified"
        if method in ("editMessageText", "editMessageReplyMarkup"):
            message = self.messages.get((int(params.get("chat_id") or 0), int(params.get("message_id") or 0)))
            if message is None:
                return "Bad Request: message to edit not found"
            same_text = method == "editMessageReplyMarkup" or message.get("text") == params.get("text", "")
            if same_text and message.get("reply_markup") == _inline(params.get("reply_markup")):
                return ("Bad Request: message is not modified: specified new message content and reply "
                        "markup are exactly the same as a current content and reply markup of the message")
        return ""

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        if failure.after > 0:
            failure.after -= 1
            return None
        failure.count -= 1
        if failure.count <= 0:
            queue.popleft()
        return failure

    def _flood_wait(self, chat_id: int, paid: bool) -> int:
        """0 when the send fits Telegram's limits (and is counted), else whole seconds to wait."""
        now = time.monotonic()
        windows = [(self._paid_window if paid else self._window, self.paid_rate if paid else self.overall_rate),
                   (self._chat_windows[chat_id], self.chat_rate)]
        wait = 0.0
        for window, limit in windows:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                wait = max(wait, window[len(window) - limit] + 1.0 - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window, _ in windows:
            window.append(now)
        return 0

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        self._record("getUpdates", params, {}, 200)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the offset
        if not self._updates and timeout > 0 and self._runner is not None:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        result = [u for u in itertools.islice(self._updates, limit) if u["update_id"] >= offset]
        return web.json_response({"ok": True, "result": result})

    def _bot_user(self) -> dict[str, Any]:
        return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Cầu Nối",
                "username": self.bot_username, "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _bot_message(self, chat_id: int, **body: Any) -> dict[str, Any]:
        message_id = next(self._message_ids[chat_id])
        message = {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id),
                   "from": self._bot_user(), **{k: v for k, v in body.items() if v is not None}}
        self.messages[(chat_id, message_id)] = message
        return message

    def _result(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat_id = params.get("chat_id")
        if method == "getMe":
            return self._bot_user()
        if method == "sendMessage":
            return self._bot_message(int(chat_id or 0), text=params.get("text", ""),
                                     reply_markup=_inline(params.get("reply_markup")))
        if method in ("sendDocument", "sendPhoto"):
            field_name = "document" if method == "sendDocument" else "photo"
            upload = files.get(field_name)
            extra: dict[str, Any] = {}
            if upload is not None:
                info = self._new_file("uploads", "", upload.data)
                if method == "sendDocument":
                    extra["document"] = {**info, "file_name": upload.filename}
                else:
                    extra["photo"] = [{**info, "width": 800, "height": 600}]
            return self._bot_message(int(chat_id or 0), caption=params.get("caption"),
                                     reply_markup=_inline(params.get("reply_markup")), **extra)
        if method == "sendVoice":  # passed on by file id (the bot never uploads voice notes)
            file_id = str(params.get("voice", ""))
            return self._bot_message(int(chat_id or 0), voice={"file_id": file_id, "file_unique_id": file_id,
                                                               "duration": 3})
        if method in ("editMessageText", "editMessageReplyMarkup"):
            key = (int(chat_id or 0), int(params.get("message_id") or 0))
            message = self.messages.get(key)
            if message is None:
                return True
            if method == "editMessageText":
                message["text"] = params.get("text", "")
            message["reply_markup"] = _inline(params.get("reply_markup"))
            if message["reply_markup"] is None:
                message.pop("reply_markup")
            message["edit_date"] = int(time.time())
            return message
        if method == "answerCallbackQuery":
            self.answered.append(str(params.get("callback_query_id", "")))
            return True
        if method == "setMyCommands":
            self.commands[_scope_key(params.get("scope"))] = list(params.get("commands") or [])
            return True
        if method == "getMyCommands":
            return self.commands.get(_scope_key(params.get("scope")), [])
        if method == "getFile":
            file_id = str(params.get("file_id", ""))
            if file_id not in self.files:
                return None
            path, data = self.files[file_id]
            return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(data), "file_path": path}
        return True

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        wanted = request.match_info["path"]
        for path, data in self.files.values():
            if path == wanted:
                self.downloads += 1
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)


def _inline(markup: Any) -> dict[str, Any] | None:
    """Only inline keyboards stay attached to a message (reply keyboards belong to the chat)."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


def _scope_key(scope: Any) -> str:
    if isinstance(scope, dict) and scope.get("type") == "chat":
        return f"chat:{scope.get('chat_id')}"
    if isinstance(scope, dict) and scope.get("type"):
        return str(scope["type"])
    return "default"
