"""The Zalo channel against the fake Zalo Bot API on loopback: polling, webhook, rendering, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App, build_channels, open_app
from bot.channels.base import QuotaExceeded, Rejected, RetryAfter, Transient, Unknown
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_api import ZaloClient, fit, mask, to_event, unwrap
from bot.channels.zalo_delivery import delivery_error
from bot.clock import FakeClock
from bot.config import Config, ConfigError, Secret, load_config
from bot.model import Attachment, Identity, Option, Reply
from bot.store import people
from tests.fake_zalo import TOKEN, FakeZalo


@dataclass
class Bot:
    """The app with its Zalo channel, talking to the fake server."""

    app: App
    channel: ZaloChannel
    zalo: FakeZalo

    async def say(self, chat_id: str, text: str) -> list[str]:
        """A user writes; return what the bot sent back to that chat for this message."""
        before = len(self.zalo.sent(chat_id))
        self.zalo.text(chat_id, text)
        await self.zalo.wait_sent(before + 1, chat_id)
        await self.channel.drained()
        return self.zalo.sent(chat_id)[before:]


def zalo_config(config: Config, zalo: FakeZalo) -> Config:
    """The test config with Zalo pointed at the fake server, no rate limit."""
    return replace(config, zalo_token=Secret(TOKEN), zalo_api_url=zalo.url, zalo_rate=0.0)


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    """The fake Zalo Bot API."""
    async with FakeZalo(poll_cap=0.2) as server:
        yield server


async def running(config: Config, zalo: FakeZalo, clock: FakeClock, options: dict[str, Any] | None = None,
                  retry_base: float = 1.0) -> Bot:
    """Open the app and start its Zalo channel (as `caunoi run` does)."""
    app = await open_app(zalo_config(config, zalo), clock=clock)
    app.channels = build_channels(app, options or {})
    channel = app.channels["zalo"]
    assert isinstance(channel, ZaloChannel)
    channel.retry_base = retry_base
    try:
        await channel.start()
    except BaseException:
        await app.close()
        raise
    return Bot(app, channel, zalo)


@pytest.fixture
async def bot(config: Config, zalo: FakeZalo, clock: FakeClock) -> AsyncIterator[Bot]:
    """The bot polling the fake Zalo server."""
    running_bot = await running(config, zalo, clock, retry_base=0.05)
    yield running_bot
    await running_bot.app.close()


async def test_idle_polls_are_normal_and_a_message_is_answered(bot: Bot, zalo: FakeZalo) -> None:
    await zalo.wait_calls("getUpdates", 3)
    assert zalo.polls_idle >= 2  # 408 answers; the poller simply polls again
    sent = await bot.say("u1", "Xin chào")
    # A newcomer's greeting opens registration (numbered options to type), not "not understood".
    assert "1. ✅ Tôi đồng ý" in sent[0] and "rồi gửi để chọn" in sent[0] and "chưa hiểu" not in sent[0]
    assert all(c.params.get("timeout") == "30" for c in zalo.calls_of("getUpdates"))


async def test_a_leader_onboards_by_typing_numbers_and_words(bot: Bot, zalo: FakeZalo) -> None:
    sent = await bot.say("u2", "/start")
    assert "đồng ý" in sent[0] and "1. ✅ Tôi đồng ý" in sent[0]
    assert "họ và tên" in (await bot.say("u2", "1"))[0]
    assert "chức danh" in (await bot.say("u2", "Lê Thị Hoa"))[0]
    assert "xã, phường" in (await bot.say("u2", "truong thon"))[0]  # the label without diacritics
    hamlet = await bot.say("u2", "huong khe")  # a typed commune name
    assert "thôn" in hamlet[0].lower()
    phone = await bot.say("u2", "Thôn 5")
    assert "Gõ số" in phone[0] and "Chia sẻ" not in phone[0]  # no contact button on Zalo
    summary = await bot.say("u2", "091 234 5678")
    assert "0912345678" in summary[0] and "1. ✅ Đúng" in summary[0]
    done = await bot.say("u2", "1")
    assert "Đăng ký xong" in done[0] and "Menu chính" in "\n".join(done)
    person = await people.by_identity(bot.app.db, Identity("zalo", "u2"))
    assert person is not None and person.registered and person.phone == "0912345678"
    assert person.name == "Lê Thị Hoa" and person.hamlet == "Thôn 5" and person.last_channel == "zalo"
    # Bare command words work without the slash.
    assert "Menu chính" in (await bot.say("u2", "Menu"))[0]
    assert "Cầu Nối" in (await bot.say("u2", "huong dan"))[0]


async def test_duplicate_events_are_processed_once(bot: Bot, zalo: FakeZalo) -> None:
    zalo.text("u3", "/help", message_id="dup-1")
    zalo.text("u3", "/help", message_id="dup-1")
    await zalo.wait_sent(1, "u3")
    zalo.text("u3", "/help", message_id="dup-2")
    await zalo.wait_sent(2, "u3")
    await bot.channel.drained()
    assert len(zalo.sent("u3")) == 2


async def test_media_groups_and_hidden_content(bot: Bot, zalo: FakeZalo) -> None:
    zalo.image("u4", caption="ảnh thôn")
    assert "chưa cần" in (await zalo.wait_sent(1, "u4"))[0]
    zalo.sticker("u4")
    zalo.unsupported("u4")
    await zalo.wait_sent(3, "u4")
    update = zalo.text("g1", "hello", queue=False)
    update["message"]["chat"]["chat_type"] = "GROUP"
    assert not bot.channel.accept(update)
    event = to_event(zalo.image("u4", url="https://x.invalid/a.jpg", queue=False))
    assert event is not None and (event.kind, event.value, event.file_ref) == ("media", "photo",
                                                                              "https://x.invalid/a.jpg")
    assert unwrap({"ok": True, "result": {"event_name": "x", "message": {}}}) == {"event_name": "x", "message": {}}
    assert unwrap([1, 2]) is None and unwrap({"ok": True}) is None


async def test_long_text_is_split_and_numbers_run_on_across_replies(bot: Bot, zalo: FakeZalo) -> None:
    paragraphs = "\n\n".join(f"Đoạn {i}: " + "chữ " * 120 for i in range(8))
    replies = [Reply(paragraphs, [Option("Một", "a:1")]), Reply("Tiếp", [Option("Hai", "a:2"), Option("Ba", "a:3")])]
    await bot.channel.send_replies("u5", replies)
    sent = zalo.sent("u5")
    assert len(sent) >= 3 and all(1 <= len(text) <= 2000 for text in sent)
    assert all(text.startswith("Đoạn") for text in sent[:-2])  # cut at paragraph boundaries
    assert "1. Một" in sent[-2] and "rồi gửi để chọn" not in sent[-2]
    assert "2. Hai" in sent[-1] and "3. Ba" in sent[-1] and "rồi gửi để chọn" in sent[-1]


async def test_attachments_become_a_clear_text(bot: Bot, zalo: FakeZalo) -> None:
    await bot.channel.send_replies("u6", [Reply("Báo cáo", attachment=Attachment("a.xlsx", b"x"))])
    assert "Zalo không gửi được tệp" in zalo.sent("u6")[-1]
    assert not zalo.calls_of("sendPhoto")


async def test_a_leaders_photo_is_passed_on_by_its_url(bot: Bot, zalo: FakeZalo) -> None:
    photo = Attachment("tep-1-1", b"", "photo", ref="https://photo.zalo.example/p1.jpg", ref_channel="zalo")
    await bot.channel.send_replies("u8", [Reply("📎 Tệp 1 của mục #1:", attachment=photo)])
    sent = zalo.calls_of("sendPhoto")
    assert len(sent) == 1 and sent[0].params["photo"] == "https://photo.zalo.example/p1.jpg"
    voice = Attachment("tep-1-2", b"", "voice", ref="AwACAgIAAx", ref_channel="tg")  # a Telegram file id
    await bot.channel.send_replies("u8", [Reply("📎 Tệp 2 của mục #1:", attachment=voice)])
    assert len(zalo.calls_of("sendPhoto")) == 1 and "Zalo" in zalo.sent("u8")[-1]


async def test_a_delivered_message_is_answered_by_typing_its_number(bot: Bot, zalo: FakeZalo) -> None:
    await bot.say("u7", "/start")  # the person exists
    await bot.channel.deliver("u7", Reply("📢 Thông báo của Đảng ủy xã", [Option("🏠 Về menu", "cmd:menu")]))
    assert "1. 🏠 Về menu" in zalo.sent("u7")[-1]
    assert "đồng ý" in (await bot.say("u7", "1"))[0]  # cmd:menu, then onboarding resumes
    await bot.channel.edit("u7", "s1", Reply("tiến độ"))  # no editing on Zalo: nothing is sent
    assert "tiến độ" not in zalo.sent("u7")[-1]


async def test_delivery_errors_are_mapped(bot: Bot, zalo: FakeZalo) -> None:
    channel = bot.channel
    zalo.block("b1")  # 403 "internal server error": not proof the person is gone (tests/test_zalo_errors.py)
    with pytest.raises(Transient):
        await channel.deliver("b1", Reply("x"))
    zalo.fail_next("sendMessage", 429, "Too many requests", retry_after=3)  # a proxy's flood control
    with pytest.raises(RetryAfter) as retry:
        await channel.deliver("q1", Reply("x"))
    assert retry.value.seconds == 3
    zalo.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(Transient):
        await channel.deliver("q1", Reply("x"))
    zalo.fail_next("sendMessage", 400, "Bad Request: chat_id")
    with pytest.raises(Rejected):
        await channel.deliver("q1", Reply("x"))
    zalo.fail_next("sendMessage", 408, "Request timeout")  # Zalo gave up on its side: it may have arrived
    with pytest.raises(Unknown):
        await channel.deliver("q1", Reply("x"))
    zalo.fail_next("sendMessage", 401, "Unauthorized")
    with pytest.raises(QuotaExceeded):  # TokenRefused: stop the channel and tell staff
        await channel.deliver("q1", Reply("x"))
    assert not zalo.sent("q1")  # every refusal above came in Zalo's envelope, with HTTP 200


async def test_an_error_with_a_real_http_status_is_read_too(bot: Bot, zalo: FakeZalo) -> None:
    # A reverse proxy between us and Zalo answers with HTTP statuses and no envelope.
    zalo.fail_next("sendMessage", 502, "Bad Gateway", http=True)
    with pytest.raises(Transient, match="502"):
        await bot.channel.deliver("h1", Reply("x"))
    zalo.fail_next("sendMessage", 400, "Bad Request", http=True)
    with pytest.raises(Rejected):
        await bot.channel.deliver("h1", Reply("x"))
    await bot.channel.deliver("h1", Reply("y"))
    assert zalo.sent("h1") == ["y"]


async def test_timeout_after_sending_is_unknown_and_no_network_is_transient(zalo: FakeZalo) -> None:
    client = ZaloClient(TOKEN, zalo.url, timeout=0.3)
    try:
        zalo.delay_next("sendMessage", 1.0)
        with pytest.raises(Exception) as caught:
            await client.send_message("t1", "xin chào")
        assert isinstance(delivery_error(caught.value), Unknown)  # type: ignore[arg-type]
        assert zalo.sent("t1") == ["xin chào"]  # it did arrive: resending would duplicate it
    finally:
        await client.close()
    dead = ZaloClient(TOKEN, "http://127.0.0.1:9", timeout=1)
    try:
        with pytest.raises(Exception) as caught:
            await dead.send_message("t1", "x")
        error = delivery_error(caught.value)  # type: ignore[arg-type]
        assert isinstance(error, Transient) and TOKEN not in str(caught.value)
    finally:
        await dead.close()


async def test_the_token_never_reaches_logs_or_errors(config: Config, zalo: FakeZalo, clock: FakeClock,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    zalo.fail_next("getUpdates", 500, f"boom {TOKEN}")
    bot = await running(config, zalo, clock, retry_base=0.05)
    try:
        await zalo.wait_calls("getUpdates", 2)
        await bot.say("u8", "/help")
    finally:
        await bot.app.close()
    secret = TOKEN.partition(":")[2]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert "getUpdates failed" in ours and "<token>" in ours  # the description quoted it, masked
    assert secret not in ours  # (httpx's own request log is kept at WARNING by the CLI)
    assert mask(f"https://x/bot{TOKEN}/sendMessage", TOKEN) == "https://x/bot<token>/sendMessage"


async def test_webhook_mode(config: Config, zalo: FakeZalo, clock: FakeClock) -> None:
    public = "https://bot.example.org/zalo-hook"
    bot = await running(config, zalo, clock, {"webhook_url": public, "listen": "127.0.0.1:0"})
    try:
        assert zalo.webhook is not None and zalo.webhook["url"] == public
        assert 8 <= len(zalo.webhook["secret_token"]) <= 256
        assert not zalo.calls_of("getUpdates")  # webhook and polling are exclusive
        local = f"http://127.0.0.1:{bot.channel.webhook_port}/zalo-hook"
        wrong = await zalo.post_webhook(zalo.text("w1", "/help", queue=False), secret="not-the-secret", url=local)
        missing = await zalo.post_webhook(zalo.text("w1", "/help", queue=False), secret="", url=local)
        assert (wrong, missing) == (403, 403)
        await bot.channel.drained()
        assert zalo.sent("w1") == []  # nothing from a wrong secret is processed
        assert await zalo.post_webhook(zalo.text("w1", "/help", queue=False), url=local) == 200
        assert "Cầu Nối" in (await zalo.wait_sent(1, "w1"))[0]
        update = zalo.text("w1", "/help", queue=False)
        assert await zalo.post_webhook(update, wrapped=True, url=local) == 200
        assert await zalo.post_webhook(update, wrapped=True, url=local) == 200  # a retry: same message id
        await zalo.wait_sent(2, "w1")
        await bot.channel.drained()
        assert len(zalo.sent("w1")) == 2
        async with httpx.AsyncClient() as client:
            bad = await client.post(local, content=b"{not json",
                                    headers={"X-Bot-Api-Secret-Token": zalo.webhook["secret_token"]})
            huge = await client.post(local, content=b'{"x": "' + b"a" * 300_000 + b'"}',
                                     headers={"X-Bot-Api-Secret-Token": zalo.webhook["secret_token"]})
            check = await client.get(local)
        assert bad.status_code == 400 and huge.status_code == 413 and check.status_code == 200
    finally:
        await bot.app.close()


async def test_polling_removes_a_leftover_webhook(config: Config, zalo: FakeZalo, clock: FakeClock) -> None:
    zalo.webhook = {"url": "https://old.example.org/hook", "secret_token": "x" * 16}
    bot = await running(config, zalo, clock)
    try:
        assert "Cầu Nối" in (await bot.say("u9", "/help"))[0]
        assert zalo.webhook is None and zalo.calls_of("deleteWebhook")
    finally:
        await bot.app.close()


async def test_a_direct_reply_survives_a_short_outage(bot: Bot, zalo: FakeZalo) -> None:
    zalo.fail_next("sendMessage", 502, "Bad Gateway")
    zalo.fail_next("sendMessage", 429, "Too many requests", retry_after=0.1)
    sent = await bot.say("r1", "/help")
    assert len(sent) == 1 and "Cầu Nối" in sent[0]
    assert len(zalo.calls_of("sendMessage")) == 3  # two refused, the third accepted
    zalo.fail_next("sendMessage", 400, "Bad Request")  # not worth retrying: dropped, logged
    zalo.text("r1", "/help")
    await zalo.wait_calls("sendMessage", 4)
    await bot.channel.drained()
    assert len(zalo.sent("r1")) == 1 and len(zalo.calls_of("sendMessage")) == 4


async def test_zalo_down_at_start_up_is_not_fatal(config: Config, zalo: FakeZalo, clock: FakeClock) -> None:
    zalo.fail_next("getMe", 502, "Bad Gateway")
    zalo.fail_next("deleteWebhook", 503, "Service Unavailable")
    bot = await running(config, zalo, clock, retry_base=0.05)
    try:
        assert "Cầu Nối" in (await bot.say("d1", "/help"))[0]
        assert len(zalo.calls_of("deleteWebhook")) == 2  # asked again once Zalo answered
    finally:
        await bot.app.close()


async def test_webhook_registration_refused_or_delayed(config: Config, zalo: FakeZalo, clock: FakeClock) -> None:
    options = {"webhook_url": "https://bot.example.org/hook", "listen": "127.0.0.1:0"}
    zalo.fail_next("setWebhook", 400, "Bad Request: url")
    with pytest.raises(ConfigError, match="refused the webhook"):
        await running(config, zalo, clock, options)
    zalo.fail_next("setWebhook", 502, "Bad Gateway")
    bot = await running(config, zalo, clock, options, retry_base=0.05)
    try:
        await zalo.wait_calls("setWebhook", 3)
        assert zalo.webhook is not None and zalo.webhook["url"] == options["webhook_url"]
    finally:
        await bot.app.close()


async def test_a_webhook_set_while_polling_is_removed_again(bot: Bot, zalo: FakeZalo) -> None:
    await zalo.wait_calls("getUpdates", 1)
    zalo.webhook = {"url": "https://other.example.org/hook", "secret_token": "y" * 16}
    await zalo.wait_calls("deleteWebhook", 1)  # after one refused poll (409)
    assert "Cầu Nối" in (await bot.say("s1", "/help"))[0]


def test_parts_fit_even_when_emoji_count_double() -> None:
    text = "\n\n".join("🌾" * 300 + " đồng lúa" for _ in range(10))
    parts = fit(text)
    assert all(len(p.encode("utf-16-le")) // 2 <= 2000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")  # nothing lost


def test_a_bad_rate_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CAUNOI_ZALO_RATE"):
        load_config(env={"CAUNOI_ZALO_RATE": "nhanh"}, dotenv=tmp_path / "none.env")
    assert load_config(env={}, dotenv=tmp_path / "none.env").zalo_rate == 5.0
