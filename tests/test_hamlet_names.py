"""Hamlet names: a village's "Thôn 3" and a former town's "Tổ dân phố 3" in one merged commune are two
hamlets; typed spellings are tidied before they are kept; a bare number finds the one hamlet so numbered."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.content.units import Commune, Units, hamlet_key, tidy_hamlet
from bot.store import hamlets


@pytest.mark.parametrize(("typed", "key"), [
    ("Tổ dân phố 03", "tdp 3"), ("tdp 3", "tdp 3"), ("TDP-3", "tdp 3"), ("tổ dân phố số 3", "tdp 3"),
    ("Thôn 3", "thon 3"), ("thon 03", "thon 3"), ("3", "3"),
    ("Thôn Trung Thủy", "trung thuy"), ("thon trung thuy", "trung thuy"), ("Trung Thuỷ", "trung thuy"),
])
def test_hamlet_key(typed: str, key: str) -> None:
    assert hamlet_key(typed) == key


def test_a_village_and_a_town_group_of_the_same_number_stay_apart() -> None:
    assert hamlet_key("Thôn 3") != hamlet_key("Tổ dân phố 3")


@pytest.mark.parametrize(("typed", "kept"), [
    ("thon 2", "Thôn 2"), ("tdp 03", "Tổ dân phố 3"), ("to dan pho so 5", "Tổ dân phố 5"),
    ("thon trung thuy", "Thôn Trung Thuy"), ("Thôn Trung Thủy", "Thôn Trung Thủy"), ("Làng  Mới", "Làng Mới"),
])
def test_typed_names_are_tidied(typed: str, kept: str) -> None:
    assert tidy_hamlet(typed) == kept


async def test_settle_keeps_the_tidy_name_and_a_bare_number_finds_its_one_hamlet(app: App) -> None:
    units = Units(province="Hà Tĩnh", communes=(Commune("Xã A", ("Thôn 1", "Thôn 3", "Tổ dân phố 7")),))
    now = "2026-12-06T01:00:00.000000Z"
    assert await hamlets.settle(app.db, units, "Xã A", "thon 9", now) == "Thôn 9"  # new: proposed, tidied
    assert (await hamlets.match(app.db, units, "Xã A", "THÔN 09")).name == "Thôn 9"  # type: ignore[union-attr]
    assert await hamlets.settle(app.db, units, "Xã A", "7", now) == "Tổ dân phố 7"
    assert await hamlets.settle(app.db, units, "Xã A", "tdp 3", now) == "Tổ dân phố 3"  # not Thôn 3
    assert await hamlets.match(app.db, units, "Xã A", "3") is None  # Thôn 3 or Tổ dân phố 3: ask, don't guess


async def test_a_new_hamlet_typed_at_registration_is_kept_tidied(app: App) -> None:
    from bot.model import Identity
    from bot.store import people
    from tests.chat import Chat

    leader = Chat(app, Identity("tg", "501"))
    await leader.onboard(commune="Hương Khê", hamlet="tdp 03")
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None and person.hamlet == "Tổ dân phố 3"
