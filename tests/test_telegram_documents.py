"""Documents are downloaded only when a handler that takes files asks, and only for staff
(issue 20 item 2), over HTTP against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.config import Config
from tests.telegram_rig import TelegramRig, telegram_rig
from tests.test_roster import HEADER, ROWS, csv_bytes


@pytest.fixture
async def rig(config: Config, clock: FakeClock) -> AsyncIterator[TelegramRig]:
    async with telegram_rig(config, clock) as running:
        yield running


async def test_a_leaders_document_is_never_downloaded(rig: TelegramRig) -> None:
    leader = rig.user(108)
    for n in range(3):
        await leader.send_update(rig.tg.document(108, f"lon-{n}.csv", b"x" * 100_000))
        assert leader.messages  # answered politely all the same
    await leader.send("/import")  # refused to leaders: still nothing fetched
    await leader.send_update(rig.tg.document(108, "ds.csv", csv_bytes(HEADER + ROWS)))
    assert rig.tg.calls_of("getFile") == []
    assert rig.tg.downloads == 0


async def test_a_staff_roster_is_downloaded_once_when_the_roster_handler_asks(rig: TelegramRig) -> None:
    staff = rig.user(9000, "Cán bộ")
    await staff.send_update(rig.tg.document(9000, "ds.csv", csv_bytes(HEADER + ROWS)))
    assert any("chạy thử" in m.get("text", "") for m in staff.messages)
    assert len(rig.tg.calls_of("getFile")) == 1 and rig.tg.downloads == 1
