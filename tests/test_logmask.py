"""Tokens never reach the logs: `caunoi -v run` (DEBUG, every library) against the fake Bot API,
and the filter itself on Telegram-shaped and configured tokens, in messages and tracebacks."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from bot.logmask import TokenMask
from tests.fake_telegram import FakeTelegram
from tests.test_cli import CAUNOI, env

TOKEN = "7012345678:AAH-x_Yz0123456789abcdefghijklmnopq"  # the shape of a real Telegram token


async def test_verbose_run_never_logs_the_token(tmp_path: Path) -> None:
    zalo = "zalo-secret-token-abcdef"
    async with FakeTelegram(token=TOKEN) as tg:
        process = await asyncio.create_subprocess_exec(
            *CAUNOI, "-v", "run", cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            env=env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, CAUNOI_TELEGRAM_RATE="0",
                    ZALO_BOT_TOKEN=zalo, ZALO_API_URL="http://127.0.0.1:9"),  # an unreachable Zalo: its errors log
        )
        try:
            await tg.wait_for("getUpdates", within=30)
            tg.command(100, "start")
            await tg.wait_for("sendMessage", within=30, chat_id=100)
            await asyncio.sleep(1)  # let the unreachable Zalo log its failures too
        finally:
            process.send_signal(signal.SIGTERM)
            _, raw = await asyncio.wait_for(process.communicate(), 30)
    logs = raw.decode()
    assert "DEBUG" in logs and "getUpdates" in logs  # the verbose logs were really captured
    # (without the filter the "***" check and the token check fail: PTB and Zalo log their URLs)
    assert "***" in logs  # and something was masked in them
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
    assert zalo not in logs


def test_mask_covers_arguments_tracebacks_and_configured_secrets() -> None:
    mask = TokenMask(["zalo-secret-token-abcdef"])
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: POST %s", (
        f"https://api.telegram.org/bot{TOKEN}/getUpdates?zalo=zalo-secret-token-abcdef",), None)
    try:
        raise RuntimeError(f"failed url /bot{TOKEN}/sendMessage")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert mask.filter(record)
    text = logging.Formatter().format(record)
    assert TOKEN not in text and "zalo-secret-token-abcdef" not in text
    assert "/bot***/getUpdates" in text and "/bot***/sendMessage" in text
