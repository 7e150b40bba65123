"""Per-person conversation state: the pending step and its data, kept across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.store.db import Database


@dataclass
class Conversation:
    """The step a person is in (None when idle) and what was gathered so far."""

    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


_SAVE = ("INSERT INTO conversations (person_id, step, data, updated_at) VALUES (?, ?, ?, ?)"
         " ON CONFLICT (person_id) DO UPDATE SET step = excluded.step, data = excluded.data,"
         " updated_at = excluded.updated_at")


async def load(db: Database, person_id: int) -> Conversation:
    """The stored conversation of a person (idle if none)."""
    row = await db.fetchone("SELECT step, data FROM conversations WHERE person_id = ?", (person_id,))
    if row is None:
        return Conversation()
    return from_columns(row["step"], row["data"])


def from_columns(step: str | None, data: str | None) -> Conversation:
    """The conversation from its stored columns (both None when the person has none yet)."""
    return Conversation(step=step, data=json.loads(data) if data else {})


async def save(conn: aiosqlite.Connection, person_id: int, conversation: Conversation, now: str) -> None:
    """Store the conversation inside the caller's transaction."""
    await conn.execute(*save_statement(person_id, conversation, now))


def save_statement(person_id: int, conversation: Conversation, now: str) -> tuple[str, tuple[Any, ...]]:
    """The statement that stores the conversation (for a Database.write_batch)."""
    return _SAVE, (person_id, conversation.step, json.dumps(conversation.data, ensure_ascii=False), now)
