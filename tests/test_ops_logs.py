"""The log has one line per event that matters, with ids but no personal data at INFO."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from handlers.broadcast import progress_job
from tests.chat import Chat
from tests.test_broadcast import MESSAGE, drain, leaders, tg  # noqa: F401  (tg is a fixture)
from tests.test_outbox_fakes import FakeChannel


async def test_broadcast_start_and_finish_are_logged_with_counts(app: App, staff: Chat, tg: FakeChannel,  # noqa: F811
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    await leaders(app)
    caplog.set_level(logging.INFO, logger="handlers.broadcast")
    await staff.send(f"/broadcast {MESSAGE}")
    await staff.press("Tất cả")
    await staff.press("Gửi ngay")
    await drain(tg)
    await progress_job(app.services)
    lines = [r.getMessage() for r in caplog.records if r.name == "handlers.broadcast"]
    assert any(line.startswith("broadcast 1 started by person ") and "3 recipients" in line for line in lines)
    assert "broadcast 1 finished: 3 recipients, 3 sent, 0 unknown, 0 blocked, 0 failed" in lines
    assert not any(MESSAGE[:20] in line or "Người 10" in line for line in lines)  # no text, no names
