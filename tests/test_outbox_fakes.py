"""Shared by the outbox and broadcast tests (no tests here): an in-process fake channel, quick leaders."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from bot.app import App
from bot.channels.base import DeliveryError
from bot.clock import iso
from bot.model import Identity, Reply
from bot.pacer import Pacer, Ticket
from bot.store import people


@dataclass
class Sent:
    """One delivery the fake channel accepted."""

    address: str
    reply: Reply
    paid: bool
    at: float


@dataclass
class FakeChannel:
    """A Channel whose deliver() records calls and raises scripted errors per address."""

    name: str = "tg"
    text_limit: int = 4096
    delay: float = 0.0  # seconds each deliver() takes
    pacer: Pacer | None = None  # the outbox paces this channel with its own
    sent: list[Sent] = field(default_factory=list)
    edits: list[tuple[str, str, Reply]] = field(default_factory=list)
    script: dict[str, list[DeliveryError]] = field(default_factory=dict)  # address -> errors to raise, in turn
    always: dict[str, DeliveryError] = field(default_factory=dict)  # address -> error raised every time
    calls: Counter[str] = field(default_factory=Counter)
    _next_id: int = 1
    _progress: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def deliver(self, address: str, reply: Reply, *, paid: bool = False,
                      ticket: Ticket | None = None) -> str | None:
        """Record the send (or raise the scripted error)."""
        self.calls[address] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if address in self.always:
            raise self.always[address]
        queue = self.script.get(address)
        if queue:
            raise queue.pop(0)
        self.sent.append(Sent(address, reply, paid, time.monotonic()))
        self._progress.set()
        self._next_id += 1
        return str(self._next_id)

    async def edit(self, address: str, message_id: str, reply: Reply) -> None:
        """Record the edit."""
        self.edits.append((address, message_id, reply))

    async def wait_sent(self, n: int, within: float = 10.0) -> None:
        """Return once `n` messages were accepted."""
        async with asyncio.timeout(within):
            while len(self.sent) < n:
                self._progress.clear()
                await self._progress.wait()

    def count(self, address: str) -> int:
        """How many messages reached `address`."""
        return sum(1 for s in self.sent if s.address == address)


async def add_leader(
    app: App, number: int, *, commune: str = "Xã Hương Khê", role: str = "truong_thon",
    channel: str = "tg", hamlet: str = "Thôn 1",
) -> int:
    """A registered leader with identity <channel>:<number>; returns the person id."""
    now = iso(app.clock.now())
    person, _ = await people.touch(app.db, Identity(channel, str(number)), f"L{number}", now)
    await people.update_profile(app.db, person.id, name=f"Người {number}", commune=commune, role=role,
                                hamlet=hamlet)
    await people.register(app.db, person.id, now)
    return person.id


async def statuses(app: App, kind: str | None = None) -> Counter[str]:
    """Delivery rows per status."""
    sql = "SELECT status FROM deliveries" + (" WHERE kind = ?" if kind else "")
    rows = await app.db.fetchall(sql, (kind,) if kind else ())
    return Counter(str(r["status"]) for r in rows)
