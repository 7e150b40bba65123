"""Calendar files (.ics, RFC 5545) for one class, with times in UTC so every phone agrees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class CalendarEvent:
    """What goes into one VEVENT."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str = ""
    sequence: int = 0
    cancelled: bool = False
    alarms_minutes: tuple[int, ...] = ()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1) without cutting a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75  # continuation lines start with a space
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def ics(event: CalendarEvent, now: datetime, product: str = "-//Cau Noi//Lop hoc//VI") -> bytes:
    """The .ics file (UTF-8, CRLF line ends) for one event."""
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{product}", "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if event.cancelled else "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(event.start)}",
        f"DTEND:{_utc(event.end)}",
        f"SEQUENCE:{event.sequence}",
        f"SUMMARY:{escape(event.summary)}",
        f"LOCATION:{escape(event.location)}",
        "STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape(event.description)}")
    for minutes in event.alarms_minutes:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{escape(event.summary)}",
                  f"TRIGGER:-PT{minutes}M", "END:VALARM"]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(fold_line(line) for line in lines) + "\r\n").encode("utf-8")
