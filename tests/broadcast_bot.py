"""`caunoi run` as a real process on a prepared database against the fake Bot API: one broadcast
queued for N leaders, and helpers to watch it from outside (tests/test_outbox_kill.py and
bench/broadcast.py share them; the bench imports from here, never the other way round)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import iso
from bot.model import Option, Reply
from bot.store import broadcasts
from bot.store.db import Database
from tests.fake_telegram import FakeTelegram
from tests.proclog import log_tail, spawn_logged

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = "Thông báo: hội nghị trưởng thôn, tổ trưởng tổ dân phố lúc 7 giờ 30 sáng thứ Hai tại hội trường xã."
STAFF_CHAT = 9000
FIRST_CHAT = 100_000


async def prepare(db_path: Path, leaders: int, first_chat: int = FIRST_CHAT, queue: bool = True) -> None:
    """A database with `leaders` registered leaders on Telegram, staff tg:9000, and (with `queue`)
    the broadcast queued."""
    now = datetime.now(UTC)
    stamp = iso(now)
    db = await Database(db_path).open()
    try:
        async with db.write() as conn:
            await conn.execute("INSERT INTO people (id, name, created_at, last_channel) VALUES (1, 'Cán bộ', ?, 'tg')",
                               (stamp,))
            await conn.execute("INSERT INTO identities (channel, address, person_id, last_seen) VALUES ('tg', ?, 1, ?)",
                               (str(STAFF_CHAT), stamp))
            await conn.executemany(
                "INSERT INTO people (id, name, role, commune, hamlet, registered_at, created_at, last_channel)"
                " VALUES (?, ?, 'truong_thon', 'Xã Hương Khê', 'Thôn 1', ?, ?, 'tg')",
                [(2 + i, f"Người {i}", stamp, stamp) for i in range(leaders)])
            await conn.executemany(
                "INSERT INTO identities (channel, address, person_id, last_seen) VALUES ('tg', ?, ?, ?)",
                [(str(first_chat + i), 2 + i, stamp) for i in range(leaders)])
        if not queue:
            return
        await broadcasts.create(
            db, 1, MESSAGE, {"kind": "all"}, now, now,
            lambda bid: Reply(MESSAGE, [Option("Đã nhận ✅", f"ack:{bid}")]),
            lambda bid, n: Reply(f"📣 Thông báo #{bid}: đang gửi… 0/{n}"))
    finally:
        await db.close()


async def start_bot(db_path: Path, tg: FakeTelegram, rate: float, paid: bool) -> asyncio.subprocess.Process:
    """`python -m bot run` on this database against the fake server (no .env, only these variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "CAUNOI_"))}
    env.update({
        "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url, "CAUNOI_DB": str(db_path),
        "CAUNOI_ADMINS": f"tg:{STAFF_CHAT}", "CAUNOI_TELEGRAM_RATE": f"{rate:g}", "PYTHONPATH": str(ROOT),
    })
    if paid:
        env["CAUNOI_PAID_BROADCAST"] = "1"
    # The log goes to a file beside the database: a pipe nobody reads would hang the bot when full.
    return await spawn_logged([sys.executable, "-m", "bot", "run"], db_path.parent / "bot.log",
                              cwd=db_path.parent, env=env)


def received(tg: FakeTelegram) -> list[tuple[int, float]]:
    """(chat, time) of every accepted broadcast message, in order."""
    return [(int(c.params["chat_id"]), c.time) for c in tg.calls
            if c.method == "sendMessage" and c.status == 200 and c.params.get("text") == MESSAGE]


def unsettled(db_path: Path) -> int:
    """Broadcast deliveries still pending or sending (read-only, beside the running bot)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
        row = conn.execute("SELECT COUNT(*) FROM deliveries WHERE kind = 'broadcast'"
                           " AND status IN ('pending', 'sending')").fetchone()
    return int(row[0])


def statuses(db_path: Path) -> dict[str, int]:
    """Broadcast deliveries per status."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute("SELECT status, COUNT(*) FROM deliveries WHERE kind = 'broadcast' GROUP BY status")
        return {str(status): int(n) for status, n in rows}


async def until(condition: Callable[[], bool], within: float, what: str) -> None:
    """Wait (polling) until `condition()` is true; raise TimeoutError naming `what`."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def stop_bot(process: asyncio.subprocess.Process, log_path: Path) -> str:
    """SIGTERM, wait; return the log (the file start_bot wrote it to: db_path.parent / "bot.log")."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)
    return log_tail(log_path, chars=1_000_000)


async def staff_sends(tg: FakeTelegram) -> float:
    """Staff compose the broadcast through the running bot (/broadcast, text, audience "all") and press
    Gửi; return when they pressed (the fake's clock). Each step waits a little over a second after
    the bot's answer, as a person reading it would (and within Telegram's 1 message/s per chat)."""
    async def step(inject: object) -> None:
        tg.mark()
        inject()  # type: ignore[operator]
        await tg.wait_for("sendMessage", within=30, chat_id=STAFF_CHAT)
        await asyncio.sleep(1.1)

    await step(lambda: tg.command(STAFF_CHAT, "broadcast"))
    await step(lambda: tg.text(STAFF_CHAT, MESSAGE))
    await step(lambda: tg.press(STAFF_CHAT, "bc:aud:all"))
    pressed = time.monotonic()
    tg.press(STAFF_CHAT, "bc:send")
    return pressed
