"""bot/pacer.py: smooth slots, the window rule that holds whatever the jitter, pauses, give-backs."""

from __future__ import annotations

import asyncio
import itertools
import random
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


async def test_a_full_window_opens_as_answers_age_out_of_it() -> None:
    # 10 per 0.2 s. Ten sends in flight fill the window: the 11th waits for answers, and then for
    # the first answer to be 0.2 s old (that send may have reached the server just before).
    pacer = Pacer(rate=50, window=0.2)
    assert pacer.limit == 10
    flying = [await pacer.start() for _ in range(10)]
    eleventh = asyncio.create_task(pacer.start())
    await asyncio.sleep(0.3)  # its slot has long passed, but all ten may still be on their way
    assert not eleventh.done()
    pacer.finish(flying[0])
    started = await asyncio.wait_for(eleventh, 1)
    assert started.started >= flying[0].finished + 0.2
    for ticket in flying[1:]:
        pacer.finish(ticket)


async def test_a_slow_upload_counts_once_and_does_not_hold_the_others_up() -> None:
    pacer = Pacer(rate=100, window=0.1)  # 10 per 0.1 s
    upload = await pacer.start()  # in flight the whole time
    quick = []
    for _ in range(25):
        async with pacer.slot() as ticket:
            quick.append(ticket)
    assert not upload.finished and quick[-1].started - quick[0].started < 0.5
    pacer.finish(upload)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_server_never_counts_more_than_limit_in_a_window_whatever_the_jitter(seed: int) -> None:
    # A simulated server notes when each request arrives: anywhere between our start and the
    # answer, sometimes very late (a slow upload, a stalled connection).
    rng = random.Random(seed)
    pacer = Pacer(rate=200, window=0.1)  # 20 per 0.1 s
    arrivals: list[float] = []

    async def send() -> None:
        there = rng.choice([0.0, 0.001, 0.004, 0.01, 0.03, 0.12])
        back = rng.choice([0.0, 0.002, 0.01, 0.05])
        async with pacer.slot():
            await asyncio.sleep(there)
            arrivals.append(time.monotonic())
            await asyncio.sleep(back)

    await asyncio.gather(*(send() for _ in range(150)))
    arrivals.sort()
    for i, arrived in enumerate(arrivals):
        in_window = sum(1 for other in arrivals[: i + 1] if other > arrived - pacer.window)
        assert in_window <= pacer.limit


class PacerClock:
    """The pacer's monotonic clock and sleep, stepped by hand: no wall-clock timing in the test."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


async def test_a_reserved_slot_already_allows_for_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # A caller prepares just before its slot (the outbox claims a row): the slot must be when the
    # send can really start, or the prepared row would wait, and slots would drift ever later.
    import types

    import bot.pacer as pacer_module

    clock = PacerClock()
    monkeypatch.setattr(pacer_module, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    monkeypatch.setattr(pacer_module, "asyncio", types.SimpleNamespace(sleep=clock.sleep))
    pacer = Pacer(rate=50, window=0.2)
    sends = []
    for _ in range(10):
        ticket = await pacer.start()
        clock.now += 0.005  # its round trip
        pacer.finish(ticket)
        sends.append(ticket)
    waiting = pacer.reserve()  # the 11th: its reference is the 1st
    after = pacer.reserve()  # the 12th: the 2nd
    assert waiting.at == pytest.approx(sends[0].finished + 0.2)
    assert after.at == pytest.approx(max(sends[1].finished + 0.2, waiting.at + pacer.interval))
    clock.slept.clear()
    started = await pacer.start(waiting)
    assert started.started == pytest.approx(waiting.at)  # let through at its slot, no extra wait
    assert len(clock.slept) == 1  # one sleep, straight to the slot


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
