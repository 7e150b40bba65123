"""Waiting roster files (phone numbers) are kept one day at most also when the dashboard runs alone
(`caunoi web`, no bot and so none of the bot's scheduler): the web server runs the same purge job,
once at start and then periodically."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.clock import FakeClock, iso
from bot.web.server import HOUSEKEEPING, housekeeping
from tests.chat import Chat
from tests.test_cli import CAUNOI, env, run
from tests.test_roster import HEADER, ROWS, csv_bytes, document
from tests.test_web_units import free_port


async def uploads(app: App) -> int:
    """How many roster files wait for "Áp dụng"."""
    return int(await app.db.fetchval("SELECT count(*) FROM roster_uploads"))


async def test_the_web_servers_scheduler_purges_waiting_files_after_a_day(app: App, staff: Chat,
                                                                           clock: FakeClock) -> None:
    staff.replies = await app.dispatch(document(staff, csv_bytes(HEADER + ROWS), "ds.csv"))
    assert "Áp dụng" in staff.labels[0] and await uploads(app) == 1
    scheduler = housekeeping(app.dispatcher.router.jobs, app.services)
    # Only the tidying job: nothing is sent from a dashboard that has no channels.
    assert [job.name for job in scheduler.jobs] == list(HOUSEKEEPING) == ["roster.expire_uploads"]
    await scheduler.start()
    try:
        for _ in range(500):  # the first run comes at start
            if scheduler.runs["roster.expire_uploads"]:
                break
            await asyncio.sleep(0.01)
        assert scheduler.runs["roster.expire_uploads"] >= 1 and scheduler.failures["roster.expire_uploads"] == 0
        assert await uploads(app) == 1  # an hour-old file stays
        clock.advance(timedelta(hours=25))
        await scheduler.run_all_once()  # what the next period runs
        assert await uploads(app) == 0
    finally:
        await scheduler.stop()


def add_upload(db: Path, created: datetime) -> None:
    """A waiting roster file sent at `created` by a (roster-only) person, straight into the database."""
    with sqlite3.connect(db) as conn:
        person = conn.execute("INSERT INTO people (name, created_at) VALUES ('Cán bộ', ?)", (iso(created),)).lastrowid
        conn.execute("INSERT INTO roster_uploads (person_id, file_name, data, created_at) VALUES (?, 'ds.csv', ?, ?)",
                     (person, b"0912345671", iso(created)))


def waiting(db: Path) -> list[str]:
    """The creation times of the waiting files."""
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT created_at FROM roster_uploads ORDER BY created_at")]


async def test_caunoi_web_alone_purges_a_file_older_than_a_day_at_start(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    made = run(tmp_path, "web-login", "tg:9000", CAUNOI_ADMINS="tg:9000", CAUNOI_WEB_URL="http://127.0.0.1:1")
    assert made.returncode == 0, made.stderr  # the database now exists, migrated
    now = datetime.now(UTC)
    add_upload(db, now - timedelta(days=2))
    add_upload(db, now - timedelta(hours=1))
    assert len(waiting(db)) == 2
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *CAUNOI, "web", "--listen", f"127.0.0.1:{port}", cwd=tmp_path, env=env(tmp_path, CAUNOI_ADMINS="tg:9000"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            if len(waiting(db)) < 2 or process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert waiting(db) == [iso(now - timedelta(hours=1))]  # the day-old file is gone, the fresh one waits
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
