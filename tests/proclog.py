"""Child processes of the benches write their log (stderr) to a file, never to a pipe nobody reads:
a burst of tracebacks would fill the pipe (64 kB) and hang the bot mid-benchmark (issue 20 item 15)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any


async def spawn_logged(argv: list[str], log_path: Path, **kwargs: Any) -> asyncio.subprocess.Process:
    """Start `argv` with stdout discarded and stderr appended to `log_path`."""
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=log, **kwargs)


def log_tail(log_path: Path, chars: int = 3000) -> str:
    """The end of a child's log (for an error message)."""
    try:
        return log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""
