"""The real command-line process: check-content, run (errors and on the fake Bot API), chat, --help."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "caunoi"
CAUNOI = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "bot"]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no tokens, no CAUNOI_* settings from the caller, a DB in tmp_path."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("CAUNOI_", "TELEGRAM_", "ZALO_"))}
    base.update({"CAUNOI_DB": str(tmp_path / "cli.sqlite3"), "PYTHONPATH": str(ROOT), **extra})
    return base


def run(tmp_path: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CAUNOI, *args], input=stdin, capture_output=True, text=True, cwd=tmp_path,
                          env=env(tmp_path, **extra), timeout=60)


def test_check_content_passes_on_shipped_content(tmp_path: Path) -> None:
    result = run(tmp_path, "check-content")
    assert result.returncode == 0, result.stderr
    assert "content OK" in result.stdout


def test_check_content_reports_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    core = folder / "texts" / "core.yaml"
    lines = core.read_text(encoding="utf-8").splitlines()
    broken_line = next(i for i, line in enumerate(lines, start=1) if line.startswith("menu_title:"))
    lines[broken_line - 1] = 'menu_title: ""'
    core.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "texts" / "zz_broken.yaml").write_text("a: 1\nb: [unclosed\n", encoding="utf-8")
    result = run(tmp_path, "check-content", str(folder))
    assert result.returncode == 1
    assert re.search(rf"core\.yaml:{broken_line}: ", result.stderr), result.stderr
    assert re.search(r"zz_broken\.yaml:\d+: ", result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    started = run(tmp_path, "run", CAUNOI_CONTENT=str(folder), TELEGRAM_BOT_TOKEN="1:x")
    assert started.returncode != 0 and "core.yaml" in started.stderr and "Traceback" not in started.stderr


def test_run_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "run")
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "caunoi chat" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_settings_give_one_clear_line(tmp_path: Path) -> None:
    for name, value in (("CAUNOI_TZ", "Sao_Hoa/Olympus"), ("CAUNOI_ADMINS", "tg:abc"),
                        ("CAUNOI_TELEGRAM_RATE", "nhanh")):
        result = run(tmp_path, "run", **{name: value})
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0] and "Traceback" not in result.stderr


def test_help_works(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True,
                            cwd=tmp_path, env=env(tmp_path), timeout=60)
    assert result.returncode == 0
    assert all(word in result.stdout for word in ("run", "chat", "check-content"))


def test_chat_onboards_through_stdin_and_reaches_the_menu(tmp_path: Path) -> None:
    # Options are numbered in the terminal; typing the number (or the label) chooses.
    answers = ["1", "Nguyễn Văn An", "1", "Hương Khê", "Thôn 1", "Bỏ qua", "1", "/menu", "/quit"]
    result = run(tmp_path, "chat", "--user", "an", stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Đăng ký xong" in result.stdout and "Menu chính" in result.stdout
    assert "Traceback" not in result.stderr


async def test_run_with_a_refused_token_says_so(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        result = await asyncio.to_thread(run, tmp_path, "run", TELEGRAM_BOT_TOKEN="999:sai", TELEGRAM_API_URL=tg.url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert "TELEGRAM_BOT_TOKEN" in lines[-1] and "Traceback" not in result.stderr
    assert "999:sai" not in result.stderr  # the token is a secret: never in logs


async def test_run_answers_start_on_the_fake_bot_api(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        process = await asyncio.create_subprocess_exec(
            *CAUNOI, "run", cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=env(tmp_path, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.url, CAUNOI_TELEGRAM_RATE="0"),
        )
        try:
            await tg.wait_for("getUpdates", within=30)
            tg.command(100, "start")
            reply = await tg.wait_for("sendMessage", within=30, chat_id=100)
            assert "Tôi đồng ý" in str(reply.params["reply_markup"])
            assert tg.commands["default"]
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
