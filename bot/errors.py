"""One error type for input a person must be told about in Vietnamese."""

from __future__ import annotations

from typing import Any


class TextError(Exception):
    """Something the person asked for cannot be done as given: `key` names a content text that
    says why, `values` fill its placeholders. Each feature raises its own subclass."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
