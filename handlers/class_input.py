"""What staff type about a class, checked: dates and times (bot/timeparse.py, local wall time in
CAUNOI_TZ, stored in UTC), titles and places; and the audience in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot import timeparse
from bot.content.texts import Texts
from bot.context import Context
from bot.errors import TextError
from bot.roles import ROLES
from bot.textutil import clean_line, has_letters
from handlers.class_format import fmt

TITLE_LIMIT = 120
PLACE_LIMIT = 160


class InputError(TextError):
    """Typed input that cannot be used: the text key saying what to fix, and its values."""


_ERROR_KEYS = {"empty": "classes.bad_date", "bad_date": "classes.bad_date", "no_such_date": "classes.no_such_date",
               "bad_time": "classes.bad_time", "missing_time": "classes.oneline_missing_time"}


def example_day(today: date) -> str:
    """A date a week ahead, for "ví dụ …" in the texts (a fixed example would soon be in the past)."""
    return (today + timedelta(days=7)).strftime("%d/%m/%Y")


def _input_error(error: timeparse.TimeParseError, today: date) -> InputError:
    """The class text for a date or time the shared parser refused."""
    return InputError(_ERROR_KEYS.get(error.reason, "classes.bad_date"), typed=error.typed,
                      example=example_day(today))


def parse_date(text: str, today: date) -> date:
    """A typed date (bot/timeparse.py); InputError for nonsense or 31/02."""
    try:
        return timeparse.parse_date(text, today)
    except timeparse.TimeParseError as error:
        raise _input_error(error, today) from None


def parse_time(text: str) -> time:
    """A typed time: 8:00, 8h30, 8 giờ, "2 giờ chiều" (bot/timeparse.py); InputError for 25:00."""
    try:
        return timeparse.parse_time(text)
    except timeparse.TimeParseError as error:
        raise _input_error(error, datetime.now(UTC).date()) from None


def parse_when(ctx: Context, text: str) -> datetime:
    """A typed date and time ("05/12/2026 08:00", "thứ bảy 2 giờ chiều") -> an aware UTC datetime in the future."""
    return parse_moment(text, ctx.local_now(), fmt(ctx).when)


def parse_moment(text: str, local_now: datetime, when_text: Callable[[datetime], str]) -> datetime:
    """parse_when without a chat Context (the web dashboard): `when_text` writes a refused past moment."""
    try:
        moment = timeparse.parse_moment(text, local_now, need_date=True)
    except timeparse.TimeParseError as error:
        if error.reason == "past" and isinstance(error.when, datetime):
            raise InputError("classes.past", when=when_text(error.when.astimezone(UTC))) from None
        raise _input_error(error, local_now.date()) from None
    return moment.astimezone(UTC)


def future(ctx: Context, day: date, at: time) -> datetime:
    """The UTC moment of a local date and time; InputError when it is not in the future."""
    moment = datetime.combine(day, at, tzinfo=ctx.config.tz).astimezone(UTC)
    if moment <= ctx.now():
        raise InputError("classes.past", when=fmt(ctx).when(moment))
    return moment


def valid_text(text: str, limit: int) -> str:
    """A title or place: letters, 3..limit characters."""
    cleaned = clean_line(text)
    if not has_letters(cleaned) or not 3 <= len(cleaned) <= limit:
        raise InputError("classes.bad_text", limit=limit)
    return cleaned


def audience_text(ctx: Context, audience: dict[str, Any]) -> str:
    """"tất cả", "Xã Hương Khê, Xã Hà Linh", "chức danh Trưởng thôn" or "chức danh Trưởng thôn ở Xã Hương Khê"."""
    return audience_words(ctx.t, audience)


def audience_words(t: Texts, audience: dict[str, Any]) -> str:
    """audience_text without a chat Context (the web dashboard)."""
    kind = audience.get("kind")
    names = ", ".join(audience.get("communes", []))
    if kind == "communes":
        return names
    if kind == "role" and audience.get("role") in ROLES:
        role = t(f"onboarding.roles.{audience['role']}")
        if "communes" in audience:
            return t("classes.audience_role_in_text", role=role, communes=names)
        return t("classes.audience_role_text", role=role)
    return t("classes.audience_everyone_text")
