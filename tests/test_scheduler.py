"""The scheduler runs every job the router registered, never two runs of one job at once, and a
failing job does not stop it. (These wait for real events, not for wall-clock amounts.)"""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.context import Services
from bot.router import PeriodicJob
from bot.scheduler import Scheduler


async def test_the_router_jobs_include_the_reminder_job(app: App) -> None:
    names = {job.name: job.seconds for job in app.dispatcher.router.jobs}
    assert names["class_reminders"] == 30


async def test_jobs_run_repeatedly_without_overlap_and_survive_errors(app: App) -> None:
    running, overlaps, runs = 0, 0, 0
    done = asyncio.Event()

    async def slow(services: Services) -> None:
        nonlocal running, overlaps, runs
        running += 1
        overlaps += running > 1
        await asyncio.sleep(0.05)  # longer than the interval: the next runs must wait, not pile up
        running -= 1
        runs += 1
        if runs >= 3 and scheduler.runs["broken"] >= 2:
            done.set()

    async def broken(services: Services) -> None:
        raise RuntimeError("boom")

    scheduler = Scheduler([PeriodicJob("slow", 0.01, slow), PeriodicJob("broken", 0.01, broken)],
                          app.services, first_run_after=0)
    await scheduler.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        await scheduler.stop()
    assert overlaps == 0 and runs >= 3
    assert scheduler.runs["broken"] >= 2  # it failed, was logged, and ran again
    assert scheduler.failures["broken"] == scheduler.runs["broken"] and scheduler.failures["slow"] == 0


async def test_run_all_once_runs_the_real_reminder_job(app: App) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.clock import FakeClock
    from tests.chat import Chat
    from tests.conftest import STAFF
    from tests.test_classes import make_class, onboarded

    await onboarded(app, 1)
    await make_class(Chat(app, STAFF))
    assert isinstance(app.clock, FakeClock)
    app.clock.current = datetime(2026, 12, 4, 1, 0, tzinfo=UTC) + timedelta(seconds=5)  # one day before, +5 s
    scheduler = Scheduler(app.dispatcher.router.jobs, app.services)
    await scheduler.run_all_once()
    assert scheduler.runs["class_reminders"] == 1
    assert not any(scheduler.failures.values()), scheduler.failures  # every real job ran without raising
    refs = [r["ref"] for r in await app.db.fetchall("SELECT ref FROM deliveries WHERE kind = 'reminder'")]
    assert refs == ["reminder:1:86400:1"]  # and the reminder job did its work


async def test_the_running_scheduler_queues_a_due_reminder(app: App) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.clock import FakeClock
    from tests.chat import Chat
    from tests.conftest import STAFF
    from tests.test_classes import make_class, onboarded

    await onboarded(app, 1)
    await make_class(Chat(app, STAFF))
    assert isinstance(app.clock, FakeClock)
    app.clock.current = datetime(2026, 12, 4, 1, 0, tzinfo=UTC) + timedelta(seconds=5)  # one day before, +5 s
    scheduler = Scheduler(app.dispatcher.router.jobs, app.services, first_run_after=0)
    await scheduler.start()
    try:
        for _ in range(500):  # wait for the first run to finish (bounded; it takes milliseconds)
            if scheduler.runs.get("class_reminders"):
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
    refs = [r["ref"] for r in await app.db.fetchall("SELECT ref FROM deliveries WHERE kind = 'reminder'")]
    assert refs == ["reminder:1:86400:1"]
