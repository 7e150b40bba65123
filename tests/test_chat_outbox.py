"""`caunoi chat` runs the outbox for its own console user: real processes on one database file.
An admin broadcasts from one terminal; a leader's terminal prints it with "Đã nhận ✅", the ack
is counted; Telegram rows stay queued for `caunoi run`; Ctrl-C ends a chat at once."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

from bot.app import open_app
from bot.clock import Clock
from bot.config import load_config
from bot.store import broadcasts
from tests.test_cli import CAUNOI, env
from tests.test_outbox_fakes import add_leader, statuses

GENEROUS = 60.0  # seconds: a bound only a hung terminal misses (no timed assertion)
MESSAGE = "Mời các đồng chí họp thôn lúc 19 giờ tối nay tại nhà văn hóa."


class Terminal:
    """One `caunoi chat` process: type lines, read what it prints."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""
        self.seen = 0  # where the next `expect` starts looking
        self._more = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := await self.process.stdout.read(4096):
            self.output += chunk.decode("utf-8", "replace")
            self._more.set()
        self._more.set()

    async def expect(self, text: str) -> str:
        """Wait until `text` is printed after what was already expected; return the output up to it."""
        async def seen() -> int:
            while (at := self.output.find(text, self.seen)) < 0:
                assert not self._reader.done(), self.output[-3000:]
                self._more.clear()
                await self._more.wait()
            return at
        try:
            at = await asyncio.wait_for(seen(), GENEROUS)
        except TimeoutError:
            raise AssertionError(f"{text!r} never printed; the terminal shows:\n{self.output[-1500:]}") from None
        chunk = self.output[self.seen:at + len(text)]
        self.seen = at + len(text)
        return chunk

    def number_of(self, label: str) -> str:
        """The number printed before the last option containing `label`."""
        found = re.findall(rf"^\s*(\d+)\. [^\n]*{re.escape(label)}", self.output, re.MULTILINE)
        assert found, (label, self.output[-2000:])
        return str(found[-1])

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        await self.process.stdin.drain()

    async def quit(self) -> str:
        await self.type("/quit")
        await asyncio.wait_for(self.process.wait(), GENEROUS)
        await self._reader
        assert self.process.returncode == 0
        return self.output


async def open_terminal(tmp_path: Path, *args: str) -> Terminal:
    process = await asyncio.create_subprocess_exec(
        *CAUNOI, "chat", *args, cwd=tmp_path, env=env(tmp_path), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    return Terminal(process)


async def onboard(leader: Terminal, name: str) -> None:
    await leader.expect("Tôi đồng ý")
    for answer, then in (("1", "họ và tên"), (name, "Trưởng thôn"), ("1", "Hương Khê"), ("Hương Khê", "thôn"),
                         ("Thôn 1", "Bỏ qua"), ("Bỏ qua", "Đúng"), ("1", "Đăng ký xong")):
        await leader.type(answer)
        await leader.expect(then)


async def seed_telegram_leader(tmp_path: Path) -> None:
    config = load_config(env={"CAUNOI_DB": str(tmp_path / "cli.sqlite3")}, dotenv=tmp_path / "none.env")
    app = await open_app(config, clock=Clock())
    try:
        await add_leader(app, 555, channel="tg")
    finally:
        await app.close()


async def test_a_broadcast_from_one_terminal_appears_in_the_leaders(tmp_path: Path) -> None:
    await seed_telegram_leader(tmp_path)
    an = await open_terminal(tmp_path, "--user", "an")
    await onboard(an, "Nguyễn Văn An")
    binh = await open_terminal(tmp_path, "--user", "binh")
    await onboard(binh, "Trần Thị Bình")
    staff = await open_terminal(tmp_path, "--admin", "--user", "hoa", "--name", "Lê Thị Hoa")
    await staff.expect("Việc của cán bộ")  # staff open on the staff menu
    await staff.type(f"/broadcast {MESSAGE}")
    await staff.expect("Tất cả")
    await staff.type(staff.number_of("Tất cả"))
    await staff.expect("Gửi ngay")
    await staff.type(staff.number_of("Gửi ngay"))
    await staff.expect("#1")

    # Each leader's terminal prints the broadcast, with its "Đã nhận ✅" to type.
    await an.expect(MESSAGE)
    await an.expect("Đã nhận ✅")
    await an.type(an.number_of("Đã nhận"))
    await an.expect("Cảm ơn")
    await binh.expect(MESSAGE)

    await staff.type("/broadcast status")
    await staff.expect("#1 ·")
    await staff.type(staff.number_of("#1 ·"))
    await staff.expect("nhưng chưa bấm")  # the staff report: who has not acknowledged yet…
    waiting = await staff.expect("Trần Thị Bình")
    acked = await staff.expect("Nguyễn Văn An")  # …and who has
    assert "(1 người)" in waiting and "Đã bấm" in acked and "(1 người)" in acked
    for terminal in (an, binh, staff):
        output = await terminal.quit()
        assert "Traceback" not in output
    assert an.output.count(MESSAGE) == 1 and binh.output.count(MESSAGE) == 1  # each terminal its own, once

    config = load_config(env={"CAUNOI_DB": str(tmp_path / "cli.sqlite3")}, dotenv=tmp_path / "none.env")
    app = await open_app(config, clock=Clock())
    try:
        rows = await app.db.fetchall("SELECT channel, status FROM deliveries WHERE kind = 'broadcast'")
        assert sorted((r["channel"], r["status"]) for r in rows) == [
            ("console", "sent"), ("console", "sent"), ("tg", "pending")]  # Telegram's waits for `caunoi run`
        assert (await statuses(app, "broadcast"))["sent"] == 2
        assert await broadcasts.get(app.db, 1) is not None
    finally:
        await app.close()


async def test_ctrl_c_ends_a_chat_at_once(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *CAUNOI, "chat", "--user", "an", cwd=tmp_path, env=env(tmp_path), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    terminal = Terminal(process)
    await terminal.expect("Tôi đồng ý")
    process.send_signal(signal.SIGINT)  # the terminal is waiting for a line (stdin stays open)
    assert process.stderr is not None
    stderr = await asyncio.wait_for(process.stderr.read(), GENEROUS)
    assert await asyncio.wait_for(process.wait(), GENEROUS) == 130
    assert b"Traceback" not in stderr and b"Event loop is closed" not in stderr
    again = await open_terminal(tmp_path, "--user", "an")  # the store was closed cleanly: it opens again
    await again.expect("Tôi đồng ý")
    await again.quit()


async def test_a_question_typed_at_the_menu_is_answered_by_name_in_the_leaders_terminal(tmp_path: Path) -> None:
    an = await open_terminal(tmp_path, "--user", "an")
    await onboard(an, "Nguyễn Văn An")
    await an.type("Cho tôi hỏi lớp học tuần sau ở đâu vậy?")
    await an.expect("Gửi cho cán bộ phụ trách?")
    await an.type(an.number_of("Gửi cho cán bộ"))
    await an.expect("kiểm tra lại")
    await an.type(an.number_of("✅ Gửi"))
    await an.expect("Đã gửi (mã số #1)")

    staff = await open_terminal(tmp_path, "--admin", "--user", "hoa", "--name", "Lê Thị Hoa")
    await staff.expect("Việc của cán bộ")
    await staff.type("/inbox")
    await staff.expect("Mở #1")
    await staff.type(staff.number_of("Mở #1"))
    await staff.expect("Trả lời")
    await staff.type(staff.number_of("Trả lời"))
    await staff.expect("Nguyễn Văn An")
    await staff.type("Lớp học ở hội trường UBND xã, 8 giờ sáng thứ Hai.")
    await staff.expect("Gửi nhé?")
    await staff.type(staff.number_of("Gửi"))
    await staff.expect("Đã lưu câu trả lời")
    await staff.expect("Đã trả lời (Lê Thị Hoa")  # the staff member's name, not "console"

    await an.expect("đã trả lời")  # delivered to the leader's terminal by its own outbox
    await an.expect("hội trường UBND xã")
    for terminal in (an, staff):
        assert "Traceback" not in await terminal.quit()
