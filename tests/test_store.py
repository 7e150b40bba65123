"""The SQLite store: pragmas, migrations, one writer at a time, atomic transactions."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from bot.store.db import Database, migrations


async def test_pragmas_and_migrations(tmp_path: Path) -> None:
    async with Database(tmp_path / "s.sqlite3") as db:
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA user_version") == migrations()[-1][0]
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"people", "identities", "conversations", "deliveries"} <= tables
    async with Database(tmp_path / "s.sqlite3") as db:  # reopening applies nothing twice
        assert await db.fetchval("PRAGMA user_version") == migrations()[-1][0]


async def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    async with Database(tmp_path / "s.sqlite3") as db:
        await db.execute("CREATE TABLE counter (n INTEGER)")
        await db.execute("INSERT INTO counter VALUES (0)")

        async def bump() -> None:
            async with db.write() as conn:
                async with conn.execute("SELECT n FROM counter") as cursor:
                    row = await cursor.fetchone()
                await asyncio.sleep(0)  # give other writers every chance to interleave
                await conn.execute("UPDATE counter SET n = ?", (row[0] + 1,))

        await asyncio.gather(*(bump() for _ in range(50)))
        assert await db.fetchval("SELECT n FROM counter") == 50


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    async with Database(tmp_path / "s.sqlite3") as db:
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await conn.execute("INSERT INTO people (name, created_at) VALUES ('x', 'now')")
                raise RuntimeError("crash in the middle")
        assert await db.fetchval("SELECT count(*) FROM people") == 0
        # The reader never sees uncommitted writes.
        async with db.write() as conn:
            await conn.execute("INSERT INTO people (name, created_at) VALUES ('y', 'now')")
            assert await db.fetchval("SELECT count(*) FROM people") == 0
        assert await db.fetchval("SELECT count(*) FROM people") == 1


async def test_reads_see_every_commit_while_other_reads_interleave(tmp_path: Path) -> None:
    async with Database(tmp_path / "s.sqlite3") as db:
        await db.execute("CREATE TABLE seen (n INTEGER)")
        await db.executemany("INSERT INTO seen VALUES (?)", [(i,) for i in range(200)])

        async def busy_reader() -> None:
            for _ in range(30):
                await db.fetchone("SELECT n FROM seen ORDER BY n")  # many rows, only the first wanted
                await asyncio.sleep(0)

        async def writer_then_reader() -> None:
            for i in range(30):
                await db.execute("INSERT INTO seen VALUES (?)", (1000 + i,))
                assert await db.fetchval("SELECT max(n) FROM seen") == 1000 + i
                await asyncio.sleep(0)

        await asyncio.gather(busy_reader(), busy_reader(), writer_then_reader())


async def test_cancelled_writers_leave_no_open_transaction(tmp_path: Path) -> None:
    async with Database(tmp_path / "s.sqlite3") as db:
        for delay_steps in range(8):  # cancel at every point: during BEGIN, the body, COMMIT

            async def write_slowly() -> None:
                async with db.write() as conn:
                    await conn.execute("INSERT INTO people (name, created_at) VALUES ('x', 'now')")
                    await asyncio.sleep(0.01)

            task = asyncio.create_task(write_slowly())
            for _ in range(delay_steps):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await db.execute("INSERT INTO people (name, created_at) VALUES ('after', 'now')")
        assert await db.fetchval("SELECT count(*) FROM people WHERE name = 'after'") == 8
