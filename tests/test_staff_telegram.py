"""End to end on the fake Bot API: two commune staff send one broadcast each to "Tất cả", and each
reaches only the leaders of its own commune."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.config import Config
from bot.outbox import Outbox
from bot.store import staff as stored
from tests.telegram_rig import telegram_rig


def texts_in(rig, chat_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Every text the bot sent to one chat."""
    return [str(m.get("text", "")) for m in rig.tg.messages_in(chat_id)]


async def test_two_commune_staff_each_reach_only_their_commune(config: Config, clock: FakeClock) -> None:
    async with telegram_rig(config, clock) as rig:
        assert rig.app is not None
        for address, commune in (("7001", "Xã Hương Khê"), ("7002", "Xã Hà Linh")):
            await stored.add(rig.app.db, f"tg:{address}", communes=frozenset({commune}), sensitive=False,
                             province=False, by="tg:9000", at="2026-12-01T00:00:00")
        await rig.user(101, "An").onboard(name="Nguyễn Văn An", commune="Hương Khê")
        await rig.user(102, "Bình").onboard(name="Trần Thị Bình", commune="Hà Linh")
        await rig.user(103, "Cường").onboard(name="Lê Văn Cường", commune="Hà Linh")
        for address, message, reached in ((7001, "Họp thôn Hương Khê tối thứ Sáu", 1),
                                          (7002, "Họp tổ Hà Linh sáng Chủ nhật", 2)):
            staff = rig.user(address, "Cán bộ")
            await staff.send(f"/broadcast {message}")
            await staff.press("Tất cả")
            assert f"{reached} người" in staff.text, staff.text
            await staff.press("Gửi ngay")
        outbox = Outbox(rig.app.services, rig.app.channels)
        rig.app.components.append(outbox)
        await outbox.start()
        outbox.wake()
        assert await outbox.drain(within=15)
        assert any("Hương Khê tối thứ Sáu" in t for t in texts_in(rig, 101))
        assert not any("Hà Linh sáng Chủ nhật" in t for t in texts_in(rig, 101))
        for leader in (102, 103):
            assert any("Hà Linh sáng Chủ nhật" in t for t in texts_in(rig, leader))
            assert not any("Hương Khê tối thứ Sáu" in t for t in texts_in(rig, leader))
        other = rig.user(7001, "Cán bộ")
        await other.send("/broadcast status")
        assert any("#1" in label for label in other.labels) and not any("#2" in label for label in other.labels)
