"""`caunoi run` as a real process with only a Zalo token, talking to the fake Zalo Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import TOKEN, FakeZalo

ROOT = Path(__file__).resolve().parent.parent


async def run_bot(tmp_path: Path, zalo: FakeZalo, *args: str,
                  env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """Start `python -m bot run …` with only the Zalo variables (and `env`) set, no .env file."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "CAUNOI_"))}
    variables.update({
        "ZALO_BOT_TOKEN": TOKEN, "ZALO_API_URL": zalo.url, "CAUNOI_DB": str(tmp_path / "bot.sqlite3"),
        "CAUNOI_ZALO_RATE": "0", "PYTHONPATH": str(ROOT), **(env or {}),
    })
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=tmp_path, env=variables,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """SIGTERM, then the exit code and everything it logged."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, stderr.decode("utf-8", "replace")


async def test_caunoi_run_with_only_a_zalo_token_answers(tmp_path: Path) -> None:
    async with FakeZalo(poll_cap=0.3) as zalo:
        process = await run_bot(tmp_path, zalo)
        try:
            zalo.text("cli-user", "/start")
            sent = await zalo.wait_sent(1, "cli-user", within=30)
            assert "Tôi đồng ý" in sent[0]
            zalo.text("cli-user", "1")
            assert "họ và tên" in (await zalo.wait_sent(2, "cli-user", within=30))[1]
        finally:
            code, log = await stop(process)
    assert code == 0, log
    assert "running: zalo" in log and "Traceback" not in log
    assert TOKEN.partition(":")[2] not in log  # the token stays out of the log


async def test_caunoi_run_webhook_mode(tmp_path: Path) -> None:
    async with FakeZalo() as zalo:
        process = await run_bot(tmp_path, zalo, "--webhook-url", "https://bot.example.org/zalo",
                                "--listen", "127.0.0.1:0")
        try:
            await zalo.wait_calls("setWebhook", 1, within=30)
            assert zalo.webhook is not None and zalo.webhook["url"] == "https://bot.example.org/zalo"
        finally:
            code, log = await stop(process)
    assert code == 0, log
    assert not zalo.calls_of("getUpdates")
    assert "webhook listening" in log and TOKEN.partition(":")[2] not in log


async def test_a_refused_token_is_a_clear_error(tmp_path: Path) -> None:
    async with FakeZalo(token="999:another-token") as zalo:
        process = await run_bot(tmp_path, zalo)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)  # it stops by itself
    code, log = process.returncode, stderr.decode("utf-8", "replace")
    assert code == 2 and "ZALO_BOT_TOKEN was refused" in log
    assert TOKEN.partition(":")[2] not in log


async def say(zalo: FakeZalo, chat_id: str, text: str, expect: str) -> str:
    """A Zalo user writes; wait for the answer that contains `expect`."""
    since = len(zalo.sent(chat_id))
    zalo.text(chat_id, text)
    return await zalo.wait_text(expect, chat_id, since=since, within=30)


async def button(tg: FakeTelegram, chat_id: int, label: str) -> str:
    """Wait for an inline button whose text has `label` in a Telegram chat; its callback data."""
    async with asyncio.timeout(30):
        while True:
            for message in reversed(tg.messages_in(chat_id)):
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                    for key in row:
                        if label in key.get("text", ""):
                            return str(key["callback_data"])
            await asyncio.sleep(0.05)


async def test_telegram_and_zalo_side_by_side_a_telegram_broadcast_reaches_zalo(tmp_path: Path) -> None:
    async with FakeZalo(poll_cap=0.3) as zalo, FakeTelegram() as tg:
        process = await run_bot(tmp_path, zalo, env={
            "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url, "CAUNOI_TELEGRAM_RATE": "0",
            "CAUNOI_ADMINS": "tg:9000",
        })
        try:
            await say(zalo, "z1", "/start", "Tôi đồng ý")
            await say(zalo, "z1", "1", "họ và tên")
            await say(zalo, "z1", "Lê Văn Tám", "chức danh")
            await say(zalo, "z1", "1", "xã, phường")
            await say(zalo, "z1", "1", "tổ dân phố")
            await say(zalo, "z1", "Thôn 2", "điện thoại")
            await say(zalo, "z1", "0912345678", "kiểm tra lại")
            await say(zalo, "z1", "1", "Đăng ký xong")

            tg.command(9000, "broadcast", "Họp trưởng thôn lúc 8 giờ sáng thứ Hai.")
            tg.press(9000, await button(tg, 9000, "Tất cả"))
            tg.press(9000, await button(tg, 9000, "Gửi ngay"))
            message = await zalo.wait_text("Họp trưởng thôn", "z1", within=30)
            assert "1. Đã nhận ✅" in message
        finally:
            code, log = await stop(process)
    assert code == 0, log
    assert "running: tg, zalo" in log and "Traceback" not in log
