"""Check-in codes cannot be brute-forced by starting /checkin again (issue 20 item 7)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.store import classes
from tests.chat import Chat
from tests.test_classes import make_class, onboarded
from tests.test_classes_attendance import START, open_checkin


def wrong_codes(code: str) -> list[str]:
    return [f"{(int(code) - 1000 + n) % 9000 + 1000:04d}" for n in range(1, 60)]


async def test_a_new_checkin_does_not_reset_the_tries(app: App, staff: Chat, clock: FakeClock) -> None:
    guesser = await onboarded(app, 1)
    class_id = await make_class(staff)
    clock.current = START - timedelta(minutes=20)
    code = await open_checkin(staff)
    guesses = iter(wrong_codes(code))
    for _ in range(4):
        await guesser.send("/checkin")
        await guesser.send(next(guesses))
        assert "Mã chưa đúng" in guesser.text
    await guesser.send("/checkin")
    await guesser.send(next(guesses))  # the fifth wrong code over two /checkin: locked
    assert "sai mã nhiều lần" in guesser.text
    for _ in range(10):  # however often /checkin starts again, the right code no longer counts
        clock.current += timedelta(seconds=5)  # at a person's pace, under the flood limit
        await guesser.send("/checkin")
        assert "sai mã nhiều lần" in guesser.text
        await guesser.send(code)
        assert "Đã điểm danh" not in guesser.text
    invitee = (await classes.invitees(app.db, class_id))[0]
    assert not invitee.attended


async def test_tries_are_per_class_and_person(app: App, staff: Chat, clock: FakeClock) -> None:
    locked, other = await onboarded(app, 1), await onboarded(app, 2)
    await make_class(staff)
    clock.current = START - timedelta(minutes=20)
    code = await open_checkin(staff)
    await locked.send("/checkin")
    for guess in wrong_codes(code)[:5]:
        await locked.send(guess)
    assert "sai mã nhiều lần" in locked.text
    await other.send("/checkin")
    await other.send(code)
    assert "Đã điểm danh" in other.text
