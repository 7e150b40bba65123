"""Classes for staff: /newclass (guided or one line), the overview with counts and the
no-answer list, editing (optimistic version check) and cancelling.

Times are typed as wall time in CAUNOI_TZ and stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot import reminders, timeparse
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import number_or
from bot.roles import ROLES
from bot.router import Router
from bot.store import classes
from bot.store.classes import ClassRow
from bot.textutil import clean_line, fold, has_letters
from handlers import scope
from handlers.class_format import fmt, menu_option

TITLE_LIMIT = 120
PLACE_LIMIT = 160
DATE_BUTTONS = 7
OVERVIEW_LIMIT = 10
PEOPLE_LIMIT = 30
RECENT_DAYS = 7
EVERYONE_WORDS = ("tat ca", "tat ca cac xa", "all")  # the commune field of a one-line /newclass
OVERVIEW_SILENT = 5  # names of people without an answer shown per class in the overview


class InputError(Exception):
    """Typed input that cannot be used: the text key saying what to fix, and its values."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


_ERROR_KEYS = {"empty": "classes.bad_date", "bad_date": "classes.bad_date", "no_such_date": "classes.no_such_date",
               "bad_time": "classes.bad_time", "missing_time": "classes.oneline_missing_time"}


def _input_error(error: timeparse.TimeParseError) -> InputError:
    """The class text for a date or time the shared parser refused."""
    return InputError(_ERROR_KEYS.get(error.reason, "classes.bad_date"), typed=error.typed)


def parse_date(text: str, today: date) -> date:
    """A typed date (bot/timeparse.py); InputError for nonsense or 31/02."""
    try:
        return timeparse.parse_date(text, today)
    except timeparse.TimeParseError as error:
        raise _input_error(error) from None


def parse_time(text: str) -> time:
    """A typed time: 8:00, 8h30, 8 giờ, "2 giờ chiều" (bot/timeparse.py); InputError for 25:00."""
    try:
        return timeparse.parse_time(text)
    except timeparse.TimeParseError as error:
        raise _input_error(error) from None


def parse_when(ctx: Context, text: str) -> datetime:
    """A typed date and time ("05/12/2026 08:00", "thứ bảy 2 giờ chiều") -> an aware UTC datetime in the future."""
    try:
        moment = timeparse.parse_moment(text, ctx.local_now(), need_date=True)
    except timeparse.TimeParseError as error:
        if error.reason == "past" and isinstance(error.when, datetime):
            raise InputError("classes.past", when=fmt(ctx).when(error.when.astimezone(UTC))) from None
        raise _input_error(error) from None
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
    """"tất cả", "Xã Hương Khê, Xã Hà Linh" or "chức danh Trưởng thôn"."""
    kind = audience.get("kind")
    if kind == "communes":
        return ", ".join(audience.get("communes", []))
    if kind == "role" and audience.get("role") in ROLES:
        return ctx.t("classes.audience_role_text", role=ctx.t(f"onboarding.roles.{audience['role']}"))
    return ctx.t("classes.audience_everyone_text")


# --- /newclass --------------------------------------------------------------------------------

async def new_class(event: Event, ctx: Context) -> list[Reply]:
    """/newclass: guided, or in one line `/newclass 2026-12-05 08:00 | title | place [| communes]`."""
    if event.kind == "command" and event.args.strip():
        return await _one_line(ctx, event.args)
    return ask_date(ctx)


async def _one_line(ctx: Context, args: str) -> list[Reply]:
    parts = [clean_line(p) for p in args.split("|")]
    usage = ctx.reply("classes.oneline_usage")
    try:
        starts_at = parse_when(ctx, parts[0])
        if len(parts) < 2 or not parts[1]:
            raise InputError("classes.oneline_missing_title")
        title = valid_text(parts[1], TITLE_LIMIT)
        if len(parts) < 3 or not parts[2]:
            raise InputError("classes.oneline_missing_place")
        place = valid_text(parts[2], PLACE_LIMIT)
        audience = _communes_audience(ctx, parts[3]) if len(parts) > 3 and parts[3] else None
    except InputError as error:
        return [ctx.reply(error.key, **error.values), usage]
    ctx.goto("cla.confirm", starts_at=starts_at.isoformat(), title=title, place=place, topics=[])
    mine = _my_communes(ctx)
    if audience is None and len(mine) == 1:
        audience = {"kind": "communes", "communes": [mine[0]]}
    if audience is None:  # the place means little across communes: ask which are invited
        return [_ask_communes(ctx, "classes.oneline_which_communes")]
    ctx.remember(audience=audience)
    return [await preview(ctx)]


def _my_communes(ctx: Context) -> list[str]:
    """The communes of units.yaml this staff member may invite, in content order."""
    return [c.name for c in ctx.content.units.communes if scope.covers(ctx, c.name)]


def _everyone(ctx: Context) -> dict[str, Any]:
    """"Tất cả": everyone for a province admin, every one of their communes for commune staff."""
    if scope.communes(ctx) is None:
        return dict(classes.ALL)
    return {"kind": "communes", "communes": _my_communes(ctx)}


def place_with_commune(place: str, audience: dict[str, Any]) -> str:
    """"Hội trường xã" reads as "Hội trường xã, Xã Hương Khê" when one commune is invited and the
    place does not name it already."""
    names = list(audience.get("communes", [])) if audience.get("kind") == "communes" else []
    if len(names) != 1:
        return place
    bare = fold(names[0]).removeprefix("xa ").removeprefix("phuong ")
    return place if bare in fold(place) else f"{place}, {names[0]}"


def _communes_audience(ctx: Context, typed: str) -> dict[str, Any]:
    names: list[str] = []
    if fold(typed).strip() in EVERYONE_WORDS:
        return _everyone(ctx)
    for item in filter(None, (p.strip() for p in typed.split(","))):
        commune = ctx.content.units.find(item) or ctx.content.units.find(f"Xã {item}")
        if commune is None or not scope.covers(ctx, commune.name):
            raise InputError("classes.unknown_commune", typed=item[:60], names=", ".join(_my_communes(ctx)))
        if commune.name not in names:
            names.append(commune.name)
    return {"kind": "communes", "communes": names} if names else _everyone(ctx)


def ask_date(ctx: Context, error: Reply | None = None) -> list[Reply]:
    """Date buttons for the coming days; a typed date also works."""
    f = fmt(ctx)
    today = ctx.local_now().date()
    options = []
    for n in range(DATE_BUTTONS):
        day = today + timedelta(days=n)
        noon = datetime.combine(day, time(12), tzinfo=ctx.config.tz)
        options.append(Option(ctx.t("classes.date_button", weekday=f.weekday(noon), date=day.strftime("%d/%m")),
                              f"cla:d:{day.isoformat()}"))
    options.append(ctx.option("core.cancel_button", "cla:no"))
    ctx.goto("cla.date")
    return [*([error] if error else []), ctx.reply("classes.ask_date", options, 2)]


def _ask_time(ctx: Context, day: date) -> Reply:
    ctx.goto("cla.time", date=day.isoformat())
    return ctx.reply("classes.ask_time", [ctx.option("core.cancel_button", "cla:no")],
                     date=day.strftime("%d/%m/%Y"))


def _ask_title(ctx: Context) -> Reply:
    ctx.goto("cla.title", **_kept(ctx))
    return ctx.reply("classes.ask_title", [ctx.option("classes.default_title", "cla:tdef"),
                                           ctx.option("core.cancel_button", "cla:no")])


def _ask_place(ctx: Context) -> Reply:
    ctx.goto("cla.place", **_kept(ctx))
    return ctx.reply("classes.ask_place", [ctx.option("core.cancel_button", "cla:no")])


def _ask_topics(ctx: Context) -> Reply:
    chosen = set(ctx.data.get("topics", []))
    options = [ctx.option("classes.topic_on" if t.id in chosen else "classes.topic_off", f"cla:tp:{i}",
                          label=getattr(t, "label", t.id)) for i, t in enumerate(ctx.content.topics)]
    options.append(ctx.option("classes.done_button", "cla:tpd"))
    ctx.goto("cla.topics", **_kept(ctx))
    return ctx.reply("classes.ask_topics", options)


def _ask_audience(ctx: Context) -> Reply:
    ctx.goto("cla.audience", **_kept(ctx))
    options = [ctx.option("classes.audience_all", "cla:a:all"),
               ctx.option("classes.audience_communes_button", "cla:a:com")]
    if scope.communes(ctx) is None:  # a role across communes is the province's choice
        options.append(ctx.option("classes.audience_role_button", "cla:a:role"))
    return ctx.reply("classes.ask_audience", [*options, ctx.option("core.cancel_button", "cla:no")])


def _ask_communes(ctx: Context, key: str = "classes.ask_communes") -> Reply:
    chosen = set(ctx.data.get("communes", []))
    options = [ctx.option("classes.topic_on" if c.name in chosen else "classes.topic_off", f"cla:c:{i}",
                          label=c.name) for i, c in enumerate(ctx.content.units.communes) if scope.covers(ctx, c.name)]
    options.append(ctx.option("classes.done_button", "cla:cd"))
    if key == "classes.oneline_which_communes":
        options.append(ctx.option("classes.audience_all", "cla:a:all"))
    ctx.goto("cla.communes", **_kept(ctx))
    return ctx.reply(key, options)


def _ask_role(ctx: Context) -> Reply:
    ctx.goto("cla.role", **_kept(ctx))
    options = [Option(ctx.t(f"onboarding.roles.{key}"), f"cla:r:{key}") for key in ROLES]
    return ctx.reply("classes.ask_role", options)


def _kept(ctx: Context) -> dict[str, Any]:
    return dict(ctx.data)


async def preview(ctx: Context) -> Reply:
    """The class as it will be sent, with how many people it reaches; confirm or discard."""
    data = ctx.data
    starts_at = datetime.fromisoformat(data["starts_at"])
    audience = data.get("audience") or _everyone(ctx)
    count = await classes.audience_count(ctx.db, audience)
    details = fmt(ctx).details(data["title"], place_with_commune(data["place"], audience), starts_at,
                               data.get("topics", []))
    ctx.goto("cla.confirm", **_kept(ctx))
    return ctx.reply("classes.preview", [ctx.option("classes.confirm_button", "cla:ok"),
                                         ctx.option("classes.discard_button", "cla:no")],
                     details=details, audience=audience_text(ctx, audience), count=count)


async def _create(ctx: Context) -> list[Reply]:
    data = ctx.data
    starts_at = datetime.fromisoformat(data["starts_at"])
    now = ctx.now()
    if starts_at <= now:  # the preview waited too long
        ctx.finish()
        return ask_date(ctx, ctx.reply("classes.past", when=fmt(ctx).when(starts_at)))
    f = fmt(ctx)
    audience = data.get("audience") or _everyone(ctx)
    if not _within_scope(ctx, audience):  # rights changed since the preview
        ctx.finish()
        return scope.refused(ctx)
    _, count = await classes.create(
        ctx.db, title=data["title"], place=place_with_commune(data["place"], audience), starts_at=starts_at,
        minutes=240, topics=list(data.get("topics", [])), audience=audience,
        created_by=ctx.person.id, now=now,
        next_reminder=reminders.next_due(starts_at, ctx.config.reminders, now), invitation=f.invitation,
    )
    ctx.finish()
    return [ctx.reply("classes.created", [Option(ctx.t("classes.admin_menu_label"), "cmd:classes"),
                                          menu_option(ctx)], count=count)]


def _within_scope(ctx: Context, audience: dict[str, Any]) -> bool:
    if scope.communes(ctx) is None:
        return True
    names = audience.get("communes", []) if audience.get("kind") == "communes" else []
    return bool(names) and all(scope.covers(ctx, name) for name in names)


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed answers while creating or editing a class."""
    step = ctx.step or ""
    text = event.value if event.kind == "text" else ""
    try:
        if step == "cla.date":
            return [_ask_time(ctx, _future_day(ctx, parse_date(text, ctx.local_now().date())))]
        if step == "cla.time":
            day = date.fromisoformat(ctx.data["date"])
            starts_at = future(ctx, day, parse_time(text))
            ctx.remember(starts_at=starts_at.isoformat())
            return [_ask_title(ctx)]
        if step == "cla.title":
            ctx.remember(title=valid_text(text, TITLE_LIMIT))
            return [_ask_place(ctx)]
        if step == "cla.place":
            ctx.remember(place=valid_text(text, PLACE_LIMIT))
            return [_ask_topics(ctx) if ctx.content.topics else _ask_audience(ctx)]
        if step == "cla.communes" and text:
            audience = _communes_audience(ctx, text)
            ctx.remember(communes=audience.get("communes", []))
            return [_ask_communes(ctx)]
        if step == "cla.edit":
            return await _edit_value(ctx, text)
    except InputError as error:
        if step == "cla.time" and error.key == "classes.past":
            return [ctx.reply(error.key, **error.values), *ask_date(ctx)]
        return [ctx.reply(error.key, [ctx.option("core.cancel_button", "cla:no")], **error.values)]
    return [ctx.reply("core.not_understood", [ctx.option("core.cancel_button", "cla:no")])]


def _future_day(ctx: Context, day: date) -> date:
    if day < ctx.local_now().date():
        raise InputError("classes.past", when=day.strftime("%d/%m/%Y"))
    return day


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Staff buttons: cla:<action>[:args]."""
    parts = event.value.split(":")
    action, args = (parts[1] if len(parts) > 1 else ""), parts[2:]
    step = ctx.step or ""
    if action == "no":
        ctx.finish()
        return [ctx.reply("classes.discarded", [menu_option(ctx)])]
    if action == "list":
        return await overview(ctx)
    if action == "v" and args:
        return await view(ctx, number_or(args[0], 0))
    if action == "e" and len(args) == 2:
        return await _start_edit(ctx, number_or(args[0], 0), args[1])
    if action == "x" and args:
        return await _ask_cancel(ctx, number_or(args[0], 0))
    if action == "eok" and step == "cla.editconfirm":
        return await _save_edit(ctx)
    if action == "xok" and step == "cla.cancel":
        return await _cancel(ctx)
    if action == "d" and args and step == "cla.date":
        try:
            return [_ask_time(ctx, _future_day(ctx, date.fromisoformat(args[0])))]
        except (ValueError, InputError):
            return ask_date(ctx)
    if action == "tdef" and step == "cla.title":
        ctx.remember(title=ctx.t("classes.default_title"))
        return [_ask_place(ctx)]
    if action == "tp" and args and step == "cla.topics":
        index = number_or(args[0], len(ctx.content.topics))
        topic = ctx.content.topics[index] if index < len(ctx.content.topics) else None
        chosen = list(ctx.data.get("topics", []))
        if topic is not None:
            chosen = [t for t in chosen if t != topic.id] if topic.id in chosen else [*chosen, topic.id]
        ctx.remember(topics=chosen)
        return [_ask_topics(ctx)]
    if action == "tpd" and step == "cla.topics":
        return [_ask_audience(ctx)]
    if action == "a" and args and (step == "cla.audience" or (step == "cla.communes" and args[0] == "all")):
        if args[0] == "com":
            return [_ask_communes(ctx)]
        if args[0] == "role":
            return [_ask_role(ctx)] if scope.communes(ctx) is None else scope.refused(ctx)
        ctx.remember(audience=_everyone(ctx))
        return [await preview(ctx)]
    if action == "c" and args and step == "cla.communes":
        communes = ctx.content.units.communes
        index = number_or(args[0], len(communes))
        chosen = list(ctx.data.get("communes", []))
        if index < len(communes) and scope.covers(ctx, communes[index].name):
            name = communes[index].name
            chosen = [c for c in chosen if c != name] if name in chosen else [*chosen, name]
        ctx.remember(communes=chosen)
        return [_ask_communes(ctx)]
    if action == "cd" and step == "cla.communes":
        chosen = list(ctx.data.get("communes", []))
        if not chosen:
            return [_ask_communes(ctx, "classes.no_commune_chosen")]
        ctx.remember(audience={"kind": "communes", "communes": chosen})
        return [await preview(ctx)]
    if action == "r" and args and args[0] in ROLES and step == "cla.role" and scope.communes(ctx) is None:
        ctx.remember(audience={"kind": "role", "role": args[0]})
        return [await preview(ctx)]
    if action == "ok" and step == "cla.confirm":
        return await _create(ctx)
    ctx.finish()
    return [ctx.reply("core.stale"), await ctx.menu(staff=True)]


# --- overview, view, edit, cancel ---------------------------------------------------------------

async def overview(ctx: Context) -> list[Reply]:
    """Upcoming (and just finished) classes with invited / coming / not coming / no answer counts."""
    ctx.finish()
    now = ctx.now()
    found = await classes.listed(ctx.db, now - timedelta(days=RECENT_DAYS), OVERVIEW_LIMIT, scope.communes(ctx))
    new_button = Option(ctx.t("classes.newclass_menu_label"), "cmd:newclass")
    if not found:
        return [ctx.reply("classes.admin_none", [new_button, menu_option(ctx)])]
    f = fmt(ctx)
    lines, options = [ctx.t("classes.admin_title")], []
    for n, klass in enumerate(found, start=1):
        when = f.when(klass.starts_at)
        if klass.cancelled:
            lines.append(ctx.t("classes.admin_line_cancelled", n=n, when=when, title=klass.title))
        else:
            c = await classes.counts(ctx.db, klass.id, scope.communes(ctx))
            attended = ctx.t("classes.admin_attended", n=c.attended) if now >= klass.starts_at else ""
            lines.append(ctx.t("classes.admin_line", n=n, when=when, title=klass.title, place=klass.place,
                               invited=c.invited, yes=c.yes, no=c.no, none=c.none, attended=attended))
            if c.none and now < klass.starts_at:
                lines[-1] += "\n" + await _silent_line(ctx, klass.id, c.none)
        options.append(Option(ctx.t("classes.view_button", n=n, date=f.date(klass.starts_at)), f"cla:v:{klass.id}"))
    options += [new_button, menu_option(ctx)]
    return [Reply("\n\n".join(lines), options, columns=2)]


async def _silent_line(ctx: Context, class_id: int, count: int) -> str:
    """The first few who have not answered, with their phones: the staff's calling list."""
    silent = await classes.no_answer(ctx.db, class_id, OVERVIEW_SILENT, scope.communes(ctx))
    names = ", ".join(f"{i.name or '—'} ({i.hamlet or '—'}{', ☎ ' + i.phone if i.phone else ''})" for i in silent)
    more = ctx.t("classes.admin_silent_more", n=count - len(silent)) if count > len(silent) else ""
    return ctx.t("classes.admin_silent", names=names) + more


async def view(ctx: Context, class_id: int) -> list[Reply]:
    """One class for staff: details, counts, who has not answered (to call) and who declined."""
    ctx.finish()
    klass = await scoped_class(ctx, class_id)
    if not isinstance(klass, ClassRow):
        return klass
    c = await classes.counts(ctx.db, klass.id, scope.communes(ctx))
    text = [ctx.t("classes.view", details=fmt(ctx).of_class(klass), audience=audience_text(ctx, klass.audience),
                  invited=c.invited, yes=c.yes, no=c.no, none=c.none, attended=c.attended)]
    if klass.cancelled:
        text.append(ctx.t("classes.view_cancelled"))
    invitees = await classes.invitees(ctx.db, klass.id, scope=scope.communes(ctx))
    silent = [i for i in invitees if i.rsvp is None]
    declined = [i for i in invitees if i.rsvp == "no"]
    if silent and not klass.cancelled:
        text.append(ctx.t("classes.no_answer_title", count=len(silent)) + "\n" + people_lines(ctx, silent))
    if declined:
        text.append(ctx.t("classes.declined_title", count=len(declined)) + "\n" + people_lines(ctx, declined))
    options: list[Option] = []
    now = ctx.now()
    if not klass.cancelled:
        if now < klass.starts_at:
            options += [Option(ctx.t("classes.edit_time_button"), f"cla:e:{klass.id}:time"),
                        Option(ctx.t("classes.edit_place_button"), f"cla:e:{klass.id}:place"),
                        Option(ctx.t("classes.edit_title_button"), f"cla:e:{klass.id}:title"),
                        Option(ctx.t("classes.cancel_class_button"), f"cla:x:{klass.id}")]
        options.append(Option(ctx.t("classes.attendance_button"), f"att:g:{klass.id}"))
        if klass.checkin_open(now):
            options.append(Option(ctx.t("classes.close_checkin_button"), f"att:close:{klass.id}"))
        else:
            options.append(Option(ctx.t("classes.open_checkin_button"), f"att:open:{klass.id}"))
        options.append(Option(ctx.t("classes.attendance_list_button"), f"att:list:{klass.id}"))
    options += [ctx.option("classes.back_to_list", "cla:list"), menu_option(ctx)]
    return [Reply("\n\n".join(text), options, columns=2)]


def people_lines(ctx: Context, people_list: list[classes.Invitee], reasons: bool = True) -> str:
    """• name — hamlet, commune (phone) [reason], at most PEOPLE_LIMIT lines."""
    lines = []
    for person in people_list[:PEOPLE_LIMIT]:
        phone = f" ☎ {person.phone}" if person.phone else ""
        line = ctx.t("classes.person_line", name=person.name or "—", hamlet=person.hamlet or "—",
                     commune=person.commune or "—", phone=phone)
        if reasons and person.reason:
            line += f" ({person.reason})"
        lines.append(line)
    if len(people_list) > PEOPLE_LIMIT:
        lines.append(ctx.t("classes.more_people", n=len(people_list) - PEOPLE_LIMIT))
    return "\n".join(lines)


async def scoped_class(ctx: Context, class_id: int) -> ClassRow | list[Reply]:
    """The class if this staff member may see it; else "gone", or for another commune's class the
    refusal a non-staff user gets."""
    klass = await classes.get(ctx.db, class_id, scope.communes(ctx))
    if klass is not None:
        return klass
    if await classes.get(ctx.db, class_id) is not None:
        return scope.refused(ctx)
    return [ctx.reply("classes.gone"), *await overview(ctx)]


async def _editable(ctx: Context, class_id: int) -> ClassRow | list[Reply]:
    klass = await scoped_class(ctx, class_id)
    if not isinstance(klass, ClassRow):
        return klass
    if klass.cancelled or ctx.now() >= klass.starts_at:
        return [ctx.reply("classes.not_editable"), *await view(ctx, class_id)]
    return klass


async def _start_edit(ctx: Context, class_id: int, field: str) -> list[Reply]:
    keys = {"time": "classes.ask_new_time", "place": "classes.ask_new_place", "title": "classes.ask_new_title"}
    if field not in keys:
        return [ctx.reply("core.stale"), await ctx.menu(staff=True)]
    klass = await _editable(ctx, class_id)
    if isinstance(klass, list):
        return klass
    ctx.goto("cla.edit", class_id=klass.id, field=field, version=klass.version)
    return [ctx.reply(keys[field], [Option(ctx.t("core.cancel_button"), f"cla:v:{klass.id}")])]


async def _edit_value(ctx: Context, text: str) -> list[Reply]:
    klass = await _editable(ctx, int(ctx.data["class_id"]))
    if isinstance(klass, list):
        return klass
    field = ctx.data["field"]
    if field == "time":
        value: str = parse_when(ctx, text).isoformat()
        details = fmt(ctx).details(klass.title, klass.place, datetime.fromisoformat(value), klass.topics)
    elif field == "place":
        value = valid_text(text, PLACE_LIMIT)
        details = fmt(ctx).details(klass.title, value, klass.starts_at, klass.topics)
    else:
        value = valid_text(text, TITLE_LIMIT)
        details = fmt(ctx).details(value, klass.place, klass.starts_at, klass.topics)
    ctx.goto("cla.editconfirm", **_kept(ctx), value=value)
    return [ctx.reply("classes.edit_preview", [ctx.option("classes.edit_confirm_button", "cla:eok"),
                                               Option(ctx.t("core.cancel_button"), f"cla:v:{klass.id}")],
                      details=details)]


async def _save_edit(ctx: Context) -> list[Reply]:
    data = ctx.data
    class_id, field, value = int(data["class_id"]), data["field"], data["value"]
    if await classes.get(ctx.db, class_id, scope.communes(ctx)) is None:  # rights changed meanwhile
        ctx.finish()
        return scope.refused(ctx)
    changes: dict[str, Any] = {"starts_at": datetime.fromisoformat(value)} if field == "time" else {field: value}
    now = ctx.now()
    f = fmt(ctx)
    updated = await classes.update(
        ctx.db, class_id, int(data["version"]), now=now, changes=changes,
        next_reminder=lambda row: reminders.next_due(row.starts_at, ctx.config.reminders, now),
        change_reply=f.change,
    )
    ctx.finish()
    if updated is None:
        return [ctx.reply("classes.conflict"), *await view(ctx, class_id)]
    c = await classes.counts(ctx.db, class_id, scope.communes(ctx))
    return [ctx.reply("classes.edited", [Option(ctx.t("classes.back_to_list"), "cla:list"), menu_option(ctx)],
                      count=c.invited)]


async def _ask_cancel(ctx: Context, class_id: int) -> list[Reply]:
    klass = await _editable(ctx, class_id)
    if isinstance(klass, list):
        return klass
    ctx.goto("cla.cancel", class_id=klass.id, version=klass.version)
    return [ctx.reply("classes.cancel_confirm", [ctx.option("classes.cancel_yes", "cla:xok"),
                                                 Option(ctx.t("classes.cancel_no"), f"cla:v:{klass.id}")],
                      title=klass.title, when=fmt(ctx).when(klass.starts_at))]


async def _cancel(ctx: Context) -> list[Reply]:
    class_id, version = int(ctx.data["class_id"]), int(ctx.data["version"])
    if await classes.get(ctx.db, class_id, scope.communes(ctx)) is None:  # rights changed meanwhile
        ctx.finish()
        return scope.refused(ctx)
    cancelled = await classes.cancel(ctx.db, class_id, version, now=ctx.now(), cancel_reply=fmt(ctx).cancellation)
    ctx.finish()
    if cancelled is None:
        return [ctx.reply("classes.conflict"), *await view(ctx, class_id)]
    c = await classes.counts(ctx.db, class_id, scope.communes(ctx))
    return [ctx.reply("classes.class_cancelled_done", [Option(ctx.t("classes.back_to_list"), "cla:list"),
                                                       menu_option(ctx)], count=c.invited)]


def register(router: Router) -> None:
    """Register /newclass, the staff buttons and steps, and the staff menu entries."""
    router.command("newclass", new_class, staff=True, aliases=("tao lop", "lop moi"), describe="classes.newclass_desc")
    router.choice("cla", on_choice, staff=True)
    router.step("cla", on_step, staff=True)
    router.menu("classes.newclass_menu_label", "newclass", staff=True, order=30)
    router.menu("classes.admin_menu_label", "classes", staff=True, order=31)

