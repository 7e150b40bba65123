"""Numbers inside button payloads and typed choices: ASCII digits only (issue 20 item 12).

`str.isdigit()` is also true for "²", "١" or "𝟙", which `int()` then rejects or reads as
another number; a forged payload must get the polite "menu has changed", never a traceback.
"""

from __future__ import annotations

MAX_DIGITS = 12  # ids and indexes stay far below; also keeps SQLite's 64-bit integers safe


def is_number(text: str) -> bool:
    """Whether `text` is 1 to MAX_DIGITS ASCII digits and nothing else."""
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def number(text: str) -> int | None:
    """The non-negative integer `text` spells in ASCII digits, or None."""
    return int(text) if is_number(text) else None


def number_or(text: str, default: int) -> int:
    """The integer `text` spells in ASCII digits, or `default`."""
    value = number(text)
    return default if value is None else value
