"""The scheduler: APScheduler 3.x runs every periodic job the feature modules registered.

No job store and no pickling: the jobs are rebuilt from the router at each start, and
their state lives in SQLite (e.g. classes.next_reminder_at), so nothing is lost on restart.
Each job runs at most once at a time (max_instances=1) and runs missed while busy are
merged into one (coalesce=True).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.context import Services
from bot.router import PeriodicJob

log = logging.getLogger(__name__)


class Scheduler:
    """A Component of the app (start/stop) that runs the router's periodic jobs."""

    def __init__(self, jobs: Sequence[PeriodicJob], services: Services, first_run_after: float = 1.0) -> None:
        self.jobs = list(jobs)
        self.services = services
        self.first_run_after = first_run_after  # catch up soon after a restart, not only after a full period
        self.runs: dict[str, int] = {job.name: 0 for job in self.jobs}  # finished runs, failed or not
        self.failures: dict[str, int] = {job.name: 0 for job in self.jobs}  # runs that raised
        self._scheduler: AsyncIOScheduler | None = None
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Schedule every job and start (needs the running event loop)."""
        scheduler = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
        first = datetime.now(UTC) + timedelta(seconds=self.first_run_after)
        for job in self.jobs:
            scheduler.add_job(
                self.run, IntervalTrigger(seconds=job.seconds, timezone=UTC), args=(job,), id=job.name,
                name=job.name, max_instances=1, coalesce=True, misfire_grace_time=max(1, int(job.seconds)),
                next_run_time=first, replace_existing=True,
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler started: %s", ", ".join(f"{j.name} every {j.seconds:g}s" for j in self.jobs) or "no jobs")

    async def stop(self) -> None:
        """Stop scheduling and wait (up to 10 s) for a job that is running to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=10)
        except TimeoutError:
            log.warning("a periodic job was still running at shutdown")

    async def run(self, job: PeriodicJob) -> None:
        """Run one job once; its errors are logged and never stop the scheduler."""
        self._running += 1
        self._idle.clear()
        try:
            await job.job(self.services)
        except Exception:
            log.exception("periodic job %s failed", job.name)
            self.failures[job.name] = self.failures.get(job.name, 0) + 1
        finally:
            self.runs[job.name] = self.runs.get(job.name, 0) + 1
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def run_all_once(self) -> None:
        """Run every job once now, in order (for `caunoi` commands and tests)."""
        for job in self.jobs:
            await self.run(job)
