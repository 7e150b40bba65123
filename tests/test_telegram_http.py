"""The aiohttp transport under python-telegram-bot (bot/channels/telegram_http.py), against a real
HTTP server on loopback: what reaches the server, and the errors the outbox's decisions rest on
(a pool timeout was never sent: try again; a read timeout may have been delivered: "unknown")."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut

from bot.channels import base
from bot.channels.telegram import delivery_error
from bot.channels.telegram_http import AiohttpRequest

TOKEN = "123456:TEST-token"


class Server:
    """A Bot API stand-in that records requests; sendMessage can be held to make it slow."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.arrived = asyncio.Event()  # set on each request
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields: dict[str, Any] = {}
        for name, value in form.items():
            fields[name] = (value.filename, value.file.read()) if isinstance(value, web.FileField) else value
        self.seen.append({"method": request.match_info["method"], "fields": fields,
                          "cookie": request.headers.get("Cookie"), "agent": request.headers.get("User-Agent", "")})
        self.arrived.set()
        await self.hold.wait()
        method = request.match_info["method"]
        if method == "getMe":
            result: Any = {"id": 1, "is_bot": True, "first_name": "Cầu Nối", "username": "caunoi_bot"}
        else:
            result = {"message_id": len(self.seen), "date": 0, "chat": {"id": 5, "type": "private"}, "text": "ok"}
        response = web.json_response({"ok": True, "result": result})
        response.set_cookie("tracking", "1")  # a client must not send it back
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/bot"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    s = Server()
    await s.start()
    yield s
    s.hold.set()
    assert s.runner is not None
    await s.runner.cleanup()


def bot_on(url: str, request: AiohttpRequest) -> Bot:
    return Bot(TOKEN, base_url=url, request=request, get_updates_request=AiohttpRequest(1))


async def test_fields_and_files_arrive_as_sent_and_no_cookie_is_kept(server: Server) -> None:
    async with bot_on(server.url, AiohttpRequest(4)) as bot:
        sent = await bot.send_message(5, "Chào bác Ba — thôn 3")
        await bot.send_document(5, InputFile(b"a,b\n1,2\n", filename="ket-qua.csv"), caption="Kết quả")
    assert sent.message_id == 2  # getMe was the first request
    message = server.seen[1]
    assert message["method"] == "sendMessage"
    assert message["fields"]["text"] == "Chào bác Ba — thôn 3"
    assert message["fields"]["chat_id"] == "5"
    assert "python-telegram-bot" in message["agent"]
    document = server.seen[2]
    assert document["fields"]["caption"] == "Kết quả"
    assert document["fields"]["document"] == ("ket-qua.csv", b"a,b\n1,2\n")
    assert [s["cookie"] for s in server.seen] == [None, None, None]


async def test_a_request_waiting_past_the_pool_timeout_was_not_sent(server: Server) -> None:
    request = AiohttpRequest(1, pool_timeout=0.2)
    async with bot_on(server.url, request) as bot:
        server.hold.clear()
        server.arrived.clear()
        first = asyncio.create_task(bot.send_message(5, "một"))
        await server.arrived.wait()  # the first send holds the only connection
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(5, "hai")
        assert len(server.seen) == 2  # "hai" never reached the server
        assert isinstance(delivery_error(caught.value), base.Transient)
        server.hold.set()
        assert (await first).text == "ok"


async def test_a_read_timeout_may_have_been_delivered(server: Server) -> None:
    async with bot_on(server.url, AiohttpRequest(2, read_timeout=0.2)) as bot:
        server.hold.clear()
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(5, "chậm")
        assert server.seen[-1]["fields"]["text"] == "chậm"  # it did reach the server
        assert isinstance(delivery_error(caught.value), base.Unknown)
        server.hold.set()


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(1)
    bot = bot_on(f"http://127.0.0.1:{port}/bot", request)
    with pytest.raises(NetworkError) as caught:
        await bot.initialize()
    assert "aiohttp." in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert isinstance(delivery_error(caught.value), base.Transient)
    await request.shutdown()


async def test_shut_down_and_opened_again(server: Server) -> None:
    request = AiohttpRequest(1)
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    async with bot_on(server.url, request) as bot:  # PTB initializes it again
        assert (await bot.send_message(5, "lại")).text == "ok"


async def test_an_error_naming_the_url_does_not_carry_the_token() -> None:
    request = AiohttpRequest(1)
    await request.initialize()
    with pytest.raises(NetworkError) as caught:
        await request.do_request(f"http://127.0.0.1:1:2/bot{TOKEN}/getMe", "POST")  # an invalid URL
    assert TOKEN not in str(caught.value)
    await request.shutdown()


async def test_a_proxy_named_in_the_environment_is_used(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """An office behind a proxy: HTTP(S)_PROXY is honoured (the loopback server plays the proxy)."""
    proxy = server.url.removesuffix("/bot")
    monkeypatch.setenv("http_proxy", proxy)
    monkeypatch.setenv("no_proxy", "")
    async with bot_on("http://api.telegram.invalid/bot", AiohttpRequest(1)) as bot:
        assert (await bot.send_message(5, "qua proxy")).text == "ok"
    assert server.seen[-1]["fields"]["text"] == "qua proxy"
