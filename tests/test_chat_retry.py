"""A 429 that is one chat's limit holds back only that chat (bot/channels/telegram_limiter.py).

bench/broadcast.py `loaded --busy-ack` found it: a leader answered twice within a second meets the
per-chat limit (Telegram allows short bursts, the fake does not), and every 429 paused every send.
The limiter runs here on a stepped clock (its own and the pacer's), with the request itself
replaced by a function that answers or raises Telegram's RetryAfter: no wall-clock timing."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest
from telegram import error as tg_error

import bot.channels.telegram_limiter as limiter_module
import bot.pacer as pacer_module
from bot.channels import base
from bot.channels.telegram import delivery_error, retry_seconds
from bot.channels.telegram_limiter import ChatRetryAfter, PacedRateLimiter
from bot.pacer import Pacer


class SteppedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppedClock:
    stepped = SteppedClock()
    for module in (limiter_module, pacer_module):
        monkeypatch.setattr(module, "time", types.SimpleNamespace(monotonic=stepped.monotonic))
        monkeypatch.setattr(module, "asyncio", types.SimpleNamespace(sleep=stepped.sleep))
    return stepped


async def answered() -> dict[str, Any]:
    return {"message_id": 1}


async def refused() -> dict[str, Any]:
    raise tg_error.RetryAfter(2)


async def reply(limiter: PacedRateLimiter, chat: int, request: Any = answered) -> Any:
    return await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": chat}, None)


async def test_a_429_right_after_a_message_to_the_chat_holds_back_only_that_chat(clock: SteppedClock) -> None:
    pacer = Pacer(30)
    limiter = PacedRateLimiter(pacer, retry_seconds)
    await reply(limiter, 5)
    clock.now += 0.3  # the next answer to the same person, within the chat's second
    with pytest.raises(ChatRetryAfter) as caught:
        await reply(limiter, 5, refused)
    assert clock.now >= pacer._paused_until  # the pacer is not paused: other chats go on
    error = delivery_error(caught.value)
    assert isinstance(error, base.RetryAfter) and error.chat_only and error.seconds == 2
    before = clock.now
    await reply(limiter, 6)  # another chat: at once
    assert clock.now - before < 0.1
    await reply(limiter, 5)  # that chat: after its 2 s
    assert clock.now - before >= 2


async def test_a_429_to_a_quiet_chat_is_the_overall_limit_and_pauses_every_send(clock: SteppedClock) -> None:
    pacer = Pacer(30)
    limiter = PacedRateLimiter(pacer, retry_seconds)
    await reply(limiter, 5)
    clock.now += 5  # chat 5's second is long over; chat 7 has had nothing
    with pytest.raises(tg_error.RetryAfter) as caught:
        await reply(limiter, 7, refused)
    assert not isinstance(caught.value, ChatRetryAfter)
    assert not delivery_error(caught.value).chat_only  # type: ignore[attr-defined]
    assert pacer._paused_until == pytest.approx(clock.now + 2)
    before = clock.now
    await reply(limiter, 6)  # everyone waits it out
    assert clock.now - before >= 2
