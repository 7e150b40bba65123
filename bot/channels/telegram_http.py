"""python-telegram-bot's requests sent with aiohttp instead of httpx.

PTB talks to the Bot API through a `telegram.request.BaseRequest`; its default, `HTTPXRequest`,
costs more CPU than everything else the bot does once many updates are answered at once:
httpcore's pool re-checks every pooled connection (a `poll()` and a `getpeername()` each) at the
start and the end of every request, so the cost of one request grows with the connections open.
`bench/throughput.py` measured a bare PTB echo bot at 2.2–2.8 ms of CPU per update one at a time
and 4.3–6.0 ms with 64 at once; aiohttp (already a dependency: the web dashboard) keeps its pool
in per-host queues and parses HTTP in C. This class is the documented extension point
(python-telegram-bot's own `ptbcontrib.aiohttp_request` is another implementation of it).

Behaviour kept from `HTTPXRequest`, on which the channel's error handling relies:
- the pool: at most `connection_pool_size` requests in flight; waiting longer than
  `pool_timeout` for a turn raises `TimedOut("Pool timeout: …")` (the request was not sent);
- a timeout raises `TimedOut`, any other transport failure `NetworkError("aiohttp.<Class>: …")`;
- parameters go as form fields, files as multipart; proxies from the environment are honoured
  (`HTTPS_PROXY`, `NO_PROXY`…, as httpx's `trust_env`); no cookies are kept.
Two things aiohttp does per request are done once or not at all: with `trust_env` it reads
`~/.netrc` in a worker thread on every request (so the proxy is looked up once per host here),
and a dict body goes through a multipart writer (so form fields are url-encoded here).
"""

from __future__ import annotations

import asyncio
import urllib.parse
import urllib.request
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

POOL_TIMEOUT_TEXT = ("Pool timeout: All connections in the connection pool are occupied. "
                     "Request was *not* sent to Telegram.")


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one aiohttp session with a bounded pool of keep-alive connections."""

    def __init__(
        self, connection_pool_size: int = 1, *, read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0,
    ) -> None:
        self._size = max(connection_pool_size, 1)
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._turns = asyncio.Semaphore(self._size)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}  # (scheme, host) -> proxy URL

    @property
    def read_timeout(self) -> float | None:
        """See `BaseRequest.read_timeout` (PTB adds it to getUpdates' long-poll timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._size, limit_per_host=self._size)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None))

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE, pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One request: wait for a turn in the pool, send, read the whole answer."""
        if self._session is None:  # a Bot used without `initialize()` (as HTTPXRequest allows)
            await self.initialize()
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is shut down")
        files = request_data.multipart_data if request_data is not None else None
        timeout = self._timeout(files is not None and bool(files), read_timeout, write_timeout, connect_timeout)
        pool_wait = self._pool_timeout if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        try:
            await asyncio.wait_for(self._turns.acquire(), pool_wait)
        except TimeoutError as exc:
            raise TimedOut(POOL_TIMEOUT_TEXT) from exc
        try:
            body, headers = _body(request_data)
            headers["User-Agent"] = self.USER_AGENT
            async with session.request(method, url, data=body, timeout=timeout, headers=headers,
                                       proxy=self._proxy_for(url)) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutError subclasses
            raise TimedOut from exc
        except aiohttp.ClientError as exc:  # the URL holds the token: never in a message
            text = str(exc).replace(url, url.split("/bot", 1)[0] + "/bot…")
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {text}") from exc
        finally:
            self._turns.release()

    def _proxy_for(self, url: str) -> str | None:
        """The proxy the environment names for this URL's host (looked up once per host)."""
        parsed = urllib.parse.urlsplit(url)
        key = (parsed.scheme, parsed.hostname or "")
        if key not in self._proxies:
            proxy = urllib.request.getproxies().get(parsed.scheme)
            self._proxies[key] = None if proxy is None or urllib.request.proxy_bypass(key[1]) else proxy
        return self._proxies[key]

    def _timeout(self, uploads: bool, read: Any, write: Any, connect: Any) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for one request. It has no write timeout of its own: the longest a
        request may take in all (connect + write + read) bounds a stalled upload instead."""
        default = BaseRequest.DEFAULT_NONE
        read = self._read_timeout if read is default else read
        connect = self._connect_timeout if connect is default else connect
        if write is default:
            write = self._media_write_timeout if uploads else self._write_timeout
        parts = (connect, write, read)
        total = None if any(p is None for p in parts) else sum(parts)
        return aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, dict[str, str]]:
    """The body and its headers: url-encoded form fields, or multipart when files go too (as
    HTTPXRequest sends them)."""
    if request_data is None:
        return None, {}
    files = request_data.multipart_data
    if not files:
        if not request_data.json_parameters:
            return None, {}
        return (request_data.url_encoded_parameters().encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, {}
