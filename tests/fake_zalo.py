"""A fake Zalo Bot API server on 127.0.0.1 (aiohttp), behaving like the real one where it matters.

As the real API (official docs mirrored in lamdt1/ckvn-bot `docs/zalo-bot-doc.md`; the reference
client openclaw/openclaw `extensions/zalo/src/api.ts`, which reads errors from the JSON body):
errors are HTTP 200 with `{"ok": false, "error_code": N, "description": ...}`; codes 400 bad
request, 401 bad token, 403 internal server error, 404 not found, 408 timeout (an idle long
poll), 429 quota exceeded (no retry_after). A webhook body is `{"ok": true, "result": update}`.
Unverified, so only assumed here: what a user who blocked the bot causes (`block` answers 403 by
default), and the 409 while a webhook is set.

    async with FakeZalo() as zalo:            # random free port; zalo.url is the API root
        zalo.text("u1", "Xin chào")            # a user writes to the bot (queued for getUpdates)
        texts = await zalo.wait_sent(1, "u1")  # what the bot sent to u1 (sendMessage texts)

Routes `/bot{token}/{method}` (GET or POST, JSON body or query string); a wrong token → 401.
- getMe; getUpdates `{"timeout": "30"}` returns ONE update object; an idle long poll answers
  `{"ok": false, "error_code": 408}` after min(timeout, `poll_cap`) seconds;
  while a webhook is set it answers 409.
- sendMessage `{chat_id, text}` (text 1–2,000 characters, else 400), sendPhoto (photo URL),
  sendChatAction; setWebhook `{url, secret_token}` (secret 8–256 characters), deleteWebhook,
  getWebhookInfo (404 when none is set).
- Failures: `block(chat_id, code=403)` refuses sends to that chat; `refuse_all = code` refuses
  every send (an outage); `quota = N` → after N accepted messages every send answers 429 "Quota
  exceeded"; `fail_next(method, code, description, retry_after=None, http=False)` fails the next
  call of a method once (`http=True`: as a proxy would, with that real HTTP status and no
  envelope); `delay_next(method, seconds)` holds the next answer (to make a client time out
  after sending).
- Inspection: `calls` (every call: method, params, time), `sent(chat_id)` (texts accepted),
  `wait_sent(n, chat_id)`, `wait_text(needle, chat_id, since)`, `wait_calls(method, n)`.
- Webhook side: `await post_webhook(update, secret=None, wrapped=True)` POSTs an update to the
  URL the bot registered, with the secret it registered (or the one given) in the
  `X-Bot-Api-Secret-Token` header, and returns the HTTP status.
Update builders: `text(chat_id, text)`, `link(chat_id, url)`, `image(chat_id, url)`,
`sticker(chat_id)`, `unsupported(chat_id)`, `reaction(chat_id)`, `event(name)` build an update,
queue it for getUpdates (`queue=False` to only build it)
and return it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

TOKEN = "1234567890:fake-zalo-secret-token"


@dataclass
class Call:
    """One API call the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    accepted: bool = False  # a send the server accepted (counts against the quota)


class FakeZalo:
    """The fake server; use as an async context manager."""

    def __init__(self, token: str = TOKEN, poll_cap: float = 0.5) -> None:
        self.token = token
        self.poll_cap = poll_cap
        self.calls: list[Call] = []
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.blocked: dict[str, int] = {}
        self.refuse_all: int | None = None
        self.quota: int | None = None
        self.accepted = 0
        self.webhook: dict[str, str] | None = None
        self.polls_idle = 0
        self._failures: dict[str, list[tuple[int, str, float | None, bool]]] = {}
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The API root to give the bot as ZALO_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeZalo:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- failure injection -----------------------------------------------------------------

    def block(self, chat_id: str, code: int = 403) -> None:
        """Sends to this chat are refused with `code` (what a user blocking the bot causes is
        not documented: 403 is an assumption)."""
        self.blocked[chat_id] = code

    def fail_next(self, method: str, code: int, description: str, retry_after: float | None = None,
                  http: bool = False) -> None:
        """The next call of `method` fails once with this error code (in Zalo's envelope, or as a
        bare HTTP status when `http`)."""
        self._failures.setdefault(method, []).append((code, description, retry_after, http))

    def delay_next(self, method: str, seconds: float) -> None:
        """The next call of `method` is answered only after `seconds` (it is still accepted)."""
        self._delays[method] = seconds

    # -- users ---------------------------------------------------------------------------------

    def text(self, chat_id: str, text: str, name: str = "Người dùng Zalo", message_id: str | None = None,
             queue: bool = True) -> dict[str, Any]:
        """A user sends a text."""
        return self._update("message.text.received", chat_id, name, message_id, queue, text=text)

    def image(self, chat_id: str, url: str = "https://example.invalid/p.jpg", caption: str = "",
              queue: bool = True) -> dict[str, Any]:
        """A user sends a photo."""
        extra = {"photo_url": url, "caption": caption} if caption else {"photo_url": url}
        return self._update("message.image.received", chat_id, "Người dùng Zalo", None, queue, **extra)

    def sticker(self, chat_id: str, queue: bool = True) -> dict[str, Any]:
        """A user sends a sticker."""
        return self._update("message.sticker.received", chat_id, "Người dùng Zalo", None, queue,
                            sticker="https://example.invalid/s.png")

    def unsupported(self, chat_id: str, queue: bool = True) -> dict[str, Any]:
        """Zalo hides the content (message.unsupported.received)."""
        return self._update("message.unsupported.received", chat_id, "Người dùng Zalo", None, queue)

    def link(self, chat_id: str, url: str, text: str | None = None, queue: bool = True) -> dict[str, Any]:
        """A user shares a link (message.link.received). Its shape is not documented: the text
        when given, else a `link` object as the reference client reads it."""
        fields: dict[str, Any] = {"text": text} if text is not None else {"link": {"url": url, "title": ""}}
        return self._update("message.link.received", chat_id, "Người dùng Zalo", None, queue, **fields)

    def reaction(self, chat_id: str, with_message: bool = True, queue: bool = True) -> dict[str, Any]:
        """A user reacts to a message (message.reaction.received; its fields are not documented)."""
        if not with_message:
            return self.event("message.reaction.received", queue=queue)
        return self._update("message.reaction.received", chat_id, "Người dùng Zalo", None, queue, reaction="❤")

    def event(self, name: str, queue: bool = True, **fields: Any) -> dict[str, Any]:
        """An event without a message (e.g. a kind Zalo adds later)."""
        update = {"event_name": name, **fields}
        if queue:
            self.updates.put_nowait(update)
        return update

    def _update(self, event: str, chat_id: str, name: str, message_id: str | None, queue: bool,
                **fields: Any) -> dict[str, Any]:
        message = {
            "from": {"id": chat_id, "display_name": name, "is_bot": False},
            "chat": {"id": chat_id, "chat_type": "PRIVATE"},
            "message_id": message_id or f"m{next(self._ids):08d}",
            "date": int(time.time() * 1000),
            **fields,
        }
        update = {"event_name": event, "message": message}
        if queue:
            self.updates.put_nowait(update)
        return update

    async def post_webhook(self, update: dict[str, Any], secret: str | None = None, wrapped: bool = True,
                           url: str | None = None, client: httpx.AsyncClient | None = None) -> int:
        """POST an update to the registered webhook, as Zalo does (wrapped in `{ok, result}`, as the
        docs show; `wrapped=False` sends the bare update); return the HTTP status.
        (`url` overrides the registered one, e.g. the local port; `client` reuses connections.)"""
        assert self.webhook is not None or url, "the bot has not set a webhook"
        target = url or (self.webhook or {})["url"]
        header = secret if secret is not None else (self.webhook or {}).get("secret_token", "")
        body = {"ok": True, "result": update} if wrapped else update
        if client is not None:
            response = await client.post(target, json=body, headers={"X-Bot-Api-Secret-Token": header})
            return response.status_code
        async with httpx.AsyncClient(timeout=5) as own:
            response = await own.post(target, json=body, headers={"X-Bot-Api-Secret-Token": header})
        return response.status_code

    # -- inspection ----------------------------------------------------------------------------

    def sent(self, chat_id: str | None = None) -> list[str]:
        """Texts accepted by sendMessage (to one chat, or all)."""
        return [str(c.params.get("text", "")) for c in self.calls
                if c.method == "sendMessage" and c.accepted
                and (chat_id is None or str(c.params.get("chat_id")) == chat_id)]

    async def wait_sent(self, count: int, chat_id: str | None = None, within: float = 10.0) -> list[str]:
        """Wait until at least `count` texts were accepted (for that chat); return them all."""
        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent(chat_id)) >= count)
        return self.sent(chat_id)

    async def wait_text(self, needle: str, chat_id: str, since: int = 0, within: float = 10.0) -> str:
        """Wait until a text containing `needle` was sent to the chat (after its first `since`
        texts); return that text."""
        def found() -> str | None:
            return next((t for t in self.sent(chat_id)[since:] if needle in t), None)

        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(lambda: found() is not None)
        return found() or ""

    async def wait_calls(self, method: str, count: int = 1, within: float = 10.0) -> list[Call]:
        """Wait until `method` was called at least `count` times."""
        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_of(method)) >= count)
        return self.calls_of(method)

    def calls_of(self, method: str) -> list[Call]:
        """Every call of one method."""
        return [c for c in self.calls if c.method == method]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- the API -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return _error(400, "Bad Request: body is not JSON")
            if isinstance(body, dict):
                params.update(body)
        call = Call(method, params)
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                return _error(401, "Unauthorized")
            if failures := self._failures.get(method):
                code, description, retry_after, http = failures.pop(0)
                if http:
                    return web.json_response({"message": description}, status=code)  # a proxy's answer
                return _error(code, description, retry_after)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                return _error(404, f"Not Found: method {method}")
            response: web.Response = await handler(call)
            if delay := self._delays.pop(method, 0.0):
                await asyncio.sleep(delay)
            return response
        finally:
            await self._notify()

    async def _api_getMe(self, call: Call) -> web.Response:
        return _ok({"id": "bot0001", "account_name": "bot.caunoi", "account_type": "BASIC",
                    "can_join_groups": False})

    async def _api_getUpdates(self, call: Call) -> web.Response:
        if self.webhook is not None:
            return _error(409, "Conflict: webhook is active, delete it to use getUpdates")
        try:
            wait = min(float(str(call.params.get("timeout", "30"))), self.poll_cap)
        except ValueError:
            return _error(400, "Bad Request: timeout")
        try:
            update = await asyncio.wait_for(self.updates.get(), wait)
        except TimeoutError:
            self.polls_idle += 1
            return _error(408, "Request Timeout")
        return _ok(update)

    def _send_check(self, call: Call) -> web.Response | None:
        chat_id = call.params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return _error(400, "Bad Request: chat_id is required")
        if chat_id in self.blocked:
            return _error(self.blocked[chat_id], "Internal server error" if self.blocked[chat_id] == 403
                          else "Not found")
        if self.refuse_all is not None:
            return _error(self.refuse_all, "Internal server error")
        if self.quota is not None and self.accepted >= self.quota:
            return _error(429, "Quota exceeded")
        return None

    def _accept(self, call: Call) -> web.Response:
        self.accepted += 1
        call.accepted = True
        return _ok({"message_id": f"s{next(self._ids):08d}", "date": int(time.time() * 1000)})

    async def _api_sendMessage(self, call: Call) -> web.Response:
        if problem := self._send_check(call):
            return problem
        text = call.params.get("text")
        # "1 to 2,000 characters"; counted here in UTF-16 units (an emoji is two), the stricter
        # reading, since what the platform counts is not documented.
        if not isinstance(text, str) or not 1 <= len(text.encode("utf-16-le")) // 2 <= 2000:
            return _error(400, "Bad Request: text must be 1-2000 characters")
        return self._accept(call)

    async def _api_sendPhoto(self, call: Call) -> web.Response:
        if problem := self._send_check(call):
            return problem
        photo = call.params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            return _error(400, "Bad Request: photo must be a URL")
        return self._accept(call)

    async def _api_sendChatAction(self, call: Call) -> web.Response:
        if call.params.get("action") != "typing":
            return _error(400, "Bad Request: action")
        return web.json_response({"ok": True})

    async def _api_setWebhook(self, call: Call) -> web.Response:
        url, secret = call.params.get("url"), call.params.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return _error(400, "Bad Request: url")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return _error(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret}
        return _ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _api_deleteWebhook(self, call: Call) -> web.Response:
        self.webhook = None
        return _ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _api_getWebhookInfo(self, call: Call) -> web.Response:
        if self.webhook is None:
            return _error(404, "Not Found: no webhook")
        return _ok({"url": self.webhook["url"], "updated_at": int(time.time() * 1000)})


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, retry_after: float | None = None) -> web.Response:
    """Zalo's error envelope, with HTTP 200 as the real API answers."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:  # not documented by Zalo; a proxy or a future version might
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=200)
