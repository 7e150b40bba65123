"""The Database: a writer connection behind a lock (BEGIN IMMEDIATE) and a reader connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.content.units import hamlet_key
from bot.textutil import fold

log = logging.getLogger(__name__)
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every packaged migration, in order."""
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"two migrations share a number: {[name for _, name, _ in found]}")
    return found


def _owner_only(path: Path) -> None:
    """Create the database file 0600 (or make an existing one so): personal data is for the bot's
    user only; SQLite gives `-wal` and `-shm` the main file's mode when it creates them."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path.with_name(name), 0o600)


def _fold_or_none(text: str | None) -> str | None:
    return None if text is None else fold(text)


class Database:
    """One SQLite file. Writes are serialised; reads go through a second connection and see
    only committed data (WAL), so a reader never observes another handler's half-done write."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> Database:
        """Connect, set pragmas and apply pending migrations."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _owner_only(self.path)
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode=WAL")
        await self._migrate()
        self._reader = await self._connect()
        await self._reader.execute("PRAGMA query_only=ON")
        return self

    async def close(self) -> None:
        """Close both connections."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in ("synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON", "temp_store=MEMORY",
                       "secure_delete=ON"):  # deleted rows are overwritten with zeros, not left in free space
            await conn.execute(f"PRAGMA {pragma}")
        # For migrations that fold Vietnamese text (0100); never used in triggers or indexes.
        await conn.create_function("caunoi_fold", 1, _fold_or_none, deterministic=True)
        await conn.create_function("caunoi_hamlet_key", 1, hamlet_key, deterministic=True)
        return conn

    async def _migrate(self) -> None:
        assert self._writer is not None
        async with self._writer.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        for number, name, sql in migrations():
            if number <= current:
                continue
            log.info("applying migration %s", name)
            # executescript commits first; the script is one transaction with its version bump.
            await self._writer.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")

    async def after_deletion(self) -> bool:
        """Call after deleting personal data: copy the WAL into the file and empty it.

        secure_delete zeroes the deleted rows in the new page versions, but the old versions
        stay in `-wal` until a checkpoint; TRUNCATE leaves it empty. True when it was emptied
        (False if another process was reading an older snapshot: the next deletion retries).
        """
        assert self._writer is not None, "database is not open"
        async with self._write_lock:  # no commit may slip in between the copy and the truncation
            async with self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                row = await cursor.fetchone()
        emptied = row is not None and int(row[0]) == 0
        if not emptied:
            log.info("checkpoint after a deletion was busy; the WAL is emptied at the next one")
        return emptied

    @asynccontextmanager
    async def write(self, durable: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error); one at a time.

        `durable`: the commit is fsynced (synchronous=FULL), so a power cut cannot undo it; with
        NORMAL the last commits may be lost (README "Durability": the outbox's state changes use it).
        """
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            if durable:
                await self._settle("PRAGMA synchronous=FULL")
            await self._settle("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._settle("ROLLBACK")
                raise
            else:
                await self._settle("COMMIT")
            finally:
                if durable:
                    await self._settle("PRAGMA synchronous=NORMAL")

    async def _settle(self, sql: str) -> None:
        """Run a transaction-control statement to its end even if the caller is cancelled meanwhile.

        The statement runs on aiosqlite's thread whatever happens to the awaiting task; if a
        cancellation left BEGIN done but no ROLLBACK/COMMIT, every later write would fail
        with "cannot start a transaction within a transaction".
        """
        assert self._writer is not None
        statement = asyncio.ensure_future(self._writer.execute(sql))
        try:
            await asyncio.shield(statement)
        except asyncio.CancelledError:
            await statement
            if sql.startswith("BEGIN"):
                await self._writer.execute("ROLLBACK")
            raise

    async def write_batch(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run a few small write statements as one transaction in a single trip to the writer's thread.

        Each aiosqlite call is a round trip between the event loop and the connection's thread
        (~0.1 ms of CPU, more than a small indexed statement costs); the per-update bookkeeping
        (conversation, options shown, last seen) goes in one trip instead of four to six.
        Falls back to `write()` if this aiosqlite has no way to run a function on its thread.
        """
        assert self._writer is not None, "database is not open"
        run = getattr(self._writer, "_execute", None)
        raw = getattr(self._writer, "_conn", None)
        if run is None or not isinstance(raw, sqlite3.Connection):
            async with self.write() as conn:
                for sql, params in statements:
                    await conn.execute(sql, params)
            return
        async with self._write_lock:
            # Runs to its end on the writer's thread even if this task is cancelled meanwhile;
            # later statements queue behind it on the same thread.
            await asyncio.shield(run(_transaction, raw, list(statements)))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement in its own transaction; return lastrowid (or rowcount for no insert)."""
        async with self.write() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid if cursor.lastrowid else cursor.rowcount

    async def change(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one UPDATE/DELETE in its own transaction; return how many rows it changed."""
        async with self.write() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one write statement for many rows in one transaction."""
        async with self.write() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """One row of committed data, or None (the query should return few rows: all are read)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """All rows of committed data.

        Each read runs to completion in one call on the reader's thread. A cursor left
        half-read while other coroutines query the same connection would keep SQLite's read
        transaction open, and every later read would see that old snapshot (stale options,
        "menu has changed" for a button just shown).
        """
        assert self._reader is not None, "database is not open"
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return row[0] if row is not None else None


def _transaction(conn: sqlite3.Connection, statements: list[tuple[str, Sequence[Any]]]) -> None:
    """BEGIN IMMEDIATE, the statements, COMMIT (ROLLBACK on error), on the connection's own thread."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in statements:
            conn.execute(sql, params)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
