"""The Context a handler gets with each Event: who is asking, their state, and the bot's services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.clock import Clock, iso
from bot.config import Config
from bot.content import Content
from bot.content.texts import Texts
from bot.model import Identity, Option, Reply
from bot.staff import Staff
from bot.store.conversations import Conversation
from bot.store.db import Database
from bot.store.people import Person


class Hooks(Protocol):
    """What the running outbox (bot/outbox.py) lets handlers and the router do."""

    def wake(self, channel: str | None = None) -> None:
        """Rows were queued (for `channel`, or any): send them now rather than at the next poll."""

    async def edit(self, channel: str, address: str, message_id: str, reply: Reply) -> bool:
        """Edit a message the outbox delivered; False if not possible."""

    def hold(self, person_id: int) -> None:
        """Keep queued messages away from a person the bot is answering right now."""


class NoOutbox:
    """The hooks while no outbox runs (tests, `caunoi` commands): nothing to wake, edit or hold."""

    def wake(self, channel: str | None = None) -> None:
        """Nothing sends, so nothing to wake."""

    async def edit(self, channel: str, address: str, message_id: str, reply: Reply) -> bool:
        """Nothing was delivered, so nothing can be edited."""
        return False

    def hold(self, person_id: int) -> None:
        """Nothing queued goes out, so nothing to hold."""


MenuBuilder = Callable[["Context", bool], Awaitable[Reply]]


@dataclass
class Services:
    """What stays the same for every message: store, content, config, clock, and the menu."""

    db: Database
    content: Content
    config: Config
    clock: Clock
    menu: MenuBuilder | None = None  # the Router's menu builder, set by the Router
    # The outbox plugs itself in when it starts; handlers and the router only call it.
    hooks: Hooks = field(default_factory=NoOutbox)


@dataclass
class Context:
    """Per-message context. Handlers change the conversation through `goto` / `finish`;
    the dispatcher stores it, with the options shown, when the handler returns."""

    services: Services
    identity: Identity
    person: Person
    conversation: Conversation
    is_staff: bool
    # The staff member's rights (communes, sensitive), None for leaders; every staff screen
    # filters through it (bot/staff.py).
    staff: Staff | None = None
    changed: bool = False
    deleted: bool = False  # set by /delete_me: nothing more is stored for this person

    @property
    def db(self) -> Database:
        """The store."""
        return self.services.db

    @property
    def t(self) -> Texts:
        """Vietnamese texts by key."""
        return self.services.content.texts

    @property
    def content(self) -> Content:
        """Everything the bot says."""
        return self.services.content

    @property
    def config(self) -> Config:
        """The configuration."""
        return self.services.config

    @property
    def step(self) -> str | None:
        """The pending step, or None."""
        return self.conversation.step

    @property
    def data(self) -> dict[str, Any]:
        """The pending step's data (mutable; saved with the step)."""
        return self.conversation.data

    def now(self) -> datetime:
        """The current time (UTC) from the bot's clock."""
        return self.services.clock.now()

    def now_iso(self) -> str:
        """The current time as stored in SQLite."""
        return iso(self.services.clock.now())

    def local_now(self) -> datetime:
        """The current wall time in CAUNOI_TZ."""
        return self.services.clock.now().astimezone(self.services.config.tz)

    def goto(self, step: str | None, **data: Any) -> None:
        """Make `step` the pending step, replacing its data with `data`."""
        self.conversation = Conversation(step=step, data=dict(data))
        self.changed = True

    def remember(self, **data: Any) -> None:
        """Add to the current step's data."""
        self.conversation.data.update(data)
        self.changed = True

    def finish(self) -> None:
        """Leave any pending step."""
        self.goto(None)

    def reply(self, key: str, options: list[Option] | None = None, columns: int = 1, /, **values: Any) -> Reply:
        """A Reply whose text is the content text `key` formatted with `values` (any name, even "columns")."""
        return Reply(self.t(key, **values), options or [], columns)

    def option(self, key: str, payload: str, **values: Any) -> Option:
        """An Option whose label is the content text `key`."""
        return Option(self.t(key, **values), payload)

    def pager(self, page: int, pages: int, payload: Callable[[int], str]) -> list[Option]:
        """"◀ Trang trước" / "Trang sau ▶" buttons around `page` (0-based) of `pages`."""
        options = []
        if page > 0:
            options.append(self.option("core.page_prev", payload(page - 1)))
        if page < pages - 1:
            options.append(self.option("core.page_next", payload(page + 1)))
        return options

    async def menu(self, staff: bool = False) -> Reply:
        """The main menu for this person, or the staff menu (/admin)."""
        assert self.services.menu is not None, "the Router sets services.menu"
        return await self.services.menu(self, staff)
