"""The real `caunoi` process: one bot per database, backup/restore round trip, restore refused
while running, `caunoi status` exit codes and the sender list that shows an operator's own id."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from tests.fake_telegram import FakeTelegram
from tests.test_cli import CAUNOI, env, run


def _names(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM people WHERE name IS NOT NULL ORDER BY id")]
    finally:
        conn.close()


def _onboard(tmp_path: Path, user: str, name: str) -> None:
    answers = ["1", name, "1", "Hương Khê", "Thôn 1", "Bỏ qua", "1", "/quit"]
    result = run(tmp_path, "chat", "--user", user, stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    _onboard(tmp_path, "an", "Nguyễn Văn An")
    made = run(tmp_path, "backup", "--gzip")
    assert made.returncode == 0, made.stderr
    assert "verified" in made.stdout and "people 1" in made.stdout
    files = list((tmp_path / "backups").glob("caunoi-*.sqlite3.gz"))
    assert len(files) == 1 and (files[0].stat().st_mode & 0o777) == 0o600
    _onboard(tmp_path, "binh", "Trần Thị Bình")
    assert _names(db) == ["Nguyễn Văn An", "Trần Thị Bình"]

    restored = run(tmp_path, "restore", str(files[0]))
    assert restored.returncode == 0, restored.stderr
    assert "people 1" in restored.stdout and "before-restore" in restored.stdout
    assert _names(db) == ["Nguyễn Văn An"]
    aside = next(tmp_path.glob("cli.sqlite3.before-restore-*"))
    assert _names(aside) == ["Nguyễn Văn An", "Trần Thị Bình"]  # the replaced database is kept whole
    assert (db.stat().st_mode & 0o777) == 0o600


def test_restore_refuses_a_broken_file_and_keeps_the_database(tmp_path: Path) -> None:
    _onboard(tmp_path, "an", "Nguyễn Văn An")
    broken = tmp_path / "caunoi-20261201-000000.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 5000)
    result = run(tmp_path, "restore", str(broken))
    assert result.returncode == 1 and "nothing restored" in result.stderr and "Traceback" not in result.stderr
    assert _names(tmp_path / "cli.sqlite3") == ["Nguyễn Văn An"]


def test_status_without_a_database_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path, "status")
    assert result.returncode == 2 and "CAUNOI_DB" in result.stderr


async def test_one_bot_per_database_and_restore_refused_while_running(tmp_path: Path) -> None:
    _onboard(tmp_path, "an", "Nguyễn Văn An")
    before = run(tmp_path, "status")
    assert before.returncode == 1 and "! caunoi run: NOT running" in before.stdout
    async with FakeTelegram() as tg:
        bot_env = env(tmp_path, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.url, CAUNOI_TELEGRAM_RATE="0")
        process = await asyncio.create_subprocess_exec(
            *CAUNOI, "run", cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            env=bot_env)
        try:
            await tg.wait_for("getUpdates", within=30)
            tg.command(4242, "start")
            await tg.wait_for("sendMessage", within=30, chat_id=4242)

            second = await asyncio.to_thread(run, tmp_path, "run", TELEGRAM_BOT_TOKEN=tg.token,
                                             TELEGRAM_API_URL=tg.url)
            assert second.returncode == 3, second.stderr
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1 and "already uses this database" in lines[0] and str(process.pid) in lines[0]

            backup = await asyncio.to_thread(run, tmp_path, "backup")  # backup runs beside the bot
            assert backup.returncode == 0, backup.stderr
            file = next((tmp_path / "backups").glob("caunoi-*.sqlite3"))
            refused = await asyncio.to_thread(run, tmp_path, "restore", str(file))
            assert refused.returncode == 3 and "stop it first" in refused.stderr

            status = await asyncio.to_thread(run, tmp_path, "status")
            assert status.returncode == 0, status.stdout
            assert f"running (pid {process.pid})" in status.stdout and "all well" in status.stdout
            assert "tg:4242" in status.stdout  # the operator finds their own Telegram id here
        finally:
            process.send_signal(signal.SIGKILL)  # a crash: the kernel releases the lock
            await process.wait()
    after = run(tmp_path, "status")
    assert after.returncode == 1 and "NOT running" in after.stdout
    assert run(tmp_path, "restore", str(file)).returncode == 0


def test_chat_files_go_to_their_own_private_folder(tmp_path: Path) -> None:
    _onboard(tmp_path, "an", "Nguyễn Văn An")
    result = run(tmp_path, "chat", "--admin", "--user", "boss", stdin="/stats\n/quit\n")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "caunoi-files"
    assert f"{folder}/thong-ke.png" in result.stdout  # it says where the file went
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert [(p.name, p.stat().st_mode & 0o777) for p in folder.iterdir()] == [("thong-ke.png", 0o600)]
    assert not list(tmp_path.glob("*.png"))


def test_exports_and_the_database_are_for_the_owner_only(tmp_path: Path) -> None:
    _onboard(tmp_path, "an", "Nguyễn Văn An")
    result = run(tmp_path, "export", "-o", "all.xlsx")
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "all.xlsx", tmp_path / "cli.sqlite3"):
        assert (path.stat().st_mode & 0o777) == 0o600, path


def test_backup_never_migrates_the_database_it_copies(tmp_path: Path) -> None:
    # An older database (as when a newer program is installed beside the running older bot).
    db = tmp_path / "cli.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT); PRAGMA user_version = 70;")
    conn.close()
    result = run(tmp_path, "backup")
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 70
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'backups'").fetchone()[0] == 0
    conn.close()
