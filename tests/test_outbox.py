"""The outbox workers against an in-process fake channel: order, results, errors, recovery, pacing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app import App
from bot.channels.base import Blocked, QuotaExceeded, Rejected, RetryAfter, Transient, Unknown
from bot.clock import FakeClock, iso
from bot.model import Identity, Option, Reply
from bot.outbox import ChannelSettings, Outbox, settings_for
from bot.store import deliveries, people
from bot.store import outbox as store
from tests.chat import Chat
from tests.test_outbox_fakes import FakeChannel, add_leader, statuses

FAST = ChannelSettings(rate=0, per_chat=0, concurrency=4, idle_poll=0.02, backoff=5.0)


@pytest.fixture
async def tg() -> AsyncIterator[FakeChannel]:
    """A fake Telegram channel."""
    yield FakeChannel("tg")


async def start_outbox(app: App, *channels: FakeChannel, settings: ChannelSettings = FAST) -> Outbox:
    outbox = Outbox(app.services, {c.name: c for c in channels}, {c.name: settings for c in channels})
    await outbox.start()
    return outbox


async def queue(app: App, ids: list[int], kind: str = "broadcast", ref: str = "1", text: str = "Họp lúc 8 giờ") -> int:
    return await deliveries.enqueue(app.db, kind, ref, ids, Reply(text, [Option("Đã nhận ✅", f"ack:{ref}")]),
                                    now=app.clock.now())


async def test_every_row_is_sent_once_in_order_with_its_result_recorded(app: App, tg: FakeChannel) -> None:
    ids = [await add_leader(app, 100 + i) for i in range(12)]
    assert await queue(app, ids) == 12
    assert await queue(app, ids) == 0  # enqueueing twice is harmless
    outbox = await start_outbox(app, tg)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert [s.address for s in tg.sent] == [str(100 + i) for i in range(12)]
    assert tg.sent[0].reply.options[0].payload == "ack:1"
    rows = await app.db.fetchall("SELECT status, message_id, sent_at FROM deliveries")
    assert all(r["status"] == "sent" and r["message_id"] and r["sent_at"] for r in rows)
    assert outbox.stats()["tg"]["sent"] == 12


async def test_blocked_person_is_marked_unreachable_and_not_tried_again(app: App, tg: FakeChannel) -> None:
    a, b = await add_leader(app, 1), await add_leader(app, 2)
    tg.always["1"] = Blocked("Forbidden: bot was blocked by the user")
    await queue(app, [a, b], ref="1")
    await queue(app, [a, b], kind="reminder", ref="class:1")
    # The per-chat gap keeps the second row for a person until the first one's result is written.
    outbox = await start_outbox(app, tg, settings=ChannelSettings(rate=0, per_chat=0.1, idle_poll=0.02))
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert tg.calls["1"] == 1  # the second row for the blocked person was settled without a call
    assert tg.count("2") == 2
    person = await people.get(app.db, a)
    assert person is not None and person.unreachable
    assert (await statuses(app))["blocked"] == 2


async def test_flood_control_pauses_and_loses_nothing(app: App, tg: FakeChannel) -> None:
    ids = [await add_leader(app, 10 + i) for i in range(5)]
    tg.script["11"] = [RetryAfter(0.2)]
    await queue(app, ids)
    outbox = await start_outbox(app, tg)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert sorted(s.address for s in tg.sent) == [str(10 + i) for i in range(5)]
    assert tg.calls["11"] == 2
    assert outbox.stats()["tg"]["retry_after"] == 1
    assert 0.97 <= outbox.workers["tg"].speed < 0.98  # eased 3 %, recovering slowly with each send
    assert (await statuses(app)) == {"sent": 5}
    attempts = await app.db.fetchval("SELECT attempts FROM deliveries WHERE person_id = ?", (ids[1],))
    assert attempts == 1  # a 429 is not counted as a failed attempt


async def test_one_chats_flood_limit_holds_back_only_that_row(app: App, tg: FakeChannel, clock: FakeClock) -> None:
    # A 429 for one chat that had just had a message (chat_only) is that chat's second: the others
    # go on at once, the worker is not paused, the row waits on the clock and counts no attempt.
    ids = [await add_leader(app, 10 + i) for i in range(5)]
    tg.script["11"] = [RetryAfter(3.0, chat_only=True)]
    await queue(app, ids)
    outbox = await start_outbox(app, tg)
    try:
        assert await outbox.drain()
        assert sorted(s.address for s in tg.sent) == ["10", "12", "13", "14"]
        assert outbox.workers["tg"]._paused_until == 0.0  # never paused
        row = await app.db.fetchone("SELECT status, attempts, not_before FROM deliveries WHERE person_id = ?",
                                    (ids[1],))
        assert row is not None and row["status"] == "pending" and row["attempts"] == 0
        assert row["not_before"] == iso(clock.now() + timedelta(seconds=3))
        clock.advance(timedelta(seconds=3))
        outbox.wake()
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert tg.calls["11"] == 2 and tg.count("11") == 1
    assert (await statuses(app)) == {"sent": 5}


async def test_transient_errors_back_off_on_the_clock_then_fail(app: App, tg: FakeChannel, clock: FakeClock) -> None:
    a, b = await add_leader(app, 1), await add_leader(app, 2)
    tg.script["1"] = [Transient("502 Bad Gateway")]
    tg.always["2"] = Transient("connection reset")
    await queue(app, [a, b])
    settings = ChannelSettings(rate=0, per_chat=0, idle_poll=0.02, backoff=5.0, max_attempts=3)
    outbox = await start_outbox(app, tg, settings=settings)
    try:
        assert await outbox.drain()
        row = await app.db.fetchone("SELECT status, not_before FROM deliveries WHERE person_id = ?", (a,))
        assert row is not None and row["status"] == "pending" and tg.count("1") == 0
        for _ in range(3):
            clock.advance(timedelta(seconds=30))
            outbox.wake()
            assert await outbox.drain()
    finally:
        await outbox.stop()
    assert tg.count("1") == 1
    assert tg.calls["2"] == 3
    row = await app.db.fetchone("SELECT status, error, attempts FROM deliveries WHERE person_id = ?", (b,))
    assert row is not None and row["status"] == "failed" and row["attempts"] == 3 and "gave up" in row["error"]


async def test_timeout_after_sending_is_unknown_and_never_resent(app: App, tg: FakeChannel) -> None:
    a, b = await add_leader(app, 1), await add_leader(app, 2)
    tg.script["1"] = [Unknown("timed out after the request was sent")]
    tg.script["2"] = [Rejected("Bad Request: message is too long")]
    await queue(app, [a, b])
    outbox = await start_outbox(app, tg)
    try:
        assert await outbox.drain()
        await asyncio.sleep(0.1)
    finally:
        await outbox.stop()
    assert tg.calls["1"] == 1 and tg.calls["2"] == 1
    assert await statuses(app) == {"unknown": 1, "failed": 1}


async def test_stop_and_delete_are_checked_at_send_time(app: App, tg: FakeChannel) -> None:
    stopped, deleted, kept = await add_leader(app, 1), await add_leader(app, 2), await add_leader(app, 3)
    await queue(app, [stopped, deleted, kept])
    await deliveries.enqueue(app.db, "answer", "q:1", [stopped], Reply("Trả lời câu hỏi của anh"),
                             now=app.clock.now())
    # After enqueue, before the worker runs: one uses /stop, one deletes their data.
    await people.set_stopped(app.db, stopped, True)
    await people.delete(app.db, deleted)
    outbox = await start_outbox(app, tg)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert [s.reply.text for s in tg.sent if s.address == "1"] == ["Trả lời câu hỏi của anh"]
    assert tg.calls["2"] == 0
    assert tg.count("3") == 1
    assert await statuses(app, "broadcast") == {"skipped": 1, "sent": 1}  # the deleted one's row is gone


async def test_rows_left_sending_by_a_crash_become_unknown_and_the_rest_continue(app: App, tg: FakeChannel) -> None:
    ids = [await add_leader(app, 1 + i) for i in range(4)]
    await queue(app, ids)
    await app.db.execute("UPDATE deliveries SET status = 'sending', attempts = 1 WHERE person_id = ?", (ids[0],))
    outbox = await start_outbox(app, tg)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert tg.calls["1"] == 0
    assert [s.address for s in tg.sent] == ["2", "3", "4"]
    assert await statuses(app) == {"unknown": 1, "sent": 3}


async def test_cancelled_worker_resumes_with_at_most_the_in_flight_duplicated(app: App) -> None:
    slow = FakeChannel("tg", delay=0.01)
    ids = [await add_leader(app, 1000 + i) for i in range(60)]
    await queue(app, ids)
    settings = ChannelSettings(rate=0, per_chat=0, concurrency=2, idle_poll=0.02)
    first = await start_outbox(app, slow, settings=settings)
    await slow.wait_sent(20)
    # A crash: cancel the worker and its in-flight sends without letting them record results.
    await first.workers["tg"].stop(grace=0)
    assert (await statuses(app))["sending"] <= 2  # at most the sends in flight (concurrency 2)
    second = await start_outbox(app, slow, settings=settings)
    try:
        assert await second.drain()
    finally:
        await second.stop()
    counts = {ids[i]: slow.count(str(1000 + i)) for i in range(60)}
    assert max(counts.values()) == 1  # nothing reached a leader twice
    unknown = {r["person_id"] for r in await app.db.fetchall(
        "SELECT person_id FROM deliveries WHERE status = 'unknown'")}
    assert len(unknown) <= 2
    lost = {pid for pid, n in counts.items() if n == 0}
    assert lost <= unknown  # only a row cut off mid-call can be missing, and staff see it as unknown
    assert (await statuses(app))["sent"] == 60 - len(unknown)


async def test_person_without_identity_on_the_row_channel_gets_it_on_their_other_channel(app: App) -> None:
    tg, zalo = FakeChannel("tg"), FakeChannel("zalo")
    person = await add_leader(app, 77, channel="zalo")
    await deliveries.enqueue(app.db, "reminder", "class:1", [person], Reply("Nhắc lịch học"), now=app.clock.now())
    await app.db.execute("UPDATE deliveries SET channel = 'tg'")  # queued for a channel they no longer use
    outbox = await start_outbox(app, tg, zalo)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert tg.sent == [] and [s.address for s in zalo.sent] == ["77"]


async def test_rows_for_a_channel_that_is_not_running_move_to_a_running_one(app: App) -> None:
    tg = FakeChannel("tg")
    person = await add_leader(app, 5, channel="tg")
    await people.touch(app.db, Identity("console", "an"), "An", "2026-12-02T00:00:00.000000Z")  # last used: console
    await deliveries.enqueue(app.db, "reminder", "class:1", [person], Reply("Nhắc"), now=app.clock.now())
    assert await app.db.fetchval("SELECT channel FROM deliveries") == "tg"
    await app.db.execute("UPDATE deliveries SET channel = 'console'")
    outbox = await start_outbox(app, tg)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert [s.address for s in tg.sent] == ["5"]


async def test_quota_exceeded_stops_the_channel_and_tells_staff_elsewhere(app: App) -> None:
    tg, zalo = FakeChannel("tg"), FakeChannel("zalo")
    staff_id = await add_leader(app, 9000, channel="tg")  # tg:9000 is staff in the test config
    leader = await add_leader(app, 42, channel="zalo")
    zalo.script["42"] = [QuotaExceeded("monthly quota used up")]
    await deliveries.enqueue(app.db, "reminder", "class:1", [leader], Reply("Nhắc"), now=app.clock.now())
    settings = ChannelSettings(rate=0, per_chat=0, idle_poll=0.02, quota_pause=60)
    outbox = await start_outbox(app, tg, zalo, settings=settings)
    try:
        for _ in range(100):
            if tg.sent:
                break
            await asyncio.sleep(0.02)
    finally:
        await outbox.stop()
    assert zalo.sent == [] and zalo.calls["42"] == 1
    assert [s.address for s in tg.sent] == ["9000"] and "zalo" in tg.sent[0].reply.text
    row = await app.db.fetchone("SELECT status, attempts FROM deliveries WHERE person_id = ?", (leader,))
    assert row is not None and row["status"] == "pending" and row["attempts"] == 0  # nothing lost
    assert staff_id


async def test_pacing_spaces_sends_and_respects_the_per_chat_gap(app: App, tg: FakeChannel) -> None:
    ids = [await add_leader(app, 1 + i) for i in range(10)]
    await queue(app, ids)
    await queue(app, ids[:1], kind="reminder", ref="class:1")
    settings = ChannelSettings(rate=100, per_chat=0.3, concurrency=4, idle_poll=0.02)
    outbox = await start_outbox(app, tg, settings=settings)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert len(tg.sent) == 11
    # Slots 1/100 s apart: 10 sends span at least 9 intervals, less the first send's lateness: with
    # no claim timed yet it is claimed only just before its slot, and claims are fsynced (tens of ms
    # on a loaded disk), so it leaves that much late.
    first_claim = outbox.workers["tg"]._claims[0]
    assert tg.sent[9].at - tg.sent[0].at >= 9 / 100 - max(0.01, first_claim)
    to_first = [s.at for s in tg.sent if s.address == "1"]
    assert to_first[1] - to_first[0] >= 0.29


async def test_a_person_being_answered_gets_no_queued_message_in_the_same_moment(app: App, tg: FakeChannel) -> None:
    # Telegram allows one message a second per chat: a reminder due while the bot answers this
    # leader waits until the answer has had its second (at least per_chat after the answer is made;
    # how much longer is the outbox's own margin, not pinned here).
    leader = await add_leader(app, 1)
    settings = ChannelSettings(rate=0, per_chat=0.4, idle_poll=0.02)
    outbox = await start_outbox(app, tg, settings=settings)
    try:
        chat = Chat(app, Identity("tg", "1"))
        await chat.send("/help")
        answered = time.monotonic()
        await queue(app, [leader], kind="reminder", ref="class:1")
        outbox.wake()
        await tg.wait_sent(1)
    finally:
        await outbox.stop()
    assert tg.sent[0].at - answered >= settings.per_chat  # held a per-chat gap after the answer, not sent at once


async def test_paid_mode_uses_paid_delivery_only_for_broadcasts(app: App, tg: FakeChannel) -> None:
    ids = [await add_leader(app, 1 + i) for i in range(3)]
    await queue(app, ids)
    await queue(app, ids[:1], kind="reminder", ref="class:1")
    settings = ChannelSettings(rate=30, per_chat=0, paid_rate=1000, idle_poll=0.02)
    outbox = await start_outbox(app, tg, settings=settings)
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert [(s.reply.text[:3], s.paid) for s in tg.sent] == [("Họp", True)] * 3 + [("Họp", False)]


async def test_idle_poll_is_an_index_lookup(app: App) -> None:
    plan = await app.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT id, kind, ref, person_id, payload, attempts FROM deliveries"
        " WHERE channel = ? AND status = 'pending' AND id > ? AND not_before <= ? ORDER BY id LIMIT ?",
        ("tg", 0, "2026", 100))
    detail = " ".join(str(r["detail"]) for r in plan)
    assert "USING INDEX deliveries_pending" in detail and "TEMP B-TREE" not in detail


def test_settings_from_configuration(app: App) -> None:
    from dataclasses import replace

    config = replace(app.config, telegram_rate=20.0, paid_broadcast=True, paid_rate=500.0, zalo_rate=2.0)
    tg_settings = settings_for(config, "tg")
    assert tg_settings.rate == 20.0 and tg_settings.paid_rate == 500.0
    assert tg_settings.per_chat >= 1.0  # Telegram: at most one message a second to one chat
    zalo_settings = settings_for(config, "zalo")
    assert zalo_settings.rate == 2.0 and zalo_settings.per_chat > 0
    assert settings_for(config, "console").rate == 0
    assert settings_for(replace(config, paid_broadcast=False), "tg").paid_rate == 0  # paid mode is opt-in


async def test_edit_failures_are_reported_not_raised(app: App) -> None:
    class Broken(FakeChannel):
        async def edit(self, address: str, message_id: str, reply: Reply) -> None:
            raise Rejected("message is not modified")

    outbox = await start_outbox(app, Broken("tg"))
    try:
        assert await outbox.edit("tg", "1", "5", Reply("x")) is False
        assert await outbox.edit("zalo", "1", "5", Reply("x")) is False
    finally:
        await outbox.stop()


async def test_claim_of_a_row_already_settled_is_a_no_op(app: App) -> None:
    person = await add_leader(app, 1)
    await queue(app, [person])
    row_id = await app.db.fetchval("SELECT id FROM deliveries")
    await store.mark(app.db, row_id, "sent", "")
    assert (await store.claim(app.db, row_id, "tg")).action == "gone"
