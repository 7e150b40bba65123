"""bot/pacer.py: smooth slots, the window rule that holds whatever the jitter, pauses, give-backs."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.pacer import Pacer


async def test_slots_are_handed_out_one_interval_apart_and_started_no_earlier() -> None:
    pacer = Pacer(rate=50)  # 20 ms apart
    tickets = [pacer.reserve() for _ in range(5)]
    gaps = [b.at - a.at for a, b in itertools.pairwise(tickets)]
    assert gaps == pytest.approx([0.02] * 4)
    for ticket in tickets:
        async with pacer.slot(ticket) as started:
            assert started.started >= ticket.at
    assert all(t.finished >= t.started > 0 for t in tickets)


async def test_a_send_waits_until_the_one_limit_places_before_it_has_answered_plus_the_window() -> None:
    # 10 per 0.2 s: the 11th send may start only 0.2 s after the 1st one's answer came back,
    # however early its slot is, because the 1st may have reached the server that late.
    pacer = Pacer(rate=50, window=0.2)
    assert pacer.limit == 10
    first = await pacer.start()
    for _ in range(9):
        pacer.finish(await pacer.start())
    eleventh = asyncio.create_task(pacer.start())
    await asyncio.sleep(0.25)  # its slot (0.2 s after the first) has passed, but the 1st is unanswered
    assert not eleventh.done()
    pacer.finish(first)
    answered = first.finished
    started = await asyncio.wait_for(eleventh, 1)
    assert started.started >= answered + 0.2


async def test_a_reserved_slot_already_allows_for_the_window() -> None:
    # A caller prepares just before its slot (the outbox claims a row): the slot must be when the
    # send can really start, or the prepared row would wait, and slots would drift ever later.
    pacer = Pacer(rate=50, window=0.2)
    sends = []
    for _ in range(10):
        ticket = await pacer.start()
        await asyncio.sleep(0.005)  # its round trip
        pacer.finish(ticket)
        sends.append(ticket)
    waiting = pacer.reserve()  # the 11th: its reference is the 1st
    after = pacer.reserve()  # the 12th: the 2nd
    assert waiting.at == pytest.approx(sends[0].finished + 0.2)
    assert after.at == pytest.approx(max(sends[1].finished + 0.2, waiting.at + pacer.interval))
    started = await pacer.start(waiting)
    assert started.started - waiting.at < 0.05  # let through at its slot, no extra wait


async def test_concurrent_starts_never_put_more_than_limit_in_a_window() -> None:
    pacer = Pacer(rate=100, window=0.1)  # 10 per 0.1 s

    async def send() -> float:
        async with pacer.slot() as ticket:
            await asyncio.sleep(0.003)  # the request's round trip
            return ticket.started

    starts = sorted(await asyncio.gather(*(send() for _ in range(40))))
    for i in range(len(starts) - pacer.limit):
        assert starts[i + pacer.limit] - starts[i] >= 0.1


async def test_pause_holds_every_slot_and_a_released_last_slot_is_given_back() -> None:
    pacer = Pacer(rate=10)
    pacer.reserve()
    ticket = pacer.reserve()  # 0.1 s from now
    assert pacer.release(ticket)  # nothing reserved after it: the next one gets the same slot
    again = pacer.reserve()
    assert again.at == ticket.at
    later = pacer.reserve()
    assert not pacer.release(again)  # a later slot was handed out: giving back would bunch them
    pacer.pause(0.15)
    paused = pacer.reserve()
    assert paused.at >= time.monotonic() + 0.14 and paused.at > later.at
    started = await pacer.start(pacer.reserve())
    assert started.started >= paused.at


def test_a_pacer_needs_a_rate() -> None:
    with pytest.raises(ValueError):
        Pacer(0)
