"""Zalo's refusals as the real Bot API sends them (tests/fake_zalo.py), through the channel, the
outbox and the store: 403/404 do not cut people off on a burst, only on evidence over a simulated
day; 429 backs off in steps before staff are alerted. Time is the bot's FakeClock; the channel's
back-off pauses are shortened, so nothing waits for real time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.channels.base import QuotaExceeded, RetryAfter, Transient
from bot.channels.zalo_delivery import QUOTA_STEPS, UNREACHABLE_SENDS
from bot.clock import FakeClock, iso
from bot.config import Config
from bot.model import Identity, Reply
from bot.outbox import ChannelSettings, Outbox
from bot.store import delivery_failures, people
from bot.store import outbox as outbox_store
from tests.chat import Chat
from tests.fake_zalo import FakeZalo
from tests.test_zalo_channel import Bot, running
from tests.test_zalo_e2e import onboard_by_typing

# max_attempts 10: rows still back off after the 39 simulated hours of the outage test (default 5)
FAST = ChannelSettings(rate=0, per_chat=0, concurrency=4, idle_poll=0.02, max_attempts=10)


@dataclass
class World:
    """A polling Zalo bot, its outbox, and the people it sends to."""

    bot: Bot
    outbox: Outbox
    clock: FakeClock

    async def person(self, address: str) -> int:
        """A leader known on Zalo (as after their first message)."""
        person, _ = await people.touch(self.bot.app.db, Identity("zalo", address), "Lãnh đạo thôn",
                                       iso(self.clock.now()))
        return person.id

    async def queue(self, ref: str, *person_ids: int) -> None:
        """A message for each person, through the outbox."""
        for person_id in person_ids:
            await outbox_store.enqueue_on(self.bot.app.db, "broadcast", ref, person_id, "zalo",
                                          Reply(f"Thông báo {ref}"), self.clock.now())
        self.outbox.wake("zalo")

    async def settle(self) -> None:
        """Until nothing is due now (rows backing off wait for the FakeClock to move)."""
        assert await self.outbox.drain(within=15)

    async def statuses(self, ref: str) -> dict[int, str]:
        rows = await self.bot.app.db.fetchall(
            "SELECT person_id, status FROM deliveries WHERE ref = ?", (ref,))
        return {r["person_id"]: r["status"] for r in rows}

    async def unreachable(self) -> set[int]:
        rows = await self.bot.app.db.fetchall("SELECT id FROM people WHERE unreachable = 1")
        return {r["id"] for r in rows}


@pytest.fixture
async def world(config: Config, clock: FakeClock) -> AsyncIterator[World]:
    async with FakeZalo(poll_cap=0.2) as zalo:
        bot = await running(config, zalo, clock)
        bot.channel.refusals.outage.seconds = (0.01, 0.01, 0.01)
        bot.channel.retry_base = 0.01  # a direct reply's retries
        outbox = Outbox(bot.app.services, {"zalo": bot.channel}, {"zalo": FAST})
        await outbox.start()
        try:
            yield World(bot, outbox, clock)
        finally:
            await outbox.stop()
            await bot.app.close()


async def test_a_403_burst_does_not_mark_leaders_unreachable(world: World) -> None:
    zalo = world.bot.zalo
    ids = [await world.person(f"o{i}") for i in range(6)]
    zalo.refuse_all = 403  # Zalo's "internal server error" for everyone, for over a day
    await world.queue("1", *ids)
    await world.settle()
    for _ in range(3):
        world.clock.advance(timedelta(hours=13))
        world.outbox.wake("zalo")
        await world.settle()
    refused = len([c for c in zalo.calls_of("sendMessage") if not c.accepted])
    assert refused >= 6 * 3  # every leader was tried again and again over 39 simulated hours
    assert await world.unreachable() == set()
    assert set((await world.statuses("1")).values()) == {"pending"}  # backing off, not given up
    zalo.refuse_all = None  # Zalo is back
    world.clock.advance(timedelta(hours=1))
    world.outbox.wake("zalo")
    await world.settle()
    assert set((await world.statuses("1")).values()) == {"sent"}
    assert all(zalo.sent(f"o{i}") == ["Thông báo 1"] for i in range(6))


async def test_repeated_403_for_one_person_over_a_day_marks_them_unreachable(world: World) -> None:
    zalo = world.bot.zalo
    gone, fine = await world.person("gone"), await world.person("fine")
    zalo.block("gone")
    await world.queue("1", gone, fine)
    await world.settle()
    assert await world.statuses("1") == {gone: "pending", fine: "sent"}
    for sends in range(2, UNREACHABLE_SENDS + 1):
        assert await world.unreachable() == set()  # not yet: the evidence is short of a day
        world.clock.advance(timedelta(hours=13))
        world.outbox.wake("zalo")
        await world.settle()
        evidence = (await delivery_failures.evidence(world.bot.app.db, gone))["zalo"]
        assert (evidence.code, evidence.sends) == (403, sends)
    assert await world.unreachable() == {gone}  # 3 sends over 26 hours, all refused
    assert (await world.statuses("1"))[gone] == "blocked"
    # Staff put the person back in reach (e.g. from the broadcast report): evidence forgotten.
    assert await delivery_failures.set_reachable(world.bot.app.db, [gone], world.clock.now(), "tg:9000") == 1
    assert await world.unreachable() == set()
    assert await delivery_failures.evidence(world.bot.app.db, gone) == {}
    audit = await world.bot.app.db.fetchall("SELECT action, subject FROM audit_log")
    assert [(r["action"], r["subject"]) for r in audit] == [("person.reachable", f"person:{gone}")]


async def test_a_sign_of_life_restarts_the_evidence(world: World) -> None:
    zalo = world.bot.zalo
    person = await world.person("back")
    zalo.block("back", code=404)
    await world.queue("1", person)
    await world.settle()
    world.clock.advance(timedelta(hours=13))
    wrote_at = world.clock.now()
    calls = len(zalo.calls_of("sendMessage"))
    zalo.text("back", "/help")  # they wrote to the bot: the chat exists (the reply is refused too)
    await zalo.wait_calls("sendMessage", calls + 1)
    await world.bot.channel.drained()
    world.outbox.wake("zalo")
    await world.settle()
    world.clock.advance(timedelta(hours=13))
    world.outbox.wake("zalo")
    await world.settle()
    # Three outbox sends over 26 hours were refused, but the evidence starts again after the message.
    attempts = await world.bot.app.db.fetchval("SELECT attempts FROM deliveries WHERE ref = '1'")
    evidence = (await delivery_failures.evidence(world.bot.app.db, person))["zalo"]
    assert attempts == 3 and evidence.code == 404 and evidence.first_at == wrote_at
    assert await world.unreachable() == set()


async def test_429_backs_off_in_steps_then_counts_as_an_exhausted_quota(world: World) -> None:
    channel, zalo = world.bot.channel, world.bot.zalo
    zalo.quota = zalo.accepted
    pauses = []
    for _ in QUOTA_STEPS:
        with pytest.raises(RetryAfter) as retry:
            await channel.deliver("q1", Reply("x"))
        pauses.append(retry.value.seconds)
    assert pauses == list(QUOTA_STEPS) and pauses[0] < 60 <= pauses[-1]  # seconds, then minutes
    with pytest.raises(QuotaExceeded):  # it persisted through every step: now staff are told
        await channel.deliver("q1", Reply("x"))
    zalo.quota = None  # a new month, or a bigger plan
    await channel.deliver("q1", Reply("y"))
    zalo.quota = zalo.accepted
    with pytest.raises(RetryAfter) as retry:
        await channel.deliver("q1", Reply("z"))
    assert retry.value.seconds == QUOTA_STEPS[0]  # a success started the steps again


async def test_refusals_in_flight_together_climb_one_step(world: World) -> None:
    refusals = world.bot.channel.refusals
    from bot.channels.zalo_api import ZaloApiError

    quota = ZaloApiError(200, 429, "Quota exceeded")
    began = [refusals.begin() for _ in range(4)]  # four sends in flight
    errors = [await refusals.classify(quota, "a", b) for b in began]
    assert [e.seconds for e in errors if isinstance(e, RetryAfter)] == [QUOTA_STEPS[0]] * 4
    later = await refusals.classify(quota, "a", refusals.begin())
    assert isinstance(later, RetryAfter) and later.seconds == QUOTA_STEPS[1]
    lonely = await refusals.classify(ZaloApiError(200, 404, "Not found"), "x", refusals.begin())
    assert isinstance(lonely, Transient)  # one person's 404 is no outage


async def test_staff_see_and_reset_unreachable_in_the_broadcast_report(world: World) -> None:
    zalo = world.bot.zalo
    await onboard_by_typing(world.bot, "gone", "Hà Văn Xa")
    zalo.block("gone")
    staff = Chat(world.bot.app, Identity("tg", "9000"), name="Cán bộ")
    await staff.send("/start")
    await staff.send("/broadcast Họp giao ban tháng 12.")
    await staff.press("Tất cả")
    await staff.press("Gửi ngay")
    world.outbox.wake("zalo")
    await world.settle()
    await staff.press_payload("bcr:1")
    assert "đang bị đánh dấu không liên lạc được" not in staff.text  # one refusal proves nothing
    for _ in range(UNREACHABLE_SENDS - 1):
        world.clock.advance(timedelta(hours=13))
        world.outbox.wake("zalo")
        await world.settle()
    leader = await people.by_identity(world.bot.app.db, Identity("zalo", "gone"))
    assert leader is not None and leader.unreachable
    await staff.press_payload("bcr:1")
    assert "Hà Văn Xa" in staff.text and "1 người đang bị đánh dấu không liên lạc được" in staff.text
    await staff.press("↩️ Mở lại liên lạc cho 1 người")
    assert "Đã mở lại liên lạc cho 1 người" in staff.text
    leader = await people.by_identity(world.bot.app.db, Identity("zalo", "gone"))
    assert leader is not None and not leader.unreachable
    await staff.press_payload("bcr:1")
    assert "đang bị đánh dấu" not in staff.text
    refused = await Chat(world.bot.app, Identity("zalo", "gone")).press_payload("bcreach:1")
    assert "chỉ dành cho cán bộ" in refused[0].text  # a leader cannot press it
