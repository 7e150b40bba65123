"""What arrives from Zalo besides text, how the bot starts polling, and how long texts and photos
go out: against the fake Zalo Bot API on loopback (tests/fake_zalo.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.channels.base import Transient, Unknown
from bot.channels.zalo_api import TEXT_LIMIT, ZaloClient, ZaloNetworkError, fit, utf16_len
from bot.channels.zalo_delivery import delivery_error
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Attachment, Reply
from tests.fake_zalo import TOKEN, FakeZalo
from tests.test_zalo_channel import Bot, running


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    """The fake Zalo Bot API."""
    async with FakeZalo(poll_cap=0.2) as server:
        yield server


@pytest.fixture
async def bot(config: Config, zalo: FakeZalo, clock: FakeClock) -> AsyncIterator[Bot]:
    """The bot polling the fake Zalo server."""
    running_bot = await running(config, zalo, clock, retry_base=0.05)
    yield running_bot
    await running_bot.app.close()


async def test_delete_webhook_is_called_before_the_first_poll(bot: Bot, zalo: FakeZalo) -> None:
    await zalo.wait_calls("getUpdates", 1)
    methods = [c.method for c in zalo.calls]
    assert "deleteWebhook" in methods
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert "getWebhookInfo" not in methods  # its answer (404 either way) decides nothing


async def test_a_reaction_gets_no_reply_and_a_link_is_read_as_text(bot: Bot, zalo: FakeZalo,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.zalo")
    zalo.reaction("e1")
    zalo.reaction("e1", with_message=False)
    zalo.event("user.follow")  # a kind we do not know, without a message
    zalo.event("user.follow")
    sent = await bot.say("e1", "/help")  # answered after the events above, in order
    assert len(sent) == 1 and "Cầu Nối" in sent[0]
    assert len(zalo.sent("e1")) == 1  # nothing was sent for the reactions: no quota spent
    once = [r.getMessage() for r in caplog.records if "user.follow" in r.getMessage()]
    assert len(once) == 1  # logged once per kind
    before = len(zalo.sent("e1"))
    zalo.link("e1", "https://thongtin.example.vn/bai-viet", text="tro giup")  # a link with its text
    await zalo.wait_sent(before + 1, "e1")
    assert "Cầu Nối" in zalo.sent("e1")[-1]  # "tro giup" (help) was understood as typed text
    zalo.link("e1", "https://thongtin.example.vn/bai-viet")  # only a link object: its URL is the text
    await zalo.wait_sent(before + 2, "e1")
    await bot.channel.drained()
    assert "chưa cần" not in zalo.sent("e1")[-1]  # not the canned "media" answer


async def test_a_2000_unit_message_with_emoji_is_split_correctly(bot: Bot, zalo: FakeZalo) -> None:
    line = "🌾🌾 Mùa vụ đông xuân: gieo cấy đúng lịch 🌾🌾"
    text = "\n".join([line] * 45)  # 1,934 characters, but 2,114 UTF-16 units
    assert len(text) <= TEXT_LIMIT < utf16_len(text)
    await bot.channel.deliver("s1", Reply(text))
    parts = zalo.sent("s1")
    assert len(parts) == 2 and all(utf16_len(p) <= TEXT_LIMIT - 100 for p in parts)  # with a margin
    assert "\n".join(parts) == text  # cut at a line, nothing lost
    only_emoji = "😀" * 1500  # no place to cut at all
    pieces = fit(only_emoji)
    assert "".join(pieces) == only_emoji and all(utf16_len(p) <= TEXT_LIMIT for p in pieces)


async def test_send_photo_waits_longer_and_a_timeout_is_unknown_only_once_sent(zalo: FakeZalo) -> None:
    client = ZaloClient(TOKEN, zalo.url, timeout=0.3, photo_timeout=3.0)
    try:
        zalo.delay_next("sendPhoto", 0.6)  # Zalo fetching the photo: longer than a text may take
        assert await client.send_photo("p1", "https://anh.example.vn/a.jpg") is not None
        quick = ZaloClient(TOKEN, zalo.url, timeout=0.3, photo_timeout=0.3)
        try:
            zalo.delay_next("sendPhoto", 0.8)
            with pytest.raises(ZaloNetworkError) as late:
                await quick.send_photo("p1", "https://anh.example.vn/b.jpg")
            assert late.value.sent and isinstance(delivery_error(late.value), Unknown)  # it did leave
        finally:
            await quick.close()
    finally:
        await client.close()
    dead = ZaloClient(TOKEN, "http://127.0.0.1:9", timeout=1, photo_timeout=1)
    try:
        with pytest.raises(ZaloNetworkError) as never:
            await dead.send_photo("p1", "https://anh.example.vn/c.jpg")
        assert not never.value.sent and isinstance(delivery_error(never.value), Transient)
    finally:
        await dead.close()


async def test_a_403_at_webhook_registration_is_retried_not_fatal(config: Config, zalo: FakeZalo,
                                                                  clock: FakeClock) -> None:
    # 403 is Zalo's "internal server error": not a reason to refuse to start.
    zalo.fail_next("setWebhook", 403, "Internal server error")
    bot = await running(config, zalo, clock, {"webhook_url": "https://bot.example.org/zalo",
                                              "listen": "127.0.0.1:0"}, retry_base=0.05)
    try:
        await zalo.wait_calls("setWebhook", 2)
        assert zalo.webhook is not None and zalo.webhook["url"] == "https://bot.example.org/zalo"
    finally:
        await bot.app.close()


async def test_a_delivered_photo_goes_by_url_after_its_text(bot: Bot, zalo: FakeZalo) -> None:
    photo = Attachment("tep-1", b"", "photo", ref="https://anh.example.vn/lop.jpg", ref_channel="zalo")
    await bot.channel.deliver("d1", Reply("Ảnh buổi học", attachment=photo))
    assert zalo.sent("d1") == ["Ảnh buổi học"]
    assert [c.params["photo"] for c in zalo.calls_of("sendPhoto")] == ["https://anh.example.vn/lop.jpg"]
    zalo.fail_next("sendPhoto", 502, "Bad Gateway")  # the text went out: sending both again would repeat it
    with pytest.raises(Unknown):
        await bot.channel.deliver("d1", Reply("Ảnh thứ hai", attachment=photo))
