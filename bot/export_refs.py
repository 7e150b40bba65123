"""The export's "Tham chiếu" column in words: `class:3` -> "Lớp học #3", `fb:12:1` -> "Góp ý #12, trả lời lần 1".

A delivery's `ref` is the outbox's idempotency key (see bot/store/deliveries.py): its shape tells what
the message was about. Templates live in content/texts/export.yaml (`export.refs.*`); a shape not
known here is shown as stored, so a new kind of message never breaks an export. Identities inside
a ref (link notices) are not shown: the sheet already names the person.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

_CHANNELS = "tg|zalo|console"
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("broadcast", re.compile(r"^(?P<id>\d+)$")),
    ("class", re.compile(r"^class:(?P<id>\d+)$")),
    ("class_version", re.compile(r"^class:(?P<id>\d+):v(?P<version>\d+)$")),
    ("reminder", re.compile(r"^reminder:(?P<id>\d+):(?P<seconds>\d+):\d+$")),
    ("answer", re.compile(r"^fb:(?P<id>\d+):(?P<number>\d+)$")),
    ("digest", re.compile(r"^voices:(?P<when>\d{4}-\d\d-\d\dT[\d:.]+Z?)$")),
    ("alert", re.compile(rf"^(?P<channel>{_CHANNELS}):(?P<when>\d{{4}}-\d\d-\d\dT\d\d)$")),
    ("link", re.compile(rf"^(?:{_CHANNELS}):[^:]+:(?P<when>\d{{4}}-\d\d-\d\dT[\d:.]+Z?)$")),
)
_UNITS = ((86_400, "days"), (3_600, "hours"), (60, "minutes"))


def describe_ref(value: Any, t: Any, local_time: Callable[[Any], datetime | None]) -> str | None:
    """The Vietnamese words for one stored ref; the ref itself when its shape is unknown."""
    if value is None or value == "":
        return None
    text = str(value)
    for shape, pattern in _SHAPES:
        match = pattern.match(text)
        if match is None:
            continue
        fields = match.groupdict()
        if "when" in fields:
            stamp = fields.pop("when")
            moment = local_time(stamp + ":00:00Z" if len(stamp) == 13 else stamp)
            if moment is None:
                return text
            fields["when"] = moment.strftime("%H:%M %d/%m/%Y")
        if "seconds" in fields:
            fields["before"] = _duration(int(fields.pop("seconds")), t)
        if "channel" in fields:
            fields["channel"] = t(f"link.channels.{fields['channel']}")
        return t(f"export.refs.{shape}", **fields)
    return text


def _duration(seconds: int, t: Any) -> str:
    """3600 -> "1 giờ", 86400 -> "1 ngày", 5400 -> "90 phút" (the largest whole unit)."""
    for size, unit in _UNITS:
        if seconds >= size and seconds % size == 0:
            return t(f"export.refs.{unit}", count=seconds // size)
    return t("export.refs.minutes", count=round(seconds / 60))
