"""The scheduler: runs every periodic job the feature modules registered, on the event loop's
monotonic clock.

Intervals are measured with the loop's monotonic time, not the wall clock: setting the machine's
clock back (or forward) neither freezes the jobs nor makes them run in a burst (issue 20 item 10;
APScheduler 3's interval trigger reads the wall clock, so it is not used here). No job store and
no pickling: the jobs are rebuilt from the router at each start, and their state lives in SQLite
(e.g. classes.next_reminder_at), so nothing is lost on restart. Each job runs at most once at a
time, and a run that takes longer than the interval is followed by the next at once, never by a
pile of missed runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

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
        self._tasks: list[asyncio.Task[None]] = []
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Start one loop per job (needs the running event loop)."""
        self._tasks = [asyncio.create_task(self._every(job), name=f"job-{job.name}") for job in self.jobs]
        log.info("scheduler started: %s", ", ".join(f"{j.name} every {j.seconds:g}s" for j in self.jobs) or "no jobs")

    async def _every(self, job: PeriodicJob) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(self.first_run_after)
        while True:
            started = loop.time()  # monotonic
            await asyncio.shield(self.run(job))  # a stop lets the run finish (see stop)
            await asyncio.sleep(max(0.0, job.seconds - (loop.time() - started)))

    async def stop(self) -> None:
        """Stop scheduling and wait (up to 10 s) for a job that is running to finish."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
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
