"""A locked database or a full disk: the person always gets an answer (issue 20 item 4)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.model import Identity
from tests.chat import Chat

BUSY = "Cầu Nối đang bận"
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def held_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """A second, real connection holding the write lock (as another process would)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


async def short_busy_timeout(app: App) -> None:
    # The production wait is 5 s per statement; the test keeps it short so it runs fast.
    assert app.db._writer is not None
    await app.db._writer.execute("PRAGMA busy_timeout=50")


class DiskFull:
    """Makes the next `failures` write transactions fail as SQLite does when the disk is full."""

    def __init__(self, app: App, failures: int, after: int = 0) -> None:
        self.failures = failures
        self.after = after  # writes that succeed before the faults start
        self.calls = 0
        self._real = app.db.write
        self._real_batch = app.db.write_batch
        app.db.write = self.write  # type: ignore[method-assign]
        app.db.write_batch = self.write_batch  # type: ignore[method-assign]  # the dispatcher's one write

    def _fault(self) -> None:
        self.calls += 1
        if self.calls > self.after and self.failures > 0:
            self.failures -= 1
            raise sqlite3.OperationalError("database or disk is full")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Any]:
        self._fault()
        async with self._real() as conn:
            yield conn

    async def write_batch(self, statements: Any) -> None:
        self._fault()
        await self._real_batch(statements)


async def test_locked_database_gets_a_polite_busy_reply(app: App, config: Any) -> None:
    await short_busy_timeout(app)
    newcomer = Chat(app, Identity("tg", "501"))
    with held_lock(config.db_path):
        replies = await newcomer.send("/start")
    assert replies and BUSY in newcomer.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 0
    await newcomer.send("/start")  # the lock is gone: the same message now works
    assert BUSY not in newcomer.text and newcomer.labels


async def test_locked_database_for_a_known_person(app: App, config: Any, leader: Chat) -> None:
    await leader.send("/start")  # known person: touch needs no write for a minute
    agree = leader.option("Tôi đồng ý").payload
    await short_busy_timeout(app)
    with held_lock(config.db_path):
        await leader.press_payload(agree)
    assert BUSY in leader.text
    await leader.press_payload(agree)  # the same button still works once the lock is gone
    assert BUSY not in leader.text, leader.text


async def test_disk_full_when_saving_the_conversation(app: App, leader: Chat) -> None:
    await leader.send("/start")
    DiskFull(app, failures=1000, after=1)  # the consent is written, saving the next step is not
    replies = await leader.press("Tôi đồng ý")
    assert replies and BUSY in leader.text


async def test_disk_full_once_is_retried(app: App, leader: Chat) -> None:
    faults = DiskFull(app, failures=1)
    await leader.send("/start")
    assert BUSY not in leader.text, leader.text
    assert faults.calls >= 2


async def test_disk_full_for_good_gets_a_polite_busy_reply(app: App, leader: Chat) -> None:
    DiskFull(app, failures=1000)
    replies = await leader.send("/start")
    assert replies and BUSY in leader.text


async def test_disk_full_inside_a_handler_is_busy_not_a_crash(
    app: App, leader: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await leader.send("/start")
    DiskFull(app, failures=1000)
    await leader.press("Tôi đồng ý")  # the consent write fails in the handler
    assert BUSY in leader.text
    assert not [r for r in caplog.records if r.getMessage().startswith("handler failed")]


# A real full disk: the bot in its own process under a file-size limit (RLIMIT_FSIZE) just above its
# files' size, so SQLite's next growth fails as on a full disk; then the limit is lifted.
FULL_DISK_CHILD = """
import asyncio, json, resource, sys
from dataclasses import replace
from pathlib import Path
from bot.app import open_app
from bot.config import load_config
from bot.model import Event, Identity

async def main(folder):
    db = Path(folder) / "bot.sqlite3"
    config = replace(load_config(env={"CAUNOI_DB": str(db)}, dotenv=Path(folder) / "none.env"), db_path=db)
    app = await open_app(config)
    await app.dispatch(Event(Identity("tg", "1"), "command", "start"))
    biggest = max(p.stat().st_size for p in Path(folder).iterdir())
    resource.setrlimit(resource.RLIMIT_FSIZE, (biggest, resource.RLIM_INFINITY))
    full = []
    for n in range(200):
        replies = await app.dispatch(Event(Identity("tg", str(100 + n)), "command", "start", display_name="x" * 128))
        full.append(replies[0].text if replies else "")
        if "đang bận" in full[-1]:
            break
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    again = await app.dispatch(Event(Identity("tg", "99999"), "command", "start"))
    print(json.dumps({"full": full, "again": again[0].text if again else ""}))
    await app.close()

asyncio.run(main(sys.argv[1]))
"""


async def test_a_really_full_disk_in_a_bot_process(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FULL_DISK_CHILD, str(tmp_path), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()[-2000:]
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["full"] and BUSY in result["full"][-1]  # the person who hit the full disk got an answer
    assert BUSY not in result["again"] and result["again"]  # space again: the next message is answered
