"""The Database: a writer connection behind a lock (BEGIN IMMEDIATE) and a reader connection."""

from __future__ import annotations

import asyncio
import logging
import re
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
        for pragma in ("synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON", "temp_store=MEMORY"):
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

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error); one at a time."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            await self._settle("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._settle("ROLLBACK")
                raise
            else:
                await self._settle("COMMIT")

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
