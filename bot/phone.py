"""Vietnamese phone numbers: 0912…, +84912…, 84912… and "091 234 5678" are the same number."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"[\s.\-()]")


def normalize_phone(raw: str) -> str | None:
    """The number as 0xxxxxxxxx (10 digits; 11 for old landlines), or None if it is not one."""
    text = _NOT_DIGIT.sub("", raw.strip())
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit():
        return None
    if text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    elif not text.startswith("0") and len(text) == 9:
        text = "0" + text  # spreadsheets drop the leading zero
    if text.startswith("0") and len(text) in (10, 11) and text[1] != "0":
        return text
    return None
