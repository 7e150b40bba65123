"""`caunoi run` as a real process with only a Zalo token, talking to the fake Zalo Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fake_zalo import TOKEN, FakeZalo

ROOT = Path(__file__).resolve().parent.parent


async def run_bot(tmp_path: Path, zalo: FakeZalo, *args: str) -> asyncio.subprocess.Process:
    """Start `python -m bot run …` with only the Zalo variables set (no .env in its folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "CAUNOI_"))}
    env.update({
        "ZALO_BOT_TOKEN": TOKEN, "ZALO_API_URL": zalo.url, "CAUNOI_DB": str(tmp_path / "bot.sqlite3"),
        "CAUNOI_ZALO_RATE": "0", "PYTHONPATH": str(ROOT),
    })
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=tmp_path, env=env,
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
    assert "running: zalo" in log
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
