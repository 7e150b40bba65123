"""End to end on Telegram: the real app (open_app + TelegramChannel, SQLite file) against the fake Bot API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.channels import base
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Attachment, Event, Identity, Option, Reply
from bot.store import people
from tests.fake_telegram import FakeTelegram
from tests.telegram_rig import TelegramRig, telegram_rig


@pytest.fixture
async def rig(config: Config, clock: FakeClock) -> AsyncIterator[TelegramRig]:
    async with telegram_rig(config, clock) as running:
        yield running


async def profile(rig: TelegramRig, chat_id: int) -> people.Person | None:
    assert rig.app is not None
    return await people.by_identity(rig.app.db, Identity("tg", str(chat_id)))


async def test_onboarding_by_buttons_with_contact_keyboard(rig: TelegramRig) -> None:
    an = rig.user(100, "An")
    await an.send("/start")
    assert "Nghị định 356/2025/NĐ-CP" in an.text and "Nghị định 13/2023" not in an.text
    await an.press("Tôi đồng ý")
    await an.send("Nguyễn Văn An")
    await an.press("Trưởng thôn")
    await an.press("Hương Khê")
    if "Thôn/tổ khác" in " ".join(an.labels):
        await an.press("Thôn/tổ khác")
    await an.send("Thôn 1")
    # The phone step: a one-time reply keyboard with the share-contact button and "Bỏ qua" as text.
    markup = an.messages[-1]["reply_markup"]
    assert markup["keyboard"][0][0]["request_contact"] is True and markup["one_time_keyboard"] is True
    assert any("Bỏ qua" in label for label in an.keyboard)
    await an.share_contact("+84912345678")
    # The keyboard is removed before the summary, whose buttons are inline.
    assert an.messages[0]["reply_markup"] == {"remove_keyboard": True}
    assert an.keyboard == [] and "0912345678" in an.text
    await an.press("Đúng")
    assert "Đăng ký xong" in an.text
    person = await profile(rig, 100)
    assert person is not None and person.registered and person.phone == "0912345678"
    await an.send("/start")  # registered: the menu, not onboarding again
    assert "Menu chính" in an.text
    assert rig.tg.answered  # every button press was answered


async def test_skip_phone_by_reply_keyboard_label(rig: TelegramRig) -> None:
    an = rig.user(101)
    await an.onboard(name="Trần Thị Bình")  # presses "Bỏ qua" on the reply keyboard (sent back as text)
    person = await profile(rig, 101)
    assert person is not None and person.registered and person.phone is None


async def test_restart_in_the_middle_of_onboarding(rig: TelegramRig) -> None:
    an = rig.user(102)
    await an.send("/start")
    await an.press("Tôi đồng ý")
    await an.send("Lê Văn Cường")
    assert "Trưởng thôn" in an.labels
    await rig.restart()  # the process restarts: nothing in memory survives
    await an.press("Trưởng thôn")  # a button of a message sent before the restart
    assert "Hương Khê" in " ".join(an.labels)
    await an.press("Hương Khê")
    if "Thôn/tổ khác" in " ".join(an.labels):
        await an.press("Thôn/tổ khác")
    await an.send("Thôn 2")
    await an.press("Bỏ qua")
    assert "Lê Văn Cường" in an.text
    await an.press("Đúng")
    assert "Đăng ký xong" in an.text


async def test_commands_registered_for_leaders_and_staff(rig: TelegramRig) -> None:
    leaders = {c["command"]: c["description"] for c in rig.tg.commands["default"]}
    staff = {c["command"] for c in rig.tg.commands["chat:9000"]}  # tg:9000 is in CAUNOI_ADMINS
    assert {"start", "menu", "help"} <= set(leaders) and set(leaders) <= staff
    assert all(description.strip() for description in leaders.values())
    assert rig.app is not None
    staff_only = {i.name for i in rig.app.dispatcher.router.command_info if i.staff}
    assert staff_only <= staff and not staff_only & set(leaders)


async def test_long_text_is_split_with_buttons_on_the_last_part(rig: TelegramRig) -> None:
    assert rig.channel is not None
    paragraphs = [f"Đoạn {i}: " + "chữ " * 300 for i in range(6)]  # about 7,300 characters
    reply = Reply("\n\n".join(paragraphs), [Option("Một", "x:1"), Option("Hai", "x:2"), Option("Ba", "x:3")],
                  columns=2)
    message_id = await rig.channel.deliver("300", reply)
    sent = rig.tg.sent(300)
    assert len(sent) == 2 and all(len(c.params["text"]) <= 4096 for c in sent)
    assert sent[0].params["text"].endswith("chữ") and sent[1].params["text"].startswith("Đoạn")
    assert "reply_markup" not in sent[0].params
    rows = sent[1].params["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["Một", "Hai"], ["Ba"]]
    assert message_id == str(rig.tg.last_message(300)["message_id"])  # type: ignore[index]


async def test_forged_and_stale_buttons_get_a_polite_reply(rig: TelegramRig) -> None:
    an = rig.user(103)
    await an.send("/start")
    await an.press_data("ob:role:tong_thong")  # never shown
    assert "Menu này đã cũ" in an.text and an.labels
    await an.press_data("zz:" + "x" * 61)  # unknown prefix, 64 bytes
    assert "Menu này đã cũ" in an.text
    await an.press_data("ob:agree", message_id=999)  # refers to a message that does not exist
    assert an.messages  # answered, no crash
    assert len(rig.tg.answered) == 3


async def test_a_blocked_user_does_not_stop_others(rig: TelegramRig) -> None:
    rig.tg.block(104)
    blocked = rig.user(104)
    await blocked.send("/start")
    assert blocked.messages == [] and [c.status for c in blocked.calls] == [403]
    an = rig.user(105)
    await an.onboard()


async def test_a_429_on_a_reply_is_retried(rig: TelegramRig) -> None:
    # Telegram says whole seconds; 0.2 s keeps the suite off the wall clock and tests the same wait.
    rig.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=0.2)
    an = rig.user(106)
    await an.send("/start")
    calls = [c for c in an.calls if c.method == "sendMessage"]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 0.2  # sent again only after retry_after
    assert "Tôi đồng ý" in " ".join(an.labels)


async def test_bad_input_gets_clear_replies(rig: TelegramRig) -> None:
    an = rig.user(107)
    await an.send("/start")
    await an.press("Tôi đồng ý")
    await an.send("😀🎉👍")
    assert "chữ cái" in an.text
    await an.send("x" * 5000)  # longer than Telegram allows: still answered
    assert an.messages
    await an.send_update(rig.tg.sticker(107))
    assert an.messages and "họ" in an.text.lower()
    await an.send("Phạm\x00 Thị\u200b\x07 Dung")
    assert "Phạm Thị Dung" in an.text
    await an.send("/khong_co_lenh_nay")
    assert an.messages
    await an.send("/start@caunoi_test_bot")
    assert an.messages


async def test_media_events_and_document_bytes(rig: TelegramRig) -> None:
    assert rig.channel is not None and rig.app is not None
    seen: list[Event] = []
    dispatch = rig.channel.dispatch

    async def spy(event: Event) -> list[Reply]:
        seen.append(event)
        return await dispatch(event)

    rig.channel.dispatch = spy
    an = rig.user(108)
    await an.send_update(rig.tg.document(108, "gop-y.txt", b"noi dung gop y", caption="Góp ý"))
    await an.send_update(rig.tg.photo(108, caption="Ảnh"))
    await an.send_update(rig.tg.voice(108))
    await an.send_update(rig.tg.document(108, "lon.mp4", b"x", declared_size=50 * 1024 * 1024))
    doc, photo, voice, big = seen
    assert (doc.kind, doc.value, doc.file_name, doc.file_data, doc.caption) == (
        "media", "document", "gop-y.txt", None, "Góp ý")  # nothing downloaded for a leader
    assert rig.tg.downloads == 0
    assert await doc.read_file() == b"noi dung gop y"  # fetched on request
    assert await big.read_file() is None  # over the limit: never fetched
    assert (photo.value, photo.caption, photo.file_size) == ("photo", "Ảnh", len(b"\xff\xd8fakejpeg"))
    assert voice.value == "voice" and voice.file_ref
    assert big.file_data is None and big.file_size == 50 * 1024 * 1024
    await an.send("/start@some_other_bot")  # a command for another bot is plain text
    assert seen[-1].kind == "text"


async def test_deliver_maps_errors_without_retrying(rig: TelegramRig) -> None:
    channel = rig.channel
    assert channel is not None
    reply = Reply("Thông báo", [Option("Đã đọc", "ack:1")])
    rig.tg.block(201)
    with pytest.raises(base.Blocked):
        await channel.deliver("201", reply)
    rig.tg.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(base.Blocked):
        await channel.deliver("202", reply)
    rig.tg.fail_next("sendMessage", 403, "Forbidden: user is deactivated")
    with pytest.raises(base.Blocked):
        await channel.deliver("202", reply)
    rig.tg.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    with pytest.raises(base.Rejected):
        await channel.deliver("202", reply)
    rig.tg.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(base.Transient):
        await channel.deliver("202", reply)
    with pytest.raises(base.Rejected):
        await channel.deliver("not-a-number", reply)
    message_id = await channel.deliver("203", reply, paid=True)
    paid_call = rig.tg.sent(203)[0]
    assert paid_call.params["allow_paid_broadcast"] is True and message_id == "1"
    # Last, so that no send here waits out the pause: a 429 is raised, not retried, and holds
    # every later send of this channel for retry_after (checked on the pacer, not on the clock).
    rig.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)
    before, calls = time.monotonic(), len(rig.tg.calls_of("sendMessage"))
    with pytest.raises(base.RetryAfter) as caught:
        await channel.deliver("200", reply)
    assert caught.value.seconds == 5 and len(rig.tg.calls_of("sendMessage")) == calls + 1  # no retry inside
    assert channel.pacer is not None
    held = channel.pacer.reserve()
    channel.pacer.release(held)
    assert held.at >= before + 5


async def test_edit_and_attachments(rig: TelegramRig) -> None:
    channel = rig.channel
    assert channel is not None
    message_id = await channel.deliver("210", Reply("Lớp học ngày mai", [Option("Tôi sẽ dự", "rsvp:1:yes")]))
    assert message_id is not None
    await channel.edit("210", message_id, Reply("Lớp học ngày mai — đã xác nhận"))
    assert rig.tg.texts(210) == ["Lớp học ngày mai — đã xác nhận"]
    await channel.edit("210", message_id, Reply("Lớp học ngày mai — đã xác nhận"))  # not modified: fine
    with pytest.raises(base.Rejected):
        await channel.edit("210", "9999", Reply("x"))
    await channel.deliver("211", Reply("Báo cáo", attachment=Attachment("bao-cao.xlsx", b"PK\x03\x04")))
    await channel.deliver("211", Reply("", attachment=Attachment("bieu-do.png", b"\x89PNG", kind="photo")))
    methods = [(c.method, next(iter(c.files.values())).filename if c.files else "") for c in rig.tg.sent(211)]
    assert methods == [("sendMessage", ""), ("sendDocument", "bao-cao.xlsx"), ("sendPhoto", "bieu-do.png")]


async def test_paced_sends_stay_under_telegram_limits(config: Config, clock: FakeClock) -> None:
    # Smooth pacing at 25/s never trips a strict 30/s sliding window, even for a burst.
    async with telegram_rig(replace(config, telegram_rate=25), clock, flood_control=True) as rig:
        assert rig.channel is not None
        channel = rig.channel
        await asyncio.gather(*(channel.deliver(str(5000 + chat), Reply("Thông báo chung")) for chat in range(40)))
        assert rig.tg.flood_429s == 0 and len(rig.tg.sent()) == 40


async def test_a_reserved_slot_is_the_one_its_request_goes_in(config: Config, clock: FakeClock) -> None:
    # The outbox reserves a slot, claims its row, then hands the ticket to deliver: the request
    # goes in that slot (not a later one), and messages only are paced, not callback answers.
    async with telegram_rig(replace(config, telegram_rate=20), clock, flood_control=True) as rig:
        channel = rig.channel
        assert channel is not None and channel.pacer is not None
        pacer = channel.pacer
        first, second = pacer.reserve(), pacer.reserve()
        await channel.deliver("5100", Reply("Một"), ticket=second)
        await channel.deliver("5101", Reply("Hai"), ticket=first)
        assert second.started >= second.at and second.finished >= second.started
        assert first.started >= first.at and pacer.reserve().at >= second.at + pacer.interval


async def test_a_429_on_a_later_part_is_waited_out_and_the_first_part_not_repeated(rig: TelegramRig) -> None:
    channel = rig.channel
    assert channel is not None
    long_text = "\n\n".join(f"Đoạn {i}: " + "nội dung thông báo " * 30 for i in range(20))  # > 4096: 3 parts
    rig.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=0.2, after=1)
    message_id = await channel.deliver("220", Reply(long_text, [Option("Đã nhận", "ack:1")]))
    sent = rig.tg.sent(220)
    assert message_id is not None and len(sent) == 3  # each part once; the refused one sent again
    calls = [c for c in rig.tg.calls_of("sendMessage") if c.params.get("chat_id") == 220]
    assert [c.status for c in calls] == [200, 429, 200, 200]
    assert calls[2].time - calls[1].time >= 0.2  # after retry_after (Telegram's whole seconds made short)
    # Any other failure after a part went out: unknown (staff decide), never a resend of the whole.
    rig.tg.fail_next("sendMessage", 502, "Bad Gateway", after=1)
    with pytest.raises(base.Unknown):
        await channel.deliver("221", Reply(long_text))
    assert len(rig.tg.sent(221)) == 1


async def test_a_chats_updates_are_handled_in_order(rig: TelegramRig) -> None:
    # A quick user: five updates arrive in one getUpdates batch and run concurrently in PTB.
    tg = rig.tg
    tg.command(109, "start")
    updates = [tg.press(109, "ob:agree"), tg.text(109, "Đỗ Văn Em"), tg.press(109, "ob:role:truong_thon")]
    for update in updates:
        await rig.run(update)
    texts = tg.texts(109)
    assert "Cảm ơn anh/chị Đỗ Văn Em" in "\n".join(texts)
    assert "xã, phường" in texts[-1] and "Menu này đã cũ" not in "\n".join(texts)


async def test_start_waits_for_an_unreachable_bot_api(config: Config, clock: FakeClock) -> None:
    probe = await FakeTelegram().start()  # find a free port, then free it again
    port = probe.port
    await probe.stop()
    rig = TelegramRig(FakeTelegram(port=port), config, clock)
    starting = asyncio.create_task(rig.start())
    await asyncio.sleep(0.3)
    assert not starting.done()  # getMe failed: retrying, not crashing
    await rig.tg.start()
    await asyncio.wait_for(starting, 10)
    try:
        an = rig.user(110)
        await an.send("/start")
        assert "Tôi đồng ý" in " ".join(an.labels)
    finally:
        await rig.stop()
        await rig.tg.stop()


async def test_a_failing_update_is_logged_and_the_bot_goes_on(rig: TelegramRig,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    assert rig.channel is not None
    dispatch = rig.channel.dispatch

    async def flaky(event: Event) -> list[Reply]:
        if event.identity.address == "111":
            raise RuntimeError("boom")
        return await dispatch(event)

    rig.channel.dispatch = flaky
    await rig.user(111).send("/start")
    assert "error while handling an update" in caplog.text
    group = {"message_id": 1, "date": 0, "chat": {"id": -5, "type": "group", "title": "Chi bộ"},
             "from": rig.tg.user(112), "text": "/start"}
    await rig.run(rig.tg.inject({"message": group}))  # groups are ignored, quietly
    assert rig.tg.sent(-5) == []
    an = rig.user(113)
    await an.send("/start")
    assert "Tôi đồng ý" in " ".join(an.labels)
