"""Storage: one SQLite file through aiosqlite, WAL, numbered migrations, one writer at a time.

Handlers never write SQL: they call the functions of the modules in this package
(`bot.store.people`, `bot.store.conversations`, `bot.store.deliveries`, ...), which
take the Database as their first argument.
"""

from bot.store.db import Database

__all__ = ["Database"]
