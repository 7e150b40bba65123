"""Dates and times as Vietnamese users type them, with or without diacritics — the one parser
used by scheduled broadcasts, /newclass, class edits and export ranges.

Dates: "2026-12-05", "05/12/2026", "5/12", "05/12/26", "5-12", "hôm nay", "mai", "ngày kia",
"thứ bảy" / "thứ 7" / "chủ nhật" (the next such day). Times: "08:00", "8h", "8h30", "8 giờ",
"8 giờ 30 phút", "14.30", with "sáng", "trưa", "chiều", "tối", "đêm" ("2 giờ chiều" = 14:00).
A moment is a date and a time in any order ("lúc 7 giờ tối mai", "2 giờ chiều 05/12").
Everything is local wall time (CAUNOI_TZ); callers convert to UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.textutil import clean_line, fold

# A date typed without a year is this year's, unless that is long past ("05/01" typed in December).
YEAR_ROLLOVER_DAYS = 60

_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<![\d:])(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}|\d{2}))?(?![\d:])")
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})\s*(?::|gio|h|g)(?![a-z])\s*(?:(\d{1,2})(?!\d)\s*(?:phut|p)?(?![a-z]))?")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{2})$")  # "14.30": a time only when typed alone
_PERIODS = {"sang": "morning", "trua": "noon", "chieu": "afternoon", "toi": "evening", "dem": "night"}
_WEEKDAYS = {
    "thu hai": 0, "thu 2": 0, "thu ba": 1, "thu 3": 1, "thu tu": 2, "thu 4": 2, "thu nam": 3,
    "thu 5": 3, "thu sau": 4, "thu 6": 4, "thu bay": 5, "thu 7": 5, "chu nhat": 6, "cn": 6,
}
_RELATIVE = {"hom nay": 0, "ngay mai": 1, "mai": 1, "ngay kia": 2, "ngay mot": 2, "mot": 2}
_FILLERS = {"luc", "ngay", "vao", "nay", "tu", "den", "khoang"}


class TimeParseError(ValueError):
    """Typed text that is not a usable date or time; `reason` says which way:
    empty, bad_date, no_such_date, bad_time, missing_time, past."""

    def __init__(self, reason: str, typed: str = "", when: datetime | date | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.typed = typed[:40]
        self.when = when


def parse_date(text: str, today: date) -> date:
    """A typed date (see the module docstring); past dates are allowed here."""
    typed = clean_line(text)
    if not typed:
        raise TimeParseError("empty", typed)
    found, rest = _take_date(fold(typed), today, typed)
    if found is None or _leftover(rest):
        raise TimeParseError("bad_date", typed)
    return found


def parse_time(text: str) -> time:
    """A typed time of day (see the module docstring)."""
    typed = clean_line(text)
    if not typed:
        raise TimeParseError("empty", typed)
    folded = fold(typed)
    if dotted := _DOTTED.match(folded):
        return _make_time(int(dotted.group(1)), int(dotted.group(2)), None, typed)
    found, rest = _take_time(folded, typed)
    if found is None or _leftover(rest):
        raise TimeParseError("bad_time", typed)
    return found


def parse_moment(text: str, now: datetime, *, need_date: bool = False) -> datetime:
    """A date and a time typed together, as an aware datetime in `now`'s time zone, strictly after
    `now`. Without a date: today, or tomorrow when that time has passed (unless `need_date`)."""
    typed = clean_line(text)
    if not typed:
        raise TimeParseError("empty", typed)
    folded = fold(typed)
    day, rest = _take_date(folded, now.date(), typed)
    at, rest = _take_time(rest, typed)
    if _leftover(rest):
        raise TimeParseError("bad_time" if day is not None else "bad_date", typed)
    if at is None:
        raise TimeParseError("missing_time", typed)
    if day is None:
        if need_date:
            raise TimeParseError("bad_date", typed)
        moment = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
        return moment if moment > now else moment + timedelta(days=1)
    return require_future(datetime.combine(day, at, tzinfo=now.tzinfo), now)


def require_future(moment: datetime, now: datetime) -> datetime:
    """`moment` if it is after `now`, else TimeParseError("past")."""
    if moment <= now:
        raise TimeParseError("past", when=moment)
    return moment


# --- pieces ---------------------------------------------------------------------------------

def _take_date(folded: str, today: date, typed: str) -> tuple[date | None, str]:
    """The date in `folded` (if any) and the text without it."""
    if match := _ISO.search(folded):
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, typed), _cut(folded, match)
    if match := _DMY.search(folded):
        day, month = int(match.group(1)), int(match.group(2))
        if match.group(3):
            year = int(match.group(3))
            return _make_date(year + 2000 if year < 100 else year, month, day, typed), _cut(folded, match)
        found = _make_date(today.year, month, day, typed)
        if found < today - timedelta(days=YEAR_ROLLOVER_DAYS):
            found = _make_date(today.year + 1, month, day, typed)
        return found, _cut(folded, match)
    for words, weekday in _WEEKDAYS.items():
        if match := re.search(rf"\b{words}\b", folded):
            ahead = (weekday - today.weekday()) % 7 or 7  # "thứ bảy" typed on a Saturday: next week's
            return today + timedelta(days=ahead), _cut(folded, match)
    for words, days in _RELATIVE.items():
        if match := re.search(rf"\b{words}\b", folded):
            return today + timedelta(days=days), _cut(folded, match)
    return None, folded


def _take_time(folded: str, typed: str) -> tuple[time | None, str]:
    """The time in `folded` (if any, with its period of day) and the text without them."""
    period = None
    for word, name in _PERIODS.items():
        if match := re.search(rf"\b{word}\b", folded):
            period, folded = name, _cut(folded, match)
            break
    match = _CLOCK.search(folded)
    if match is None:
        if period is not None:
            raise TimeParseError("missing_time", typed)
        return None, folded
    return _make_time(int(match.group(1)), int(match.group(2) or 0), period, typed), _cut(folded, match)


def _make_date(year: int, month: int, day: int, typed: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise TimeParseError("no_such_date", typed) from None


def _make_time(hour: int, minute: int, period: str | None, typed: str) -> time:
    if hour > 23 or minute > 59:
        raise TimeParseError("bad_time", typed)
    if period in ("afternoon", "evening") and 1 <= hour < 12:
        hour += 12
    elif period == "noon" and 1 <= hour <= 5:  # "1 giờ trưa" is 13:00
        hour += 12
    elif period == "night" and 6 <= hour < 12:
        hour += 12
    elif period == "night" and hour == 12:
        hour = 0
    elif period == "morning" and hour > 12:
        raise TimeParseError("bad_time", typed)
    return time(hour, minute)


def _cut(text: str, match: re.Match[str]) -> str:
    return f"{text[:match.start()]} {text[match.end():]}"


def _leftover(rest: str) -> bool:
    """Whether anything but filler words and punctuation is left once date and time are taken."""
    words = re.sub(r"[,;.\-–/|()]", " ", rest).split()
    return any(word not in _FILLERS for word in words)
