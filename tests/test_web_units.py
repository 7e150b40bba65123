"""The web dashboard without a browser: /web in chat, `caunoi web-login` and `caunoi web` as real
processes, the Secure cookie behind https, the login rate limit, settings."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import App
from bot.config import ConfigError
from bot.web.server import WebServer
from bot.web.settings import WebSettings, load_web_settings
from tests.chat import Chat
from tests.test_cli import CAUNOI, env, run

LINK = re.compile(r"(https?://\S+/login/[A-Za-z0-9_-]{40,})")


async def test_slash_web_gives_staff_a_link_and_refuses_leaders(app: App, staff: Chat, leader: Chat) -> None:
    await staff.send("/web")
    assert "chưa được bật" in staff.text  # no dashboard configured yet
    app.services.config = replace(app.config, extra={"CAUNOI_WEB_URL": "https://caunoi.example.vn"})
    await staff.send("/web")
    match = LINK.search(staff.text)
    assert match and match.group(1).startswith("https://caunoi.example.vn/login/")
    token = match.group(1).rsplit("/", 1)[1]
    stored = await app.db.fetchall("SELECT token_hash, identity FROM web_logins")
    assert len(stored) == 1 and stored[0]["identity"] == "tg:9000" and token not in stored[0]["token_hash"]
    await leader.onboard()
    await leader.send("/web")
    assert "cán bộ" in leader.text.lower() and not LINK.search(leader.text)
    assert await app.db.fetchval("SELECT count(*) FROM web_logins") == 1


async def serve(app: App, base_url: str) -> WebServer:
    server = WebServer(app.services, WebSettings("127.0.0.1", 0, base_url, timedelta(minutes=30)))
    await server.start()
    return server


async def test_cookie_is_secure_behind_https(app: App, staff: Chat) -> None:
    app.services.config = replace(app.config, extra={"CAUNOI_WEB_URL": "https://caunoi.example.vn"})
    await staff.send("/web")
    match = LINK.search(staff.text)
    assert match is not None
    token = match.group(1).rsplit("/", 1)[1]
    server = await serve(app, "https://caunoi.example.vn")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            response = await client.post(f"/login/{token}")
    finally:
        await server.stop()
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "caunoi_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_login_attempts_are_rate_limited(app: App) -> None:
    server = await serve(app, "http://127.0.0.1")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            statuses = [(await client.post(f"/login/guess{n:040d}")).status_code for n in range(12)]
    finally:
        await server.stop()
    assert statuses[:10] == [403] * 10 and statuses[10:] == [429, 429]


async def test_behind_a_local_proxy_the_limit_is_per_forwarded_address(app: App) -> None:
    server = await serve(app, "https://caunoi.example.vn")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            async def attempt(address: str) -> int:
                response = await client.post("/login/guess", headers={"X-Forwarded-For": address})
                return response.status_code

            first = [await attempt("203.0.113.7") for _ in range(11)]
            other = await attempt("198.51.100.9")  # another office is not locked out by the first
    finally:
        await server.stop()
    assert first[:10] == [403] * 10 and first[10] == 429 and other == 403


def test_settings(tmp_path: Path, config: object) -> None:
    from bot.config import Config

    assert isinstance(config, Config)
    assert load_web_settings(config) is None  # off by default
    on = load_web_settings(replace(config, extra={"CAUNOI_WEB": "0.0.0.0:8080",
                                                  "CAUNOI_WEB_URL": "https://caunoi.example.vn/"}))
    assert on is not None and (on.host, on.port, on.base_url, on.secure) == (
        "0.0.0.0", 8080, "https://caunoi.example.vn", True)
    for bad in ({"CAUNOI_WEB": "8080"}, {"CAUNOI_WEB": "h:99999"},
                {"CAUNOI_WEB": "h:80", "CAUNOI_WEB_URL": "caunoi.vn"}):
        with pytest.raises(ConfigError):
            load_web_settings(replace(config, extra=bad))


def test_web_login_cli(tmp_path: Path) -> None:
    refused = run(tmp_path, "web-login", "tg:555", CAUNOI_ADMINS="tg:9000", CAUNOI_WEB_URL="https://x.vn")
    assert refused.returncode == 2 and "not staff" in refused.stderr
    result = run(tmp_path, "web-login", "tg:9000", CAUNOI_ADMINS="tg:9000", CAUNOI_WEB_URL="https://x.vn")
    assert result.returncode == 0, result.stderr
    assert LINK.fullmatch(result.stdout.strip()) and result.stdout.startswith("https://x.vn/login/")
    no_url = run(tmp_path, "web-login", "tg:9000", CAUNOI_ADMINS="tg:9000")
    assert no_url.returncode == 2 and "CAUNOI_WEB_URL" in no_url.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_caunoi_web_serves_the_dashboard_alone(tmp_path: Path) -> None:
    port = free_port()
    link = run(tmp_path, "web-login", "tg:9000", CAUNOI_ADMINS="tg:9000", CAUNOI_WEB=f"127.0.0.1:{port}")
    assert link.returncode == 0, link.stderr
    process = await asyncio.create_subprocess_exec(
        *CAUNOI, "web", "--listen", f"127.0.0.1:{port}", cwd=tmp_path, env=env(tmp_path, CAUNOI_ADMINS="tg:9000"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    first = await client.get("/")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("caunoi web did not start")
            assert first.status_code == 401 and "gửi /web" in first.text
            login = await client.post(link.stdout.strip().replace(f"http://127.0.0.1:{port}", ""))
            assert login.status_code == 303
            overview = await client.get("/")
            assert overview.status_code == 200 and "Tổng quan theo xã, phường" in overview.text
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0


async def test_caunoi_run_web_serves_beside_the_bot_and_slash_web_links_to_it(tmp_path: Path) -> None:
    from tests.fake_telegram import FakeTelegram

    port = free_port()
    async with FakeTelegram() as tg:
        process = await asyncio.create_subprocess_exec(
            *CAUNOI, "run", "--web", f"127.0.0.1:{port}", cwd=tmp_path, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env(tmp_path, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.url,
                                            CAUNOI_TELEGRAM_RATE="0", CAUNOI_ADMINS="tg:9000"))
        try:
            await tg.wait_for("getUpdates", within=30)
            tg.command(9000, "web")
            reply = await tg.wait_for("sendMessage", within=30, chat_id=9000)
            match = LINK.search(str(reply.params["text"]))
            assert match and match.group(1).startswith(f"http://127.0.0.1:{port}/login/")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                login = await client.post(match.group(1).replace(f"http://127.0.0.1:{port}", ""))
                assert login.status_code == 303
                inbox = await client.get("/inbox")
                assert inbox.status_code == 200 and "Hộp thư góp ý" in inbox.text
        finally:
            if process.returncode is None:
                process.terminate()
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert match.group(1).rsplit("/", 1)[1] not in stderr.decode()  # the token is never logged


async def test_sessions_idle_for_a_day_are_swept(app: App) -> None:
    from bot.store import web as web_store

    old, _ = await web_store.open_session(app.db, "tg:9000", app.clock.now())
    later = app.clock.now() + timedelta(hours=25)
    fresh, _ = await web_store.open_session(app.db, "tg:9000", later)
    assert await web_store.session(app.db, old, later, timedelta(days=2)) is None  # gone, whatever the timeout
    assert await web_store.session(app.db, fresh, later, timedelta(minutes=30)) is not None
    assert await app.db.fetchval("SELECT count(*) FROM web_sessions") == 1
