"""Vietnamese text helpers and phone numbers."""

from __future__ import annotations

import pytest

from bot.model import Option
from bot.phone import normalize_phone
from bot.router import match_option
from bot.textutil import clean_line, fold, has_letters, nfc, split_text


def test_fold_removes_diacritics_and_d_bar() -> None:
    assert fold("Hương  Khê") == "huong khe"
    assert fold("Đảng Cộng sản") == "dang cong san"
    decomposed = "Hu\u031bo\u031bng"  # "Hương" typed as combining marks
    assert fold(decomposed) == "huong" and nfc(decomposed) == "Hương"


def test_clean_line_drops_control_characters() -> None:
    assert clean_line(" An\x00\x07  Bình\u200b ") == "An Bình"
    assert not has_letters("😀 🙏 !!!") and has_letters("Ân")


def test_split_text_keeps_paragraphs_and_limit() -> None:
    paragraphs = [f"Đoạn {i}: " + "chữ " * 150 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in parts) and len(parts) > 1
    assert all(p.startswith("Đoạn") for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert split_text("x" * 10_000, 2000) == ["x" * 2000] * 5


@pytest.mark.parametrize("raw", ["0912345678", "+84912345678", "84912345678", "091 234 5678", "912345678"])
def test_phone_forms_are_one_number(raw: str) -> None:
    assert normalize_phone(raw) == "0912345678"


@pytest.mark.parametrize("raw", ["12345", "abc", "0012345678", "+1 555 0100 222 33", ""])
def test_bad_phones_are_refused(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_typed_number_or_words_choose_an_option() -> None:
    options = [Option("📖 Chuyên đề 1", "t:1"), Option("Chuyên đề 2", "t:2"), Option("🏠 Về menu", "cmd:menu")]
    assert match_option("2", options) == options[1]
    assert match_option("chuyen de 1", options) == options[0]
    assert match_option("ve menu", options) == options[2]
    assert match_option("4", options) is None and match_option("chuyen", options) is None
