"""The typed button codec (bot/callback.py): packed and parsed from one declaration, length-checked,
numbers in ASCII digits only, anything malformed parsed as None (issue 19 item 1)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.callback import Actions, Payload
from bot.model import MAX_PAYLOAD_BYTES
from handlers.class_buttons import EditClass, PickDate, ViewClass


@dataclass(frozen=True)
class Page(Payload, head="tst:pg"):
    code: str
    page: int = 0


def test_pack_and_unpack_are_inverse() -> None:
    assert ViewClass(12).pack() == "cla:v:12"
    assert ViewClass.unpack("cla:v:12") == ViewClass(12)
    assert EditClass.unpack(EditClass(3, "time").pack()) == EditClass(3, "time")
    assert PickDate.unpack("cla:d:2026-12-05") == PickDate("2026-12-05")


def test_optional_fields_may_be_left_off_the_end() -> None:
    assert Page.unpack("tst:pg:a.a") == Page("a.a", 0)
    assert Page.unpack("tst:pg:a.a:3") == Page("a.a", 3)
    assert Page.unpack("tst:pg") is None


@pytest.mark.parametrize("payload", [
    "cla:v", "cla:v:", "cla:v:1:2", "cla:v:²", "cla:v:١", "cla:v:𝟙", "cla:v:-1", "cla:v: 1", "cla:v:1e3",
    "cla:v:" + "9" * 13, "cla:vv:1", "cla", "", "cla:v:1\n", "cla:v:" + "1" * 70,
])
def test_malformed_payloads_unpack_to_none(payload: str) -> None:
    assert ViewClass.unpack(payload) is None


def test_pack_refuses_what_could_not_be_read_back() -> None:
    with pytest.raises(ValueError):
        EditClass(1, "a:b").pack()
    with pytest.raises(ValueError):
        ViewClass(-1).pack()
    with pytest.raises(ValueError):
        Page("x" * MAX_PAYLOAD_BYTES).pack()


def test_a_declaration_with_another_field_type_fails_at_once() -> None:
    @dataclass(frozen=True)
    class Bad(Payload, head="tst:bad"):
        ratio: float

    with pytest.raises(TypeError):
        Actions().on(Bad, _never)


def test_one_head_twice_in_a_table_is_refused() -> None:
    actions = Actions()
    actions.on(ViewClass, _never)
    with pytest.raises(ValueError):
        actions.on(ViewClass, _never)


async def _never(button: Payload, ctx: object) -> list:
    raise AssertionError("not called")
