"""Per-person flood limit: the limiter on a fake clock, and through the real dispatcher."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import ConfigError, load_config
from bot.model import Event, Identity
from bot.ratelimit import RateLimiter
from tests.chat import Chat


def test_limiter_counts_only_processed_events_and_warns_once() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, limit=3, window=60)
    me, other = Identity("tg", "1"), Identity("tg", "2")
    assert [limiter.check(me).allowed for _ in range(3)] == [True, True, True]
    first, second = limiter.check(me), limiter.check(me)
    assert not first.allowed and first.warn and first.wait_seconds == 60
    assert not second.allowed and not second.warn  # told once per flood
    assert limiter.check(other).allowed  # per person
    clock.advance(timedelta(seconds=30))
    assert not limiter.check(me).allowed
    clock.advance(timedelta(seconds=30))
    back = limiter.check(me)
    assert back.allowed and back.skipped == 3  # the person is told how many were skipped
    assert limiter.check(me).skipped == 0


def test_limits_come_from_the_configuration(tmp_path: Path) -> None:
    clock = FakeClock()
    config = load_config(env={"CAUNOI_FLOOD_LIMIT": "5", "CAUNOI_FLOOD_WINDOW": "10"}, dotenv=tmp_path / "x")
    limiter = RateLimiter.from_config(clock, config)
    assert (limiter.limit, limiter.window) == (5, 10.0)
    with pytest.raises(ConfigError, match="CAUNOI_FLOOD_LIMIT"):
        load_config(env={"CAUNOI_FLOOD_LIMIT": "nhiều"}, dotenv=tmp_path / "x")


def test_idle_people_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, limit=2, window=1)
    for n in range(1500):
        limiter.check(Identity("tg", str(n)))
        clock.advance(timedelta(milliseconds=10))
    assert len(limiter) < 1500


async def test_a_leader_flooding_50_messages_a_minute(app: App, leader: Chat, clock: FakeClock) -> None:
    await leader.onboard()
    clock.advance(timedelta(minutes=2))  # onboarding is another minute
    replies = [await app.dispatch(Event(leader.identity, "text", f"tin {n}")) for n in range(50)]
    answered = [r for r in replies if r and "gửi nhanh quá" not in r[0].text]
    warned = [r for r in replies if r and "gửi nhanh quá" in r[0].text]
    silent = [r for r in replies if not r]
    assert len(answered) == 30 and len(warned) == 1 and len(silent) == 19
    assert "chờ khoảng 60 giây" in warned[0][0].text
    clock.advance(timedelta(seconds=61))
    await leader.send("/menu")
    assert "bỏ qua 20 tin" in leader.replies[0].text and "Menu chính" in leader.text
    await leader.send("/menu")
    assert "bỏ qua" not in leader.text


async def test_staff_are_not_limited(app: App, staff: Chat) -> None:
    for _ in range(40):
        await staff.send("/admin")
    assert "Việc của cán bộ" in staff.text
