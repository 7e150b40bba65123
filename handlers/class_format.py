"""How a class is written in messages (leaders' /classes, staff's class screens, attendance and the
reminder job share it), apart from both feature modules so that neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar import CalendarEvent, ics
from bot.content import Content
from bot.content.texts import Texts
from bot.context import Context, Services
from bot.model import Attachment, Option, Reply
from bot.store.classes import ClassRow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LATE_TOLERANCE = timedelta(minutes=10)  # a reminder this late still says "1 ngày" / "2 giờ"


@dataclass(frozen=True)
class Formatter:
    """How a class is written in messages: texts, time zone and topic labels (no Context needed,
    so the reminder job and outbox messages use the same words)."""

    t: Texts
    tz: ZoneInfo
    content: Content

    @classmethod
    def of(cls, services: Services) -> Formatter:
        """The formatter of a running bot."""
        return cls(services.content.texts, services.config.tz, services.content)

    def date(self, moment: datetime) -> str:
        """05/12/2026 (local)."""
        return moment.astimezone(self.tz).strftime("%d/%m/%Y")

    def weekday(self, moment: datetime) -> str:
        """Thứ Bảy (local), from the texts: no locale needed."""
        return self.t(f"classes.weekdays.{WEEKDAYS[moment.astimezone(self.tz).weekday()]}")

    def when(self, moment: datetime) -> str:
        """Thứ Bảy, 05/12/2026, 08:00 (local wall time)."""
        local = moment.astimezone(self.tz)
        return self.t("classes.when", weekday=self.weekday(local), date=local.strftime("%d/%m/%Y"),
                      time=local.strftime("%H:%M"))

    def topic_labels(self, ids: tuple[str, ...] | list[str]) -> list[str]:
        """Labels of the topics a class covers (unknown ids are left out)."""
        labels = {str(getattr(t, "id", "")): str(getattr(t, "label", "") or getattr(t, "title", ""))
                  for t in self.content.topics}
        return [labels[i] for i in ids if labels.get(i)]

    def details(self, title: str, place: str, starts_at: datetime, topics: tuple[str, ...] | list[str]) -> str:
        """Title, Vietnamese date and time, place and topics."""
        text = self.t("classes.details", title=title, when=self.when(starts_at), place=place)
        labels = self.topic_labels(topics)
        if labels:
            text += "\n" + self.t("classes.topics_line", topics="; ".join(labels))
        return text

    def of_class(self, klass: ClassRow) -> str:
        """details() of a stored class."""
        return self.details(klass.title, klass.place, klass.starts_at, klass.topics)

    def rsvp_options(self, klass: ClassRow) -> list[Option]:
        """The durable buttons of invitations and reminders."""
        return [Option(self.t("classes.yes_button"), f"cls:y:{klass.id}"),
                Option(self.t("classes.no_button"), f"cls:n:{klass.id}"),
                Option(self.t("classes.ics_button"), f"cls:ics:{klass.id}")]

    def invitation(self, klass: ClassRow) -> Reply:
        """The invitation queued to the audience."""
        return Reply(self.t("classes.invitation", details=self.of_class(klass)), self.rsvp_options(klass))

    def change(self, klass: ClassRow) -> Reply:
        """The notice of a changed class."""
        return Reply(self.t("classes.changed", details=self.of_class(klass)), self.rsvp_options(klass))

    def cancellation(self, klass: ClassRow) -> Reply:
        """The notice of a cancelled class."""
        return Reply(self.t("classes.cancelled", details=self.of_class(klass)))

    def reminder(self, klass: ClassRow, offset: timedelta, now: datetime) -> Reply:
        """A reminder `offset` before the class, saying how long is really left when it is late
        (the bot was down): "1 ngày" only when it is about a day."""
        left = klass.starts_at - now
        if abs(left - offset) > LATE_TOLERANCE:
            minutes = max(1, round(left.total_seconds() / 60))
            offset = timedelta(hours=round(minutes / 60)) if minutes >= 120 else timedelta(minutes=minutes)
        return Reply(self.t("classes.reminder", left=self.duration(offset), details=self.of_class(klass)),
                     self.rsvp_options(klass))

    def duration(self, offset: timedelta) -> str:
        """1 ngày / 2 giờ / 30 phút."""
        minutes = int(offset.total_seconds() // 60)
        if minutes % 1440 == 0:
            return self.t("classes.left_days", n=minutes // 1440)
        if minutes % 60 == 0:
            return self.t("classes.left_hours", n=minutes // 60)
        return self.t("classes.left_minutes", n=minutes)

    def calendar_file(self, klass: ClassRow, now: datetime, offsets: tuple[timedelta, ...]) -> Attachment:
        """The class as an .ics file."""
        labels = self.topic_labels(klass.topics)
        event = CalendarEvent(
            uid=f"class-{klass.id}@caunoi", start=klass.starts_at, end=klass.ends_at, summary=klass.title,
            location=klass.place, description="; ".join(labels), sequence=klass.version,
            cancelled=klass.cancelled, alarms_minutes=tuple(int(o.total_seconds() // 60) for o in offsets),
        )
        return Attachment(self.t("classes.ics_filename", id=klass.id), ics(event, now), "document")


def fmt(ctx: Context) -> Formatter:
    """The formatter for this message."""
    return Formatter.of(ctx.services)


def menu_option(ctx: Context) -> Option:
    """Back to the main menu."""
    return ctx.option("core.menu_button", "cmd:menu")
