"""Per-person flood limit (a token bucket): the limiter on a fake clock, and through the real dispatcher.
Nothing waits for real time: the FakeClock moves between events."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import ConfigError, load_config
from bot.model import Event, Identity
from bot.ratelimit import WARN_EVERY, Cost, RateLimiter, cost_of
from tests.chat import Chat

TOO_FAST = "gửi nhanh quá"


def limited(replies: list) -> bool:  # type: ignore[type-arg]
    return any("⏳" in reply.text for reply in replies)


def test_costs_buttons_and_typed_numbers_are_free() -> None:
    me = Identity("zalo", "1")
    words = {"menu", "quiz"}
    assert cost_of(Event(me, "choice", "tp:next:1")) is Cost.CHOICE
    assert cost_of(Event(me, "text", "2"), words) is Cost.CHOICE
    assert cost_of(Event(me, "text", " 3. "), words) is Cost.CHOICE
    assert cost_of(Event(me, "command", "quiz")) is Cost.COMMAND
    assert cost_of(Event(me, "text", "Menu"), words) is Cost.COMMAND
    assert cost_of(Event(me, "text", "/feedback"), words) is Cost.COMMAND
    assert cost_of(Event(me, "text", "Cho tôi hỏi lớp học ở đâu"), words) is Cost.TEXT
    assert cost_of(Event(me, "text", "123456"), words) is Cost.TEXT  # a phone-like number is text
    assert cost_of(Event(me, "media", "photo")) is Cost.UPLOAD


def test_bucket_refuses_then_refills_and_counts_what_was_skipped() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, burst=6, rate=1)
    me, other = Identity("tg", "1"), Identity("tg", "2")
    assert [limiter.check(me, Cost.TEXT).allowed for _ in range(3)] == [True, True, True]
    first, second = limiter.check(me, Cost.TEXT), limiter.check(me, Cost.TEXT)
    assert not first.allowed and first.warn and first.wait_seconds == 2
    assert not second.allowed and not second.warn  # told at most once every few seconds
    button = limiter.check(me, Cost.CHOICE)
    assert button.allowed and button.skipped == 2  # a button still works, and its answer tells of the two
    command = limiter.check(me, Cost.COMMAND)
    assert not command.allowed and command.command and command.wait_seconds == 1
    assert limiter.check(other, Cost.TEXT).allowed  # per person
    clock.advance(timedelta(seconds=WARN_EVERY))
    back = limiter.check(me, Cost.TEXT)
    assert back.allowed and back.skipped == 1  # the command
    assert limiter.check(me, Cost.COMMAND).skipped == 0
    clock.advance(timedelta(seconds=-30))  # a clock jumping back takes nothing away and breaks nothing
    assert limiter.check(other, Cost.COMMAND).allowed


def test_warning_repeats_every_few_seconds_while_limited() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, burst=3, rate=0.1)
    me = Identity("tg", "1")
    warnings = 0
    for _ in range(200):  # 10 texts a second for 20 s
        verdict = limiter.check(me, Cost.TEXT)
        warnings += verdict.warn
        clock.advance(timedelta(milliseconds=100))
    assert warnings == pytest.approx(20 / WARN_EVERY, abs=1)


def test_limits_come_from_the_configuration(tmp_path: Path) -> None:
    clock = FakeClock()
    config = load_config(env={"CAUNOI_FLOOD_BURST": "12", "CAUNOI_FLOOD_RATE": "0.5"}, dotenv=tmp_path / "x")
    limiter = RateLimiter.from_config(clock, config)
    assert (limiter.burst, limiter.rate) == (12.0, 0.5)
    for env, name in (({"CAUNOI_FLOOD_BURST": "nhiều"}, "CAUNOI_FLOOD_BURST"),
                      ({"CAUNOI_FLOOD_BURST": "1"}, "CAUNOI_FLOOD_BURST"),  # less than one text
                      ({"CAUNOI_FLOOD_RATE": "0"}, "CAUNOI_FLOOD_RATE"),
                      ({"CAUNOI_FLOOD_LIMIT": "30"}, "CAUNOI_FLOOD_BURST")):  # the old variable says what replaced it
        with pytest.raises(ConfigError, match=name):
            load_config(env=env, dotenv=tmp_path / "x")


def test_idle_people_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, burst=3, rate=1)
    for n in range(1500):
        limiter.check(Identity("tg", str(n)))
        clock.advance(timedelta(milliseconds=10))
    assert len(limiter) < 1500


async def test_a_button_every_half_second_for_five_minutes_is_never_refused(
    app: App, leader: Chat, clock: FakeClock,
) -> None:
    await leader.onboard()
    await leader.send("/topics")
    for _ in range(600):
        clock.advance(timedelta(milliseconds=500))
        options = [o for r in leader.replies for o in r.options]
        await leader.press_payload(options[0].payload if options else "cmd:menu")
        assert leader.replies and not limited(leader.replies), leader.text


async def test_a_typed_number_every_half_second_on_the_console_is_never_refused(app: App, clock: FakeClock) -> None:
    person = Chat(app, Identity("console", "an"))
    await person.send("/start")
    for n in range(600):
        clock.advance(timedelta(milliseconds=500))
        await person.send(str(1 + n % 2))
        assert person.replies and not limited(person.replies), person.text


async def test_a_command_every_two_seconds_for_five_minutes_is_never_refused(
    app: App, leader: Chat, clock: FakeClock,
) -> None:
    await leader.onboard()
    commands = ["/menu", "/topics", "/quiz", "/feedback", "menu", "/classes", "/help", "/myfeedback"]
    for n in range(150):
        clock.advance(timedelta(seconds=2))
        await leader.send(commands[n % len(commands)])
        assert leader.replies and not limited(leader.replies), leader.text


async def test_ten_texts_a_second_are_limited_while_others_are_served(app: App, leader: Chat, clock: FakeClock) -> None:
    await leader.onboard()
    other = Chat(app, Identity("tg", "200"))
    await other.onboard(name="Trần Thị Bình")
    clock.advance(timedelta(minutes=5))  # both start with a full bucket
    first_limited = None
    warnings = 0
    for n in range(100):  # 10 s of a script
        replies = await app.dispatch(Event(leader.identity, "text", f"tin rác {n}"))
        if limited(replies):
            first_limited = n if first_limited is None else first_limited
            warnings += TOO_FAST in replies[0].text
        if n % 10 == 0:  # another person, once a second: always served
            await other.send("/menu")
            assert "Menu chính" in other.text and not limited(other.replies)
        clock.advance(timedelta(milliseconds=100))
    assert first_limited is not None and first_limited < 20  # within two seconds
    assert 1 <= warnings <= 3  # told how long to wait, at most once every few seconds
    answers = [await leader.send("/menu") for _ in range(5)]  # commands during the flood: never dropped
    assert all(answers) and any("chờ khoảng" in r[0].text for r in answers)
    assert all("Menu chính" in r[-1].text or "chờ khoảng" in r[0].text for r in answers)
    await leader.press_payload("cmd:menu")  # a button still works and says what was skipped
    assert "bỏ qua" in leader.replies[0].text and "Menu chính" in leader.text
    clock.advance(timedelta(seconds=3))
    await leader.send("/menu")
    assert "Menu chính" in leader.text and "bỏ qua" not in leader.text


async def test_staff_are_not_limited(app: App, staff: Chat) -> None:
    for _ in range(40):
        await staff.send("chào")
    await staff.send("/admin")
    assert "Việc của cán bộ" in staff.text
