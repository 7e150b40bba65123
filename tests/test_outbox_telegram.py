"""The outbox and /broadcast through the real Telegram channel and the fake Bot API with flood
control on (429 beyond 30/s overall or 1/s per chat; paid broadcasts up to 1000/s)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from bot.app import App
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity
from bot.outbox import ChannelSettings, Outbox, settings_for
from bot.store import people
from handlers.broadcast import progress_job
from tests.chat import Chat
from tests.telegram_rig import TelegramRig, telegram_rig
from tests.test_outbox_fakes import add_leader, statuses

MESSAGE = "Mời các đồng chí dự hội nghị triển khai Nghị quyết lúc 7 giờ 30 sáng thứ Hai tại hội trường xã."


async def with_outbox(rig: TelegramRig, settings: ChannelSettings | None = None) -> Outbox:
    """Start an outbox on the rig's app (stopped with the app)."""
    app = rig.app
    assert app is not None
    outbox = Outbox(app.services, app.channels, {"tg": settings} if settings else None)
    app.components.append(outbox)
    await outbox.start()
    return outbox


def broadcast_counts(rig: TelegramRig) -> Counter[int]:
    """Accepted broadcast messages per chat, as the fake Bot API recorded them."""
    return Counter(c.params["chat_id"] for c in rig.tg.calls
                   if c.method == "sendMessage" and c.status == 200 and c.params.get("text") == MESSAGE)


async def leaders(app: App | None, first: int, n: int) -> list[int]:
    assert app is not None
    return [await add_leader(app, first + i) for i in range(n)]


async def send_broadcast(rig: TelegramRig) -> None:
    """Staff compose and send through the router directly (their replies skip Telegram, so the only
    traffic on the fake Bot API is the outbox's and flood-control counts are the outbox's alone)."""
    assert rig.app is not None
    staff = Chat(rig.app, Identity("tg", "9000"), name="Cán bộ")
    await staff.send(f"/broadcast {MESSAGE}")
    await staff.press("Tất cả")
    await staff.press("Gửi ngay")
    assert "Đã đưa thông báo" in staff.text


async def send_broadcast_on_telegram(rig: TelegramRig) -> None:
    """Staff compose and send on Telegram, as a person would."""
    staff = rig.user(9000, "Cán bộ")
    await staff.send(f"/broadcast {MESSAGE}")
    await staff.press("Tất cả")
    await staff.press("Gửi ngay")
    assert "Đã đưa thông báo" in staff.text


def leader_429s(rig: TelegramRig) -> int:
    """429s on messages to leaders (staff's own quick button presses may meet the per-chat limit;
    the channel retries those replies itself)."""
    return sum(1 for c in rig.tg.calls if c.status == 429 and c.params.get("chat_id") != 9000)


async def test_broadcast_to_300_arrives_once_each_and_blocked_users_become_unreachable(
    config: Config, clock: FakeClock,
) -> None:
    async with telegram_rig(replace(config, paid_broadcast=True), clock, flood_control=True) as rig:
        ids = await leaders(rig.app, 20000, 300)
        for chat in (20003, 20100, 20299):
            rig.tg.block(chat)
        outbox = await with_outbox(rig)
        assert outbox.workers["tg"].settings.paid_rate == 1000
        await send_broadcast_on_telegram(rig)
        assert await outbox.drain(within=30)
        counts = broadcast_counts(rig)
        assert set(counts) == {20000 + i for i in range(300)} - {20003, 20100, 20299}
        assert set(counts.values()) == {1}  # exactly once each
        assert leader_429s(rig) == 0
        app = rig.app
        assert app is not None
        assert await statuses(app, "broadcast") == {"sent": 297, "blocked": 3}
        blocked = await people.get(app.db, ids[3])
        assert blocked is not None and blocked.unreachable
        paid_calls = [c for c in rig.tg.calls if c.params.get("text") == MESSAGE]
        assert all(c.params.get("allow_paid_broadcast") is True for c in paid_calls)

        # A leader acknowledges; the staff member's progress message is edited in place.
        leader = rig.user(20001)
        await leader.press("Đã nhận")
        assert "Cảm ơn" in leader.text
        await progress_job(app.services)
        edits = [c for c in rig.tg.calls if c.method == "editMessageText" and c.params["chat_id"] == 9000]
        assert edits and "đã gửi xong" in edits[-1].params["text"]
        assert "Đã gửi: 297/300" in edits[-1].params["text"] and "Đã bấm “Đã nhận”: 1" in edits[-1].params["text"]
        assert "Không liên lạc được: 3" in edits[-1].params["text"]


async def test_flood_control_429_is_honoured_and_nothing_is_lost(config: Config, clock: FakeClock) -> None:
    async with telegram_rig(replace(config, telegram_rate=0), clock, flood_control=True) as rig:
        await leaders(rig.app, 30000, 6)
        # retry_after 0.2 s: Telegram says whole seconds, a short one tests the same wait off the wall clock;
        # no per-chat gap, so only retry_after holds the refused message back.
        rig.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=0.2, count=1)
        outbox = await with_outbox(rig, ChannelSettings(rate=0, per_chat=0, idle_poll=0.05))
        await send_broadcast(rig)
        assert await outbox.drain(within=15)
        counts = broadcast_counts(rig)
        assert set(counts) == {30000 + i for i in range(6)} and set(counts.values()) == {1}
        refused = next(c for c in rig.tg.calls_of("sendMessage") if c.status == 429)
        again = [c for c in rig.tg.calls_of("sendMessage") if c.params.get("chat_id") == refused.params["chat_id"]]
        assert [c.status for c in again] == [429, 200] and again[1].time - again[0].time >= 0.2  # waited it out
        assert outbox.stats()["tg"]["retry_after"] == 1
        assert rig.app is not None and await statuses(rig.app, "broadcast") == {"sent": 6}


async def test_smooth_pace_at_the_overall_limit_gets_no_429(config: Config, clock: FakeClock) -> None:
    # 40 messages at the fake's real limit of 30/s: paced, not bunched, so flood control never fires.
    async with telegram_rig(config, clock, flood_control=True) as rig:
        await leaders(rig.app, 40000, 40)
        outbox = await with_outbox(rig, replace(settings_for(rig.config, "tg"), idle_poll=0.05))
        await send_broadcast(rig)
        assert await outbox.drain(within=20)
        counts = broadcast_counts(rig)
        assert len(counts) == 40 and set(counts.values()) == {1}
        assert rig.tg.flood_429s == 0


async def test_replies_during_a_broadcast_share_the_budget_and_do_not_wait_for_it(
    config: Config, clock: FakeClock,
) -> None:
    # 60 messages at the fake's limit of 30/s take 2 s. A leader who writes meanwhile is answered
    # in the next free slot (the outbox reserves only a slot or two ahead), and the two together
    # never exceed the limit.
    async with telegram_rig(config, clock, flood_control=True) as rig:
        await leaders(rig.app, 41000, 60)
        outbox = await with_outbox(rig, replace(settings_for(rig.config, "tg"), idle_poll=0.05))
        await send_broadcast(rig)
        await rig.tg.wait_for("sendMessage", chat_id=41005, within=5)
        asker = rig.user(41059)
        await asker.send("/help")
        answered = len(broadcast_counts(rig))
        assert asker.messages and answered < 59  # answered while the broadcast was still going out
        assert await outbox.drain(within=20)
        counts = broadcast_counts(rig)
        assert len(counts) == 60 and set(counts.values()) == {1}
        assert rig.tg.flood_429s == 0


async def test_a_cancelled_worker_then_a_restart_completes_without_duplicates(
    config: Config, clock: FakeClock,
) -> None:
    async with telegram_rig(replace(config, paid_broadcast=True), clock, flood_control=True) as rig:
        await leaders(rig.app, 50000, 80)
        slow = replace(settings_for(rig.config, "tg"), paid_rate=100.0, concurrency=4, idle_poll=0.05)
        outbox = await with_outbox(rig, slow)
        await send_broadcast(rig)
        while len(broadcast_counts(rig)) < 30:
            await rig.tg.wait_for("sendMessage", within=5)
            rig.tg.mark()
        await outbox.workers["tg"].stop(grace=0)  # the crash: in-flight sends are cut off
        await rig.restart()
        outbox = await with_outbox(rig, slow)
        assert await outbox.drain(within=20)
        counts = broadcast_counts(rig)
        app = rig.app
        assert app is not None
        unknown = await app.db.fetchval("SELECT COUNT(*) FROM deliveries WHERE status = 'unknown'")
        assert unknown <= 4  # at most the sends that were in flight
        assert sum(n - 1 for n in counts.values() if n > 1) == 0
        assert len(counts) >= 80 - unknown
        assert await statuses(app, "broadcast") == {"sent": 80 - unknown, **({"unknown": unknown} if unknown else {})}


async def test_stop_during_a_broadcast_is_honoured(config: Config, clock: FakeClock) -> None:
    async with telegram_rig(config, clock, flood_control=True) as rig:
        await leaders(rig.app, 60000, 30)
        outbox = await with_outbox(rig, replace(settings_for(rig.config, "tg"), rate=15.0, idle_poll=0.05))
        await send_broadcast(rig)
        await rig.tg.wait_for("sendMessage", chat_id=60002, within=5)
        late = rig.user(60029)
        await late.send("/stop")  # while the broadcast is being sent
        assert "tạm dừng" in late.text
        assert await outbox.drain(within=20)
        counts = broadcast_counts(rig)
        assert 60029 not in counts and len(counts) == 29
        assert rig.app is not None
        assert await statuses(rig.app, "broadcast") == {"sent": 29, "skipped": 1}
