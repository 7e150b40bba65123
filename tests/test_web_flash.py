"""A form's result shown after its redirect: for its own session only, for ten minutes, and never
more than MOST results held at once."""

from __future__ import annotations

from bot.web import flash
from bot.web.flash import Flashes


def test_a_result_is_shown_to_its_session_until_it_expires() -> None:
    kept = Flashes()
    token = kept.put("session-a", {"notice": "Đã lưu."}, now=100.0)
    assert kept.get("session-a", token, now=100.0 + flash.TTL - 1) == {"notice": "Đã lưu."}
    assert kept.get("session-b", token, now=101.0) == {}  # another session: nothing
    assert kept.get("session-a", "made-up", now=101.0) == {}
    assert kept.get("session-a", token, now=100.0 + flash.TTL) == {}  # expired


def test_old_results_make_room_for_new_ones() -> None:
    kept = Flashes()
    first = kept.put("s", {"n": 0}, now=0.0)
    for number in range(1, flash.MOST + 1):
        last = kept.put("s", {"n": number}, now=1.0)
    assert len(kept.kept) == flash.MOST
    assert kept.get("s", first, now=2.0) == {} and kept.get("s", last, now=2.0) == {"n": flash.MOST}
    kept.put("s", {"n": -1}, now=1.0 + flash.TTL)  # expired results go at the next put
    assert len(kept.kept) == 1
