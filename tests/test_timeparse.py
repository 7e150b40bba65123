"""bot/timeparse.py: dates and times as Vietnamese users type them, one table per kind of input."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.timeparse import TimeParseError, parse_date, parse_moment, parse_time
from tests.chat import Chat

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=TZ)  # a Tuesday, 08:00
TODAY = NOW.date()


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-12-05 08:00", at(12, 5, 8)),
    ("05/12 08:00", at(12, 5, 8)),
    ("5/12/2026 8:00", at(12, 5, 8)),
    ("05/12/26 8h", at(12, 5, 8)),
    ("08:00 05-12", at(12, 5, 8)),
    ("8h30 05/12", at(12, 5, 8, 30)),
    ("8 giờ 05/12", at(12, 5, 8)),
    ("8 gio 30 phut ngay 05/12", at(12, 5, 8, 30)),
    ("2 giờ chiều 05/12", at(12, 5, 14)),
    ("2 gio chieu 05/12", at(12, 5, 14)),
    ("lúc 7 giờ tối", at(12, 1, 19)),
    ("luc 7 gio toi", at(12, 1, 19)),
    ("7 giờ tối nay", at(12, 1, 19)),
    ("9 giờ sáng mai", at(12, 2, 9)),
    ("1 giờ trưa mai", at(12, 2, 13)),
    ("mai 8h", at(12, 2, 8)),
    ("ngày mai lúc 8:00", at(12, 2, 8)),
    ("thứ bảy 8 giờ", at(12, 5, 8)),
    ("Thứ Bảy, 2 giờ chiều", at(12, 5, 14)),
    ("thu 7 8g30", at(12, 5, 8, 30)),
    ("chủ nhật 7h", at(12, 6, 7)),
    ("thứ ba 8h", at(12, 8, 8)),  # typed on a Tuesday: next week's
    ("19:00", at(12, 1, 19)),
    ("07:00", at(12, 2, 7)),  # passed today: tomorrow
    ("ngày 05/01 lúc 8h", at(1, 5, 8, year=2027)),  # a date long past this year is next year's
])
def test_moments(typed: str, expected: datetime) -> None:
    assert parse_moment(typed, NOW) == expected


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "empty"),
    ("   ", "empty"),
    ("31/02 8h", "no_such_date"),
    ("31/02/2027 08:00", "no_such_date"),
    ("25:00", "bad_time"),
    ("05/12 25:00", "bad_time"),
    ("8:75", "bad_time"),
    ("05/12", "missing_time"),
    ("mai", "missing_time"),
    ("chiều mai", "missing_time"),
    ("01/11/2026 8h", "past"),
    ("2026-11-30 08:00", "past"),
    ("30/11 8h", "past"),  # yesterday: refused, not moved to next year
    ("01/12 7h", "past"),
    ("bao giờ cũng được", "bad_date"),
    ("05/12 lúc tám giờ", "bad_time"),
    ("hôm qua 8h xyz", "bad_date"),
])
def test_refused_moments(typed: str, reason: str) -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_moment(typed, NOW)
    assert caught.value.reason == reason


def test_past_carries_the_moment() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_moment("01/11/2026 8h", NOW)
    assert caught.value.when == at(11, 1, 8)


def test_need_date() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_moment("19:00", NOW, need_date=True)
    assert caught.value.reason == "bad_date"
    assert parse_moment("05/12/2026 19:00", NOW, need_date=True) == at(12, 5, 19)


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-12-05", date(2026, 12, 5)),
    ("05/12/2026", date(2026, 12, 5)),
    ("5/12", date(2026, 12, 5)),
    ("05/12/26", date(2026, 12, 5)),
    ("5.12.2026", date(2026, 12, 5)),
    ("ngày 05/12", date(2026, 12, 5)),
    ("01/11/2026", date(2026, 11, 1)),  # a past date is a date (export ranges)
    ("mai", date(2026, 12, 2)),
    ("hôm nay", date(2026, 12, 1)),
    ("hom nay", date(2026, 12, 1)),
    ("thứ bảy", date(2026, 12, 5)),
    ("thu bay", date(2026, 12, 5)),
    ("chu nhat", date(2026, 12, 6)),
    ("05/01", date(2027, 1, 5)),
])
def test_dates(typed: str, expected: date) -> None:
    assert parse_date(typed, TODAY) == expected


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "empty"), ("31/02", "no_such_date"), ("31/02/2026", "no_such_date"), ("hôm kia nữa", "bad_date"),
    ("2026-13-01", "no_such_date"), ("abc", "bad_date"),
])
def test_refused_dates(typed: str, reason: str) -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_date(typed, TODAY)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("typed", "expected"), [
    ("08:00", time(8)), ("8:00", time(8)), ("8h", time(8)), ("8h30", time(8, 30)), ("8 giờ", time(8)),
    ("8 gio 30", time(8, 30)), ("8 giờ 30 phút", time(8, 30)), ("14.30", time(14, 30)), ("14h", time(14)),
    ("2 giờ chiều", time(14)), ("2 gio chieu", time(14)), ("7 giờ tối", time(19)), ("7 gio toi", time(19)),
    ("9 giờ sáng", time(9)), ("lúc 7h30 sáng", time(7, 30)), ("12 giờ trưa", time(12)), ("0:00", time(0)),
    ("23:59", time(23, 59)), ("10 giờ đêm", time(22)),
])
def test_times(typed: str, expected: time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "empty"), ("25:00", "bad_time"), ("24h", "bad_time"), ("8:60", "bad_time"), ("sáng", "missing_time"),
    ("14 giờ sáng", "bad_time"), ("tám giờ", "bad_time"), ("8", "bad_time"),
])
def test_refused_times(typed: str, reason: str) -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_time(typed)
    assert caught.value.reason == reason


# --- the same parser behind /newclass and export ranges -----------------------------------------

async def test_newclass_reads_vietnamese_times(staff: Chat) -> None:
    for line, shown in (("/newclass thứ bảy 2 giờ chiều | Lớp bồi dưỡng | Hội trường | Tất cả", "05/12/2026, 14:00"),
                        ("/newclass 05/12/26 7 gio toi | Lớp bồi dưỡng | Hội trường | Tất cả", "05/12/2026, 19:00"),
                        ("/newclass mai 8h30 | Lớp bồi dưỡng | Hội trường | Tất cả", "02/12/2026, 08:30")):
        await staff.send(line)
        assert shown in staff.text, (line, staff.text)
    await staff.send("/newclass 31/02 8h | Lớp bồi dưỡng | Hội trường | Tất cả")
    assert "không có trên lịch" in staff.text


def test_export_ranges_use_the_same_dates(app: App) -> None:
    from bot import export

    query = export.make_query(app.content, TZ, None, "01/11/26", "2026-11-30")
    assert (query.date_from, query.date_to) == (date(2026, 11, 1), date(2026, 11, 30))
    for bad in ("31/02/2026", "hôm kia nữa"):
        with pytest.raises(export.ExportError):
            export.make_query(app.content, TZ, None, bad, None)
