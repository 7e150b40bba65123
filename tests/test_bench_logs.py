"""The benches' child processes log to a file: a burst of tracebacks cannot hang them (issue 20 item 15)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.proclog import log_tail, spawn_logged

ROOT = Path(__file__).resolve().parent.parent

BURST = "import sys\nfor n in range(20000):\n    print('Traceback (most recent call last): line', n, file=sys.stderr)\n"


async def test_a_burst_on_stderr_does_not_block_the_child(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    process = await spawn_logged([sys.executable, "-c", BURST], log)
    assert await asyncio.wait_for(process.wait(), 60) == 0  # 20,000 lines: far more than a pipe holds
    assert log.stat().st_size > 500_000 and "line 19999" in log_tail(log)


def test_the_benches_never_pipe_stderr() -> None:
    # bench/throughput.py starts its bots through bench/botproc.py
    for path in (ROOT / "bench/broadcast.py", ROOT / "bench/botproc.py", ROOT / "tests/broadcast_bot.py"):
        source = path.read_text(encoding="utf-8")
        assert "stderr=asyncio.subprocess.PIPE" not in source, path.name
        assert "spawn_logged(" in source, path.name
    for path in (ROOT / "bench/throughput.py", ROOT / "bench/throughput_turns.py", ROOT / "bench/memory.py"):
        assert "stderr=asyncio.subprocess.PIPE" not in path.read_text(encoding="utf-8"), path.name
