"""Telegram's 1 message a second per chat between the outbox and direct replies, through the real
channel and outbox against the fake Bot API with flood control on: no 429, nothing lost.
bench/broadcast.py `loaded` found it: recipients who press "Đã nhận ✅" (or write) within a second of
their copy got their answer refused, and each 429 paused every send, halving the broadcast's pace."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.outbox import settings_for
from tests.fake_telegram import Call
from tests.telegram_rig import telegram_rig
from tests.test_outbox_telegram import MESSAGE, leaders, send_broadcast, with_outbox


@pytest.mark.parametrize("ahead", [0, 1], ids=["after-their-copy", "just-before-their-copy"])
async def test_a_leader_who_writes_the_moment_the_broadcast_arrives_is_answered_without_a_429(
    config: Config, clock: FakeClock, ahead: int,
) -> None:
    # Each leader sends /help as soon as their own copy is accepted (ahead=0), or the previous
    # leader's (ahead=1: their copy is then already claimed and on its way to its slot, a
    # thirtieth of a second later). The answer and the copy meet in the same chat well within a
    # second unless the channel spaces them, whichever goes first.
    async with telegram_rig(config, clock, flood_control=True) as rig:
        chats = range(42000, 42008)
        await leaders(rig.app, chats[0], len(chats))
        helps = []

        def on_call(call: Call) -> None:
            if call.method == "sendMessage" and call.status == 200 and call.params.get("text") == MESSAGE:
                chat = int(call.params["chat_id"]) + ahead
                if chat in chats:
                    helps.append(rig.tg.command(chat, "help"))

        rig.tg.listeners.append(on_call)
        outbox = await with_outbox(rig, replace(settings_for(rig.config, "tg"), idle_poll=0.05))
        await send_broadcast(rig)
        assert await outbox.drain(within=30)
        for update in list(helps):
            await rig.run(update, within=30)
        assert len(helps) == len(chats) - ahead
        for chat in chats[ahead:]:
            texts = [c.params.get("text") for c in rig.tg.sent(chat)]
            assert texts.count(MESSAGE) == 1 and len(texts) >= 2  # the copy and the answer
        assert rig.tg.flood_429s == 0
        assert [c for c in rig.tg.calls if c.status == 429] == []
