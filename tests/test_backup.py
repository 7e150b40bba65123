"""Backups: consistent under a write load, never a half file under a final name, retention,
the daily job's record, /stats line and the stale-backup alert to province admins."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import backup, backup_daily
from bot.app import App
from bot.clock import FakeClock
from bot.store import backups
from tests.chat import Chat

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def _fill(path: Path, people: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO people (name, created_at) VALUES (?, '2026-12-01T00:00:00.000000Z')",
                     ((f"Người {i}",) for i in range(people)))
    conn.execute("COMMIT")
    conn.close()


async def test_backup_during_a_write_load_is_consistent(app: App, tmp_path: Path) -> None:
    _fill(app.db.path, 20_000)
    stop, going = threading.Event(), threading.Event()
    written: list[int] = []

    def writer() -> None:  # another connection inserting continuously, one small transaction each
        conn = sqlite3.connect(app.db.path, isolation_level=None, timeout=30)
        while not stop.is_set():
            conn.execute("INSERT INTO people (name, created_at) VALUES ('Viết thêm', '2026-12-01T00:00:00.000000Z')")
            written.append(1)
            if len(written) == 50:
                going.set()
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert await asyncio.to_thread(going.wait, 30)
        before = len(written)
        result = await asyncio.to_thread(backup.make_backup, app.db.path, tmp_path / "bk", NOW, step_pages=8,
                                         pause=0.001)
        after = len(written)
    finally:
        stop.set()
        thread.join()
    assert after > before  # the writer kept going while the copy was made
    conn = sqlite3.connect(result.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count, highest = conn.execute("SELECT COUNT(*), MAX(id) FROM people").fetchone()
    conn.close()
    # One moment of the load: rows 1..n with no gap, n between the counts seen before and after.
    assert count == highest == result.counts["people"]
    assert 20_000 + before <= count <= 20_000 + after + 1
    assert result.path.name.startswith("caunoi-20261206-030000") and (result.path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]  # no temporary left


def test_sigkill_mid_backup_leaves_no_final_named_file(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO people (name) VALUES (?)", ((f"Người {i}" * 20,) for i in range(20_000)))
    conn.commit()
    conn.close()
    folder = tmp_path / "bk"
    slow = (f"from datetime import datetime, UTC; from pathlib import Path; from bot.backup import make_backup;"
            f"make_backup(Path({str(db)!r}), Path({str(folder)!r}), datetime.now(UTC), step_pages=1, pause=0.01)")
    process = subprocess.Popen([sys.executable, "-c", slow], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".partial") and p.stat().st_size > 0 for p in folder.glob(".*")):
            assert process.poll() is None and time.monotonic() < deadline, "the backup never started copying"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert backup.backups_in(folder) == []
    assert any(p.name.endswith(".partial") for p in folder.iterdir())  # it died mid-copy
    result = backup.make_backup(db, folder, NOW)  # the next backup clears the dead one's leftovers
    assert sorted(p.name for p in folder.iterdir()) == [result.path.name]


def test_a_corrupt_copy_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    not_a_db = tmp_path / "live.sqlite3"
    not_a_db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(backup.BackupError):
        backup.make_backup(not_a_db, tmp_path / "bk", NOW)
    assert list((tmp_path / "bk").iterdir()) == []


def test_retention_keeps_newest_per_day_and_per_week(tmp_path: Path) -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    for day in range(60):  # two backups a day for 60 days
        for hour in (1, 13):
            stamp = NOW - timedelta(days=day, hours=hour)
            (tmp_path / f"caunoi-{stamp.strftime(backup.STAMP)}.sqlite3").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a backup")
    removed = backup.prune(tmp_path, 14, 8, tz, NOW)
    kept = backup.backups_in(tmp_path)
    local_days = {stamp.astimezone(tz).date() for stamp, _ in kept}
    assert len(kept) == len(local_days)  # one per day at most
    today = NOW.astimezone(tz).date()
    assert {today - timedelta(days=d) for d in range(14)} <= local_days
    assert min(local_days) >= today - timedelta(days=7 * 8 + 6)
    assert len(kept) <= 14 + 8 and removed and (tmp_path / "notes.txt").exists()


async def test_daily_backup_is_recorded_pruned_and_shown_in_stats(app: App, staff: Chat, clock: FakeClock,
                                                                   tmp_path: Path) -> None:
    assert app.config.backup_dir is not None
    result = await backup_daily.run_backup(app.services)
    assert result is not None and result.path.parent == app.config.backup_dir
    last = await backups.last(app.db)
    assert last is not None and last.path == str(result.path) and "people" in last.detail
    await staff.send("/stats")
    assert "Sao lưu gần nhất" in staff.text


async def test_province_admins_are_alerted_once_a_day_when_backups_stop(app: App, staff: Chat,
                                                                         clock: FakeClock) -> None:
    await staff.send("/start")  # the admin has a person row to deliver to
    since = clock.now()
    assert await backup_daily.alert_if_stale(app.services, since) == 0  # just started: nothing yet
    clock.advance(timedelta(days=2, hours=1))
    assert await backup_daily.alert_if_stale(app.services, since) == 1
    assert await backup_daily.alert_if_stale(app.services, since) == 0  # once a day
    row = await app.db.fetchone("SELECT payload FROM deliveries WHERE kind = 'alert' AND ref LIKE 'backup-stale:%'")
    assert row is not None and "sao lưu" in row["payload"]
    await backup_daily.run_backup(app.services)
    clock.advance(timedelta(days=1))
    assert await backup_daily.alert_if_stale(app.services, since) == 0  # a fresh backup: quiet


def test_next_run_is_the_next_local_hour() -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    at = backup_daily.next_run(datetime(2026, 12, 6, 18, 30, tzinfo=UTC), 2, tz)  # 01:30 local
    assert at.astimezone(tz).strftime("%d %H:%M") == "07 02:00"
    at = backup_daily.next_run(datetime(2026, 12, 6, 20, 0, tzinfo=UTC), 2, tz)  # 03:00 local
    assert at.astimezone(tz).strftime("%d %H:%M") == "08 02:00"


async def test_the_component_backs_up_when_the_hour_comes(app: App, clock: FakeClock,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    done = asyncio.Event()
    real = backup_daily.run_backup

    async def watched(services: object) -> object:
        result = await real(services)  # type: ignore[arg-type]
        done.set()
        return result

    monkeypatch.setattr(backup_daily, "run_backup", watched)
    component = backup_daily.DailyBackup(app.services, check_every=0.02)
    await component.start()
    await asyncio.sleep(0)  # the loop reads the clock and sets its next hour
    try:
        clock.advance(timedelta(days=1))  # past the next CAUNOI_BACKUP_HOUR
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await component.stop()
    last = await backups.last(app.db)
    assert last is not None and last.ok
    assert app.config.backup_dir is not None and len(backup.backups_in(app.config.backup_dir)) == 1
