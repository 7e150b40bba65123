"""A real `kill -9` of `caunoi run` in the middle of a broadcast, then a restart: the broadcast
completes, nobody gets it twice, and only rows cut off in flight may be missing (marked unknown)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.broadcast_bot import FIRST_CHAT, prepare, received, start_bot, statuses, stop_bot, unsettled, until
from tests.fake_telegram import FakeTelegram

LEADERS = 60
RATE = 60  # the fake's limit and the bot's pace: fast, yet flood control stays on


async def test_kill_9_mid_broadcast_then_restart_completes_without_duplicates(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.sqlite3"
    await prepare(db_path, LEADERS)
    async with FakeTelegram(flood_control=True, overall_rate=RATE) as tg:
        process = await start_bot(db_path, tg, RATE, paid=False)
        try:
            await until(lambda: len(received(tg)) >= LEADERS // 2, 60, "half of the broadcast")
            process.kill()  # SIGKILL: no clean shutdown
            await process.wait()
            half = len(received(tg))
            assert half < LEADERS
            process = await start_bot(db_path, tg, RATE, paid=False)
            await until(lambda: unsettled(db_path) == 0, 60, "every delivery settled after the restart")
        finally:
            log = await stop_bot(process, tmp_path / "bot.log")  # both runs append to it
    assert "Traceback" not in log, log[-2000:]
    per_chat = Counter(chat for chat, _ in received(tg))
    assert max(per_chat.values()) == 1  # no duplicates: a row cut off in flight is never resent
    lost = {FIRST_CHAT + i for i in range(LEADERS)} - set(per_chat)
    final = statuses(db_path)
    assert set(final) <= {"sent", "unknown"}
    # Only rows in flight at the kill may be missing; staff see them as unknown. A row is claimed
    # just before its slot, so on loopback that is the one on the wire and at most one about to go
    # (the bench: 0 or 1 of 1,000); 3 leaves room for a slow, loaded CI machine.
    assert final.get("unknown", 0) <= 3 and len(lost) <= final.get("unknown", 0)
    assert final["sent"] + final.get("unknown", 0) == LEADERS
    assert tg.flood_429s == 0
