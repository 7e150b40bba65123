"""Vietnamese text helpers: NFC normalisation, diacritic folding, cleaning typed input, splitting."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def nfc(text: str) -> str:
    """Unicode NFC, the form Vietnamese text is stored and compared in."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case, no diacritics, đ -> d, single spaces: "Hương  Khê" -> "huong khe"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def clean_line(text: str) -> str:
    """One line of typed input: NFC, control characters removed, spaces collapsed."""
    text = nfc(text)
    text = "".join(" " if unicodedata.category(ch) in _CONTROL else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


def clean_block(text: str) -> str:
    """Multi-line typed input: NFC, control characters except newlines removed, lines trimmed."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch if ch == "\n" or unicodedata.category(ch) not in _CONTROL else " " for ch in text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def has_letters(text: str) -> bool:
    """Whether the text has at least one letter (emoji-only or punctuation-only text has none)."""
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries so each part is at most `limit` characters."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > limit // 3:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
