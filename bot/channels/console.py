"""The console channel (`caunoi chat`): the same handlers in a terminal; type a number to choose.

Lines are read by a daemon thread, so Ctrl-C stops the chat at once (a blocked read in the
default executor would hold the process until Enter). `caunoi chat` also runs the outbox for
this terminal's console user: what staff broadcast, invitations, reminders and answers are
printed here as they are delivered (`only_address`: other terminals' users and Telegram/Zalo
identities are left to their own processes).
"""

from __future__ import annotations

import asyncio
import codecs
import io
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.channels.base import Dispatch
from bot.channels.render import numbered
from bot.model import Event, Identity, Option, Reply
from bot.pacer import Pacer, Ticket

RememberOptions = Callable[[Identity, list[Option]], Awaitable[None]]


class ConsoleChannel:
    """Reads lines from stdin, prints replies as text with numbered options."""

    name = "console"
    text_limit = 100_000
    pacer: Pacer | None = None  # a terminal needs no pacing

    def __init__(
        self, dispatch: Dispatch, user: str = "console", hint: str = "", saved: str = "[{path}]",
        stdin: TextIO | None = None, stdout: TextIO | None = None, files_dir: Path | None = None,
        display_name: str | None = None, remember_options: RememberOptions | None = None,
    ) -> None:
        self.dispatch = dispatch
        self.identity = Identity("console", user)
        self.display_name = user if display_name is None else display_name
        self.hint = hint
        self.saved = saved  # the "file saved" line, from content texts
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        # Files the bot sends (exports, charts, calendars) go to a folder of their own, not among the
        # user's files (a clone would show them as untracked), readable by the owner only.
        self.files_dir = files_dir or Path.cwd() / "caunoi-files"
        self.remember_options = remember_options

    @property
    def only_address(self) -> str:
        """The one console user this terminal delivers to (the outbox leaves other rows queued)."""
        return self.identity.address

    async def start(self) -> None:
        """Nothing to start: `chat()` drives the conversation."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def deliver(self, address: str, reply: Reply, *, paid: bool = False,
                      ticket: Ticket | None = None) -> str | None:
        """An outbox message for this terminal's user is printed like a reply; its options become
        what a typed number chooses (as after any reply)."""
        if address != self.identity.address:
            return None
        if reply.options and self.remember_options is not None:  # before printing: a quick typist's
            await self.remember_options(self.identity, reply.options)  # number must find them
        self.show(reply)
        self.stdout.write("> ")
        self.stdout.flush()
        return None

    async def edit(self, address: str, message_id: str, reply: Reply) -> None:
        """No editing in a terminal: print the new version."""
        await self.deliver(address, reply)

    def show(self, reply: Reply, start: int = 1) -> int:
        """Print one reply (and save its attachment to a file); return the next option number."""
        self.stdout.write("\n" + numbered(reply, self.hint, start) + "\n")
        if reply.attachment is not None:
            self.files_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self.files_dir / Path(reply.attachment.filename).name
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_bytes(reply.attachment.data)
            self.stdout.write(self.saved.format(path=path) + "\n")
        self.stdout.flush()
        return start + len(reply.options)

    async def chat(self, first: str = "/start") -> None:
        """Run the conversation until end of input or /quit."""
        lines = self._read_lines()
        line: str | None = first
        while line is not None:
            text = line.rstrip("\n")
            if text.strip() in ("/quit", "/exit"):
                break
            if text.strip():
                number = 1  # options are numbered on across one answer's replies, as the router counts
                for reply in await self.dispatch(self.event(text)):
                    number = self.show(reply, number)
            self.stdout.write("> ")
            self.stdout.flush()
            line = await lines.get()

    def _read_lines(self) -> asyncio.Queue[str | None]:
        """Lines typed, read by a daemon thread (None at end of input). A real terminal or pipe is
        read with os.read, which holds no lock of Python's: the process can exit while it waits."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def put(line: str | None) -> bool:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            except RuntimeError:  # the chat is over and its loop closed
                return False
            return True

        def pump() -> None:
            for line in self._lines():
                if not put(line):
                    return
            put(None)

        threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        return queue

    def _lines(self) -> Iterator[str]:
        """The typed lines, from the file descriptor when there is one."""
        try:
            fd = self.stdin.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            yield from iter(self.stdin.readline, "")
            return
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        while chunk := os.read(fd, 65536):
            pending += decoder.decode(chunk)
            *lines, pending = pending.split("\n")
            yield from (line + "\n" for line in lines)
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending

    def event(self, text: str) -> Event:
        """A typed line as an Event ("/cmd args" is a command)."""
        stripped = text.strip()
        name = self.display_name
        if stripped.startswith("/") and len(stripped) > 1:
            command, _, args = stripped[1:].partition(" ")
            return Event(self.identity, "command", command.lower(), args.strip(), display_name=name)
        return Event(self.identity, "text", text, display_name=name)
