"""Bot processes for bench/throughput.py: start `caunoi run` or the echo bot against a fake Bot API,
read their CPU time and peak memory from /proc, stop them.

The bot's stderr goes to a file in its temporary folder (an unread pipe would fill up and stall
a bot that logs a lot); its tail is shown when the bot exits abnormally.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.proclog import log_tail, spawn_logged

ROOT = Path(__file__).resolve().parent.parent
THROUGHPUT = str(ROOT / "bench" / "throughput.py")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def self_cpu() -> float:
    """This process's own CPU time (the driver and the fake server)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class BotProcess:
    """A running bot and where its stderr goes."""

    which: str
    process: asyncio.subprocess.Process  # the bot, or py-spy running it
    log_path: Path
    pid: int = 0  # the bot's own Python process

    async def stop(self) -> None:
        """SIGTERM (cProfile writes its file on a clean exit), wait; raise with the log's tail if it failed."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)  # py-spy writes its file when the bot ends
        await asyncio.wait_for(self.process.wait(), 60)
        if self.process.returncode not in (0, -signal.SIGTERM):
            raise RuntimeError(f"{self.which} exited with {self.process.returncode}: {log_tail(self.log_path, 2000)}")


# The baselines: (updates at once, transport). "echo" has caunoi's set-up; "echo1" is PTB's default
# (issue 18's baseline); "echo_httpx" is caunoi's concurrency on PTB's default transport.
ECHO_SETUPS = {"echo": ("64", "aiohttp"), "echo1": ("1", "httpx"), "echo_httpx": ("64", "httpx")}


async def start_bot(which: str, token: str, api_url: str, folder: Path, profile: Path | None = None,
                    spy: Path | None = None) -> BotProcess:
    """`caunoi run` on folder/bench.sqlite3 with the send limit off, or the echo bot. `profile`:
    run caunoi under cProfile into that file; `spy`: sample it with py-spy (collapsed stacks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAUNOI_", "TELEGRAM_", "ZALO_"))}
    env.update({"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api_url, "CAUNOI_TELEGRAM_RATE": "0",
                "CAUNOI_DB": str(folder / "bench.sqlite3"), "PYTHONPATH": str(ROOT)})
    if which == "caunoi":
        argv = [sys.executable, "-m", "bot", "run"]
        if profile is not None:  # cProfile writes its file when SIGTERM ends the bot cleanly
            argv[1:1] = ["-m", "cProfile", "-o", str(profile)]
    else:
        argv = [sys.executable, THROUGHPUT, "--echo-bot", token, api_url, *ECHO_SETUPS[which]]
    if spy is not None:  # py-spy is a measuring tool, not a project dependency: pip install py-spy
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        argv = [py_spy, "record", "--format", "raw", "--rate", "250", "--nonblocking", "-o", str(spy), "--", *argv]
    log_path = folder / f"{which}.stderr"
    process = await spawn_logged(argv, log_path, cwd=folder, env=env)
    pid = process.pid
    if spy is not None:
        pid = await _child(process.pid)
    return BotProcess(which, process, log_path, pid)


def _children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


async def _child(pid: int) -> int:
    """The process py-spy started."""
    for _ in range(200):
        children = _children(pid)
        if children:
            return int(children[0])
        await asyncio.sleep(0.05)
    raise RuntimeError("py-spy did not start the bot")


@dataclass
class Result:
    """One bot's figures for one round."""

    updates: int
    seconds: float
    cpu: float
    rss_mb: float
    driver_cpu: float
    odd: int  # "menu out of date" / "something went wrong" / flood replies: the run lost its way
    sends: int = 0
    latencies: list[float] = field(default_factory=list)  # turns mode: seconds to the first answer

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_per_update(self) -> float:
        return self.cpu / self.updates

    def latency(self, share: float) -> float:
        """A percentile of the reply latency (share 0.5 = median), in seconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def line(name: str, r: Result) -> str:
    """One round's figures for one bot."""
    text = (f"  {name:7s} {r.updates:6d} updates in {r.seconds:6.2f}s = {r.rate:7.1f} updates/s, "
            f"{r.cpu_per_update * 1000:6.2f} ms CPU/update, peak RSS {r.rss_mb:5.1f} MB")
    if r.latencies:
        text += f", reply p50 {r.latency(0.5) * 1000:.0f} ms p95 {r.latency(0.95) * 1000:.0f} ms"
    return text + f" (driver CPU {r.driver_cpu:.1f}s, messages {r.sends}, stale/error replies {r.odd})"


def summary(results: dict[str, list[Result]]) -> list[str]:
    """The medians over rounds, and caunoi's ratios against each baseline (median of the rounds' ratios)."""
    lines = ["median:"]
    for name, rounds in results.items():
        text = (f"  {name:7s} {statistics.median(r.rate for r in rounds):7.1f} updates/s, "
                f"{statistics.median(r.cpu_per_update for r in rounds) * 1000:.2f} ms CPU/update, "
                f"peak RSS {max(r.rss_mb for r in rounds):.1f} MB")
        if rounds[0].latencies:
            text += (f", reply p50 {statistics.median(r.latency(0.5) for r in rounds) * 1000:.0f} ms"
                     f" p95 {statistics.median(r.latency(0.95) for r in rounds) * 1000:.0f} ms")
        lines.append(text)
    ours = results["caunoi"]
    for name, theirs in results.items():
        if name == "caunoi":
            continue
        pairs = list(zip(ours, theirs, strict=True))
        rate_ratio = statistics.median(o.rate / e.rate for o, e in pairs)
        cpu_ratio = statistics.median(e.cpu_per_update / o.cpu_per_update for o, e in pairs)
        verdict = (f"target ≥ 0.70: {'met' if min(rate_ratio, cpu_ratio) >= 0.7 else 'NOT met'}" if name == "echo1"
                   else "no target (the cost of caunoi's own code)" if name == "echo" else "no target")
        lines.append(f"  ratio against {name}: updates/s (caunoi/{name}) {rate_ratio:.2f}, CPU per update "
                     f"({name}/caunoi) {cpu_ratio:.2f} — {verdict}")
    return lines
