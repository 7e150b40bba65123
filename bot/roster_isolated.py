"""Roster parsing in a separate process with time and memory limits (issue 20 item 3).

A hostile or merely huge file (a zip whose shared strings unpack to gigabytes, a CSV with
millions of header cells) must not stall the bot for everyone else or eat the machine's memory:
the file is read in a child process (spawned, so it shares nothing with the event loop's
threads) under RLIMIT_AS and RLIMIT_CPU, and killed when it overruns its wall-clock time.
The bot's event loop only polls a pipe meanwhile, so other people keep getting answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import resource
import time
from multiprocessing.connection import Connection
from typing import Any

from bot.content.units import Units
from bot.roster import Parsed, RosterError, parse

TIMEOUT = 60.0  # seconds of wall-clock time for one file
MEMORY = 1024 * 1024 * 1024  # bytes of address space the child may add for parsing (RLIMIT_AS)
_POLL = 0.02


def _child(conn: Connection, data: bytes, filename: str, units: Units, year: int, memory: int, cpu: int) -> None:
    """In the child: limit ourselves, parse, send back ("ok", Parsed) or ("error", key, values)."""
    result: tuple[Any, ...]
    try:
        limit = _address_space() + memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        result = ("ok", parse(data, filename, units, year))
    except RosterError as exc:
        result = ("error", exc.key, exc.values)
    except MemoryError:
        result = ("error", "errors.too_complex", {})
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("error", "errors.too_complex", {}))
    finally:
        conn.close()


def _address_space() -> int:
    """The child's own address space before parsing (Linux /proc; 0 elsewhere), so `memory` is what
    parsing may add whatever the interpreter's size."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


async def parse_isolated(data: bytes, filename: str, units: Units, year: int, *,
                         seconds: float = TIMEOUT, memory: int = MEMORY) -> Parsed:
    """`bot.roster.parse` in a child process; RosterError when the file is unusable, too slow or too big."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, name="caunoi-roster", daemon=True,
                              args=(sender, data, filename, units, year, memory, int(seconds) + 1))
    process.start()
    sender.close()
    deadline = time.monotonic() + seconds
    try:
        while not receiver.poll():
            if time.monotonic() > deadline:
                raise RosterError("errors.too_slow")
            if not process.is_alive() and not receiver.poll():
                raise RosterError("errors.too_complex")  # killed by a limit before it could answer
            await asyncio.sleep(_POLL)
        try:
            result = receiver.recv()
        except EOFError as exc:
            raise RosterError("errors.too_complex") from exc
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(process.join, 5)
    if result[0] == "error":
        raise RosterError(result[1], **result[2])
    parsed: Parsed = result[1]
    return parsed
