"""Typed button data (issue 19 item 1), in the spirit of aiogram's CallbackData.

A button kind is declared once, as a frozen dataclass naming its head and typed fields:

    @dataclass(frozen=True)
    class ViewClass(Payload, head="cla:v"):
        class_id: int

`ViewClass(5).pack()` is "cla:v:5"; `ViewClass.unpack("cla:v:5")` is `ViewClass(5)`, and anything
malformed (a missing or extra part, "²" or "١" for a number, over 64 bytes) unpacks to None, never
an exception. Numbers are ASCII digits only (bot.payload). Fields with defaults may be left off
the end. A module maps its kinds to functions in one `Actions` table, each with the conversation
steps in which it is valid, and its `on_choice` is `actions.run(...)`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, TypeVar

from bot.context import Context
from bot.model import MAX_PAYLOAD_BYTES, Event, Reply
from bot.payload import number

SEPARATOR = ":"
FIELD_TYPES = (int, str)


class Payload:
    """Base of every button kind; subclasses are frozen dataclasses with int or str fields."""

    head: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, type, bool], ...] | None]  # name, type, has a default

    def __init_subclass__(cls, *, head: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not head or len(head.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"bad payload head {head!r}")
        cls.head = head
        cls._fields = None  # read on first use: the dataclass decorator runs after this

    @classmethod
    def fields(cls) -> tuple[tuple[str, type, bool], ...]:
        """(name, type, optional) of each field, in order."""
        if cls._fields is None:
            hints = typing.get_type_hints(cls)
            found = []
            for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # subclasses are dataclasses
                kind = hints[f.name]
                if kind not in FIELD_TYPES:
                    raise TypeError(f"{cls.__name__}.{f.name}: payload fields are int or str")
                optional = f.default is not dataclasses.MISSING
                found.append((f.name, kind, optional))
            cls._fields = tuple(found)
        return cls._fields

    def pack(self) -> str:
        """The payload string; ValueError for a value that could not be read back or is too long."""
        parts = [self.head]
        for name, kind, _ in self.fields():
            value = getattr(self, name)
            if kind is int and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{type(self).__name__}.{name} must be a non-negative int: {value!r}")
            text = str(value)
            if SEPARATOR in text:
                raise ValueError(f"{type(self).__name__}.{name} holds {SEPARATOR!r}: {value!r}")
            parts.append(text)
        payload = SEPARATOR.join(parts)
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload over {MAX_PAYLOAD_BYTES} bytes: {payload!r}")
        return payload

    @classmethod
    def unpack(cls: type[P], payload: str) -> P | None:
        """The button this payload encodes, or None when it is not a well-formed one of this kind."""
        if len(payload.encode(errors="replace")) > MAX_PAYLOAD_BYTES:
            return None
        if payload == cls.head:
            values: list[str] = []
        elif payload.startswith(cls.head + SEPARATOR):
            values = payload[len(cls.head) + 1:].split(SEPARATOR)
        else:
            return None
        fields = cls.fields()
        required = sum(1 for _, _, optional in fields if not optional)
        if not required <= len(values) <= len(fields):
            return None
        parsed: dict[str, Any] = {}
        for (name, kind, _), text in zip(fields, values, strict=False):  # optional fields may be left off
            value = number(text) if kind is int else text
            if value is None:
                return None
            parsed[name] = value
        return cls(**parsed)


P = TypeVar("P", bound=Payload)
Action = Callable[[Any, Context], Awaitable[list[Reply]]]


@dataclasses.dataclass(frozen=True)
class _Entry:
    kind: type[Payload]
    action: Action
    steps: frozenset[str] | None


class Actions:
    """One module's table: button kind -> the function that answers it (in the steps given)."""

    def __init__(self) -> None:
        self._by_head: dict[str, _Entry] = {}

    def on(self, kind: type[P], action: Callable[[P, Context], Awaitable[list[Reply]]], *,
           steps: Iterable[str] | None = None) -> None:
        """`action(button, ctx)` answers a `kind` button, only while the pending step is one of `steps`
        (any step, or none, when `steps` is None)."""
        if kind.head in self._by_head:
            raise ValueError(f"payload head {kind.head!r} twice in one table")
        kind.fields()  # a bad declaration fails at import, not at the first press
        self._by_head[kind.head] = _Entry(kind, action, None if steps is None else frozenset(steps))

    def heads(self) -> list[str]:
        """Every head in this table (for tests and docs)."""
        return list(self._by_head)

    async def run(self, event: Event, ctx: Context) -> list[Reply] | None:
        """The replies of the matching action, or None for a payload no entry takes (stale or forged)."""
        payload = event.value
        parts = payload.split(SEPARATOR)
        for end in range(len(parts), 0, -1):  # longest head first: "cla:tpd" before "cla:tp"
            entry = self._by_head.get(SEPARATOR.join(parts[:end]))
            if entry is None:
                continue
            button = entry.kind.unpack(payload)
            if button is None or (entry.steps is not None and (ctx.step or "") not in entry.steps):
                return None
            return await entry.action(button, ctx)
        return None
