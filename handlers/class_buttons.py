"""The buttons and steps of classes for staff: one declaration per button kind (bot.callback), and
the steps of the /newclass, edit and cancel flows in one table."""

from __future__ import annotations

from dataclasses import dataclass

from bot.callback import Payload


class Step:
    """The /newclass flow in order (date, time, title, place, topics, audience or communes or role,
    confirm), then editing and cancelling an existing class."""

    DATE = "cla.date"
    TIME = "cla.time"
    TITLE = "cla.title"
    PLACE = "cla.place"
    TOPICS = "cla.topics"
    AUDIENCE = "cla.audience"
    COMMUNES = "cla.communes"
    ROLE = "cla.role"
    CONFIRM = "cla.confirm"
    EDIT = "cla.edit"
    EDIT_CONFIRM = "cla.editconfirm"
    CANCEL = "cla.cancel"


@dataclass(frozen=True)
class Discard(Payload, head="cla:no"):
    """Cancel the class being made or edited."""


@dataclass(frozen=True)
class ListClasses(Payload, head="cla:list"):
    """The overview of classes."""


@dataclass(frozen=True)
class ViewClass(Payload, head="cla:v"):
    """One class for staff."""

    class_id: int


@dataclass(frozen=True)
class EditClass(Payload, head="cla:e"):
    """Change one field ("time", "place", "title") of a class."""

    class_id: int
    field: str


@dataclass(frozen=True)
class CancelClass(Payload, head="cla:x"):
    """Ask to cancel a class."""

    class_id: int


@dataclass(frozen=True)
class SaveEdit(Payload, head="cla:eok"):
    """Save the edit previewed."""


@dataclass(frozen=True)
class ConfirmCancel(Payload, head="cla:xok"):
    """Cancel the class asked about."""


@dataclass(frozen=True)
class PickDate(Payload, head="cla:d"):
    """A date button (ISO date)."""

    day: str


@dataclass(frozen=True)
class DefaultTitle(Payload, head="cla:tdef"):
    """The default class title."""


@dataclass(frozen=True)
class ToggleTopic(Payload, head="cla:tp"):
    """Add or remove topic number `index`."""

    index: int


@dataclass(frozen=True)
class TopicsDone(Payload, head="cla:tpd"):
    """Topics chosen."""


@dataclass(frozen=True)
class PickAudience(Payload, head="cla:a"):
    """"all", "com" (choose communes) or "role"."""

    choice: str


@dataclass(frozen=True)
class ToggleCommune(Payload, head="cla:c"):
    """Add or remove commune number `index` of units.yaml."""

    index: int


@dataclass(frozen=True)
class CommunesDone(Payload, head="cla:cd"):
    """Communes chosen."""


@dataclass(frozen=True)
class PickRole(Payload, head="cla:r"):
    """Invite everyone with this role (across communes for province staff, in their communes for commune staff)."""

    role: str


@dataclass(frozen=True)
class CreateClass(Payload, head="cla:ok"):
    """Create the class previewed."""


# --- attendance (handlers/attendance.py) ------------------------------------------------------

@dataclass(frozen=True)
class AttendanceGroups(Payload, head="att:g"):
    """Mark who came: the communes of the class."""

    class_id: int


@dataclass(frozen=True)
class AttendanceGroup(Payload, head="att:c"):
    """The invitees of commune number `index`, one page."""

    class_id: int
    index: int
    page: int


@dataclass(frozen=True)
class ToggleAttended(Payload, head="att:t"):
    """Mark one invitee present or absent, then back to their commune's page."""

    class_id: int
    person_id: int
    index: int
    page: int


@dataclass(frozen=True)
class OpenCheckin(Payload, head="att:open"):
    """Open the check-in window (a code shown in the hall)."""

    class_id: int


@dataclass(frozen=True)
class CloseCheckin(Payload, head="att:close"):
    """Close the check-in window."""

    class_id: int


@dataclass(frozen=True)
class AttendanceList(Payload, head="att:list"):
    """Who came and who was absent."""

    class_id: int
