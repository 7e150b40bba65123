"""The fake Bot API itself: what python-telegram-bot sees from it, failures and flood control."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from tests.fake_telegram import FakeTelegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def seconds(exc: RetryAfter) -> float:
    """retry_after in seconds (an int now, a timedelta in later PTB versions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def make_bot(tg: FakeTelegram) -> Bot:
    return Bot(tg.token, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot")


async def test_send_edit_and_record(tg: FakeTelegram) -> None:
    async with make_bot(tg) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Một", callback_data="x:1")]])
        sent = await bot.send_message(5, "Xin chào", reply_markup=markup)
        assert tg.sent(5)[0].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x:1"
        await bot.edit_message_text("Đã sửa", chat_id=5, message_id=sent.message_id)
        assert tg.texts(5) == ["Đã sửa"]
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("Đã sửa", chat_id=5, message_id=sent.message_id)
        await bot.send_document(5, b"PK\x03\x04", filename="bao-cao.xlsx", caption="Báo cáo")
        upload = tg.sent(5)[-1].files["document"]
        assert (upload.filename, upload.data) == ("bao-cao.xlsx", b"PK\x03\x04")
        await bot.set_my_commands([BotCommand("admin", "Quản trị")], scope=BotCommandScopeChat(9))
        assert tg.commands["chat:9"] == [{"command": "admin", "description": "Quản trị"}]


async def test_updates_offsets_long_poll_and_files(tg: FakeTelegram) -> None:
    async with make_bot(tg) as bot:
        tg.command(3, "start", "abc", bot_username=tg.bot_username)
        tg.document(3, "gop-y.txt", b"noi dung")
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == [1, 2]
        assert updates[0].message.text == "/start@caunoi_test_bot abc"
        file = await bot.get_file(updates[1].message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"noi dung"
        assert await bot.get_updates(offset=3, timeout=0) == ()

        async def later() -> None:
            await asyncio.sleep(0.05)
            tg.press(3, "ob:agree")

        task = asyncio.create_task(later())
        woken = await bot.get_updates(offset=3, timeout=30)  # returns as soon as the press arrives
        await task
        assert woken[0].callback_query.data == "ob:agree"


async def test_block_and_fail_next(tg: FakeTelegram) -> None:
    async with make_bot(tg) as bot:
        tg.block(8)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(8, "x")
        tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(5, "x")
        assert seconds(caught.value) == 7
        await bot.send_message(5, "x")  # only the next one failed
        assert [c.status for c in tg.calls if c.method == "sendMessage"] == [403, 429, 200]


async def test_flood_control_sliding_window() -> None:
    async with FakeTelegram(flood_control=True, overall_rate=30) as tg, make_bot(tg) as bot:
        accepted = 0
        for chat in range(40):  # 40 distinct chats in one burst: 30 pass, 10 get 429
            try:
                await bot.send_message(1000 + chat, "tin")
                accepted += 1
            except RetryAfter as exc:
                assert seconds(exc) >= 1
        assert (accepted, tg.flood_429s) == (30, 10)
        with pytest.raises(RetryAfter):
            await bot.send_message(1000, "lần hai")  # same chat within a second
        paid = [await bot.send_message(2000 + i, "tin", allow_paid_broadcast=True) for i in range(50)]
        assert len(paid) == 50  # paid broadcasts have their own 1000/s window
