"""The console channel (`caunoi chat`): the same handlers in a terminal; type a number to choose."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.channels.base import Dispatch
from bot.channels.render import numbered
from bot.model import Event, Identity, Reply
from bot.pacer import Pacer, Ticket


class ConsoleChannel:
    """Reads lines from stdin, prints replies as text with numbered options."""

    name = "console"
    text_limit = 100_000
    pacer: Pacer | None = None  # a terminal needs no pacing

    def __init__(
        self, dispatch: Dispatch, user: str = "console", hint: str = "", saved: str = "[{path}]",
        stdin: TextIO | None = None, stdout: TextIO | None = None, files_dir: Path | None = None,
    ) -> None:
        self.dispatch = dispatch
        self.identity = Identity("console", user)
        self.hint = hint
        self.saved = saved  # the "file saved" line, from content texts
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        # Files the bot sends (exports, charts, calendars) go to a folder of their own, not among the
        # user's files (a clone would show them as untracked), readable by the owner only.
        self.files_dir = files_dir or Path.cwd() / "caunoi-files"

    async def start(self) -> None:
        """Nothing to start: `chat()` drives the conversation."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def deliver(self, address: str, reply: Reply, *, paid: bool = False,
                      ticket: Ticket | None = None) -> str | None:
        """Outbox messages for the console user are printed like replies."""
        if address == self.identity.address:
            self.show(reply)
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
        loop = asyncio.get_running_loop()
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
            line = await loop.run_in_executor(None, self._readline)

    def _readline(self) -> str | None:
        line = self.stdin.readline()
        return line if line else None

    def event(self, text: str) -> Event:
        """A typed line as an Event ("/cmd args" is a command)."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            name, _, args = stripped[1:].partition(" ")
            return Event(self.identity, "command", name.lower(), args.strip(), display_name=self.identity.address)
        return Event(self.identity, "text", text, display_name=self.identity.address)
