"""CPU per request of python-telegram-bot's two transports, against one loopback server, in the same run.

    .venv/bin/python bench/http_client.py [--requests 3000] [--in-flight 1,16,64]

The server (aiohttp, in a child process so its CPU is not counted) answers every POST with a
sendMessage-sized result. The client side is measured: `HTTPXRequest` (PTB's default) and
`AiohttpRequest` (bot/channels/telegram_http.py), each through a real `telegram.Bot.send_message`
so request building and answer parsing are included; the figure is CPU per request and the ratio
httpx/aiohttp at each number of requests in flight (why the bot sends with aiohttp: bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH"
TEXT = "Kính gửi các trưởng thôn, tổ dân phố: lịch học chuyên đề tuần này " * 4


def serve(port: int) -> None:
    """The stand-in Bot API (child process)."""
    from aiohttp import web

    answer = json.dumps({"ok": True, "result": {
        "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": TEXT,
        "reply_markup": {"inline_keyboard": [[{"text": "Đã nhận ✅", "callback_data": "ack:1"}]]}}}).encode()
    me = json.dumps({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "b", "username": "b"}}).encode()

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        body = me if request.match_info["method"] == "getMe" else answer
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def measure(kind: str, url: str, in_flight: int, requests: int) -> float:
    """CPU seconds per request for `requests` sends, `in_flight` at a time."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.request import HTTPXRequest

    from bot.channels.telegram_http import AiohttpRequest

    request = (HTTPXRequest(in_flight + 32, pool_timeout=30.0) if kind == "httpx"
               else AiohttpRequest(in_flight + 32, pool_timeout=30.0))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Đã nhận ✅", callback_data="ack:1")]])
    turns = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with turns:
            await bot.send_message(5, TEXT, reply_markup=markup)

    async with Bot(TOKEN, base_url=url, request=request) as bot:
        await asyncio.gather(*(one() for _ in range(min(200, requests))))  # connections open, caches warm
        start = time.process_time()
        await asyncio.gather(*(one() for _ in range(requests)))
        return (time.process_time() - start) / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--in-flight", default="1,16,64")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/bot"
        for in_flight in (int(n) for n in args.in_flight.split(",")):
            httpx_cpu = asyncio.run(measure("httpx", url, in_flight, args.requests))
            aiohttp_cpu = asyncio.run(measure("aiohttp", url, in_flight, args.requests))
            print(f"{in_flight:3d} in flight: httpx {httpx_cpu * 1e3:.2f} ms, aiohttp {aiohttp_cpu * 1e3:.2f} ms "
                  f"CPU per request; httpx/aiohttp {httpx_cpu / aiohttp_cpu:.1f}")
    finally:
        server.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
