"""Setting the wall clock back does not freeze the outbox or the periodic jobs (issue 20 item 10)."""

from __future__ import annotations

import asyncio
import importlib
from datetime import datetime, timedelta

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.context import Services
from bot.model import Reply
from bot.outbox import ChannelSettings, Outbox
from bot.router import PeriodicJob
from bot.scheduler import Scheduler
from bot.store import deliveries
from tests.test_outbox_fakes import FakeChannel, add_leader

FAST = ChannelSettings(rate=0, per_chat=0, idle_poll=0.02)


async def test_messages_due_now_go_out_after_the_clock_steps_back(app: App, clock: FakeClock) -> None:
    ids = [await add_leader(app, 400 + i) for i in range(3)]
    await deliveries.enqueue(app.db, "broadcast", "1", ids, Reply("Họp ngay"), now=clock.now())
    later = clock.now() + timedelta(hours=2)
    await deliveries.enqueue(app.db, "broadcast", "2", ids[:1], Reply("Hẹn giờ"), now=clock.now(), not_before=later)
    clock.advance(timedelta(minutes=-10))  # the machine's clock is set back
    tg = FakeChannel("tg")
    outbox = Outbox(app.services, {"tg": tg}, {"tg": FAST})
    await outbox.start()
    try:
        await tg.wait_sent(3)
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert sorted(s.reply.text for s in tg.sent) == ["Họp ngay"] * 3  # the scheduled one still waits
    statuses = await app.db.fetchall("SELECT ref, status FROM deliveries ORDER BY id")
    assert [(r["ref"], r["status"]) for r in statuses] == [("1", "sent")] * 3 + [("2", "pending")]


class SteppedBack(datetime):
    """datetime whose now() is ten minutes behind the real clock (a clock set back)."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
        return datetime.now(tz) - timedelta(minutes=10)


async def test_periodic_jobs_keep_their_interval_when_the_clock_steps_back(
    app: App, monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = 0
    enough = asyncio.Event()

    async def tick(services: Services) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:  # started: now the wall clock steps back for every time-reading module
            for name in ("bot.scheduler", "apscheduler.schedulers.base", "apscheduler.triggers.interval",
                         "apscheduler.util", "apscheduler.job"):
                try:
                    module = importlib.import_module(name)
                except ImportError:
                    continue
                if hasattr(module, "datetime"):
                    monkeypatch.setattr(module, "datetime", SteppedBack)
        if runs >= 4:
            enough.set()

    scheduler = Scheduler([PeriodicJob("tick", 0.05, tick)], app.services, first_run_after=0)
    await scheduler.start()
    try:
        await asyncio.wait_for(enough.wait(), timeout=20)
    finally:
        await scheduler.stop()
    assert runs >= 4
