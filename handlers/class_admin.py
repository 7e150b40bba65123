"""Classes for staff: /newclass, guided (one table of steps, handlers/class_buttons.py) or in one
line, and the table of every class button (the overview, editing and cancelling are
handlers/class_manage.py).

Times are typed as wall time in CAUNOI_TZ and stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot import reminders
from bot.callback import Actions
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.roles import ROLES
from bot.router import Router
from bot.store import classes
from bot.textutil import clean_line, fold
from handlers import scope
from handlers.class_buttons import (
    CancelClass,
    CommunesDone,
    ConfirmCancel,
    CreateClass,
    DefaultTitle,
    Discard,
    EditClass,
    ListClasses,
    PickAudience,
    PickDate,
    PickRole,
    SaveEdit,
    Step,
    ToggleCommune,
    ToggleTopic,
    TopicsDone,
    ViewClass,
)
from handlers.class_format import fmt, menu_option
from handlers.class_input import (
    PLACE_LIMIT,
    TITLE_LIMIT,
    InputError,
    audience_text,
    example_day,
    future,
    parse_date,
    parse_time,
    parse_when,
    valid_text,
)
from handlers.class_manage import ask_cancel, cancel, edit_value, overview, save_edit, start_edit, view

DATE_BUTTONS = 7
EVERYONE_WORDS = ("tat ca", "tat ca cac xa", "all")  # the commune field of a one-line /newclass


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
    ctx.goto(Step.CONFIRM, starts_at=starts_at.isoformat(), title=title, place=place, topics=[])
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
    names = list(audience.get("communes", [])) if audience.get("kind") in ("communes", "role") else []
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
                              PickDate(day.isoformat()).pack()))
    options.append(ctx.option("core.cancel_button", Discard.head))
    ctx.goto(Step.DATE)
    return [*([error] if error else []), ctx.reply("classes.ask_date", options, 2, example=example_day(today))]


def _ask_time(ctx: Context, day: date) -> Reply:
    ctx.goto(Step.TIME, date=day.isoformat())
    return ctx.reply("classes.ask_time", [ctx.option("core.cancel_button", Discard.head)],
                     date=day.strftime("%d/%m/%Y"))


def _ask_title(ctx: Context) -> Reply:
    ctx.goto(Step.TITLE, **_kept(ctx))
    return ctx.reply("classes.ask_title", [ctx.option("classes.default_title", DefaultTitle.head),
                                           ctx.option("core.cancel_button", Discard.head)])


def _ask_place(ctx: Context) -> Reply:
    ctx.goto(Step.PLACE, **_kept(ctx))
    return ctx.reply("classes.ask_place", [ctx.option("core.cancel_button", Discard.head)])


def _ask_topics(ctx: Context) -> Reply:
    chosen = set(ctx.data.get("topics", []))
    options = [ctx.option("classes.topic_on" if t.id in chosen else "classes.topic_off", ToggleTopic(i).pack(),
                          label=getattr(t, "label", t.id)) for i, t in enumerate(ctx.content.topics)]
    options.append(ctx.option("classes.done_button", TopicsDone.head))
    ctx.goto(Step.TOPICS, **_kept(ctx))
    return ctx.reply("classes.ask_topics", options)


def _ask_audience(ctx: Context) -> Reply:
    ctx.goto(Step.AUDIENCE, **_kept(ctx))
    options = [ctx.option("classes.audience_all", PickAudience("all").pack()),
               ctx.option("classes.audience_communes_button", PickAudience("com").pack())]
    # A role across communes is the province's choice; commune staff invite a role within their communes.
    role_key = "classes.audience_role_button" if scope.communes(ctx) is None else "classes.audience_role_mine_button"
    options.append(ctx.option(role_key, PickAudience("role").pack()))
    return ctx.reply("classes.ask_audience", [*options, ctx.option("core.cancel_button", Discard.head)])


def _ask_communes(ctx: Context, key: str | None = None) -> Reply:
    """Commune toggles and "Xong": the communes invited, or, once a province admin has picked a role
    (`role` in the step's data), the communes where that role is invited, with "cả tỉnh" beside them."""
    role = _picked_role(ctx)
    chosen = set(ctx.data.get("communes", []))
    options = [ctx.option("classes.topic_on" if c.name in chosen else "classes.topic_off", ToggleCommune(i).pack(),
                          label=c.name) for i, c in enumerate(ctx.content.units.communes) if scope.covers(ctx, c.name)]
    options.append(ctx.option("classes.done_button", CommunesDone.head))
    if role:
        options.append(ctx.option("classes.role_everywhere_button", PickAudience("all").pack()))
    elif key == "classes.oneline_which_communes":
        options.append(ctx.option("classes.audience_all", PickAudience("all").pack()))
    ctx.goto(Step.COMMUNES, **_kept(ctx))
    if not role:
        return ctx.reply(key or "classes.ask_communes", options)
    return ctx.reply(key or "classes.ask_role_communes", options, role=ctx.t(f"onboarding.roles.{role}"))


def _picked_role(ctx: Context) -> str:
    """The role a province admin picked before choosing communes ("" when inviting by commune)."""
    role = str(ctx.data.get("role", ""))
    return role if role in ROLES else ""


def _ask_role(ctx: Context) -> Reply:
    ctx.goto(Step.ROLE, **_kept(ctx))
    options = [Option(ctx.t(f"onboarding.roles.{key}"), PickRole(key).pack()) for key in ROLES]
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
    ctx.goto(Step.CONFIRM, **_kept(ctx))
    return ctx.reply("classes.preview", [ctx.option("classes.confirm_button", CreateClass.head),
                                         ctx.option("classes.discard_button", Discard.head)],
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
    names = audience.get("communes", []) if audience.get("kind") in ("communes", "role") else []
    return bool(names) and all(scope.covers(ctx, name) for name in names)


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed answers while creating or editing a class."""
    step = ctx.step or ""
    text = event.value if event.kind == "text" else ""
    try:
        if step == Step.DATE:
            return [_ask_time(ctx, _future_day(ctx, parse_date(text, ctx.local_now().date())))]
        if step == Step.TIME:
            day = date.fromisoformat(ctx.data["date"])
            starts_at = future(ctx, day, parse_time(text))
            ctx.remember(starts_at=starts_at.isoformat())
            return [_ask_title(ctx)]
        if step == Step.TITLE:
            ctx.remember(title=valid_text(text, TITLE_LIMIT))
            return [_ask_place(ctx)]
        if step == Step.PLACE:
            ctx.remember(place=valid_text(text, PLACE_LIMIT))
            return [_ask_topics(ctx) if ctx.content.topics else _ask_audience(ctx)]
        if step == Step.COMMUNES and text:
            audience = _communes_audience(ctx, text)
            ctx.remember(communes=audience.get("communes", []))
            return [_ask_communes(ctx)]
        if step == Step.EDIT:
            return await edit_value(ctx, text)
    except InputError as error:
        if step == Step.TIME and error.key == "classes.past":
            return [ctx.reply(error.key, **error.values), *ask_date(ctx)]
        return [ctx.reply(error.key, [ctx.option("core.cancel_button", Discard.head)], **error.values)]
    return [ctx.reply("core.not_understood", [ctx.option("core.cancel_button", Discard.head)])]


def _future_day(ctx: Context, day: date) -> date:
    if day < ctx.local_now().date():
        raise InputError("classes.past", when=day.strftime("%d/%m/%Y"))
    return day


# --- buttons: what each kind does, in which step ----------------------------------------------

async def _discard(button: Discard, ctx: Context) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("classes.discarded", [menu_option(ctx)])]


async def _list(button: ListClasses, ctx: Context) -> list[Reply]:
    return await overview(ctx)


async def _view(button: ViewClass, ctx: Context) -> list[Reply]:
    return await view(ctx, button.class_id)


async def _edit(button: EditClass, ctx: Context) -> list[Reply]:
    return await start_edit(ctx, button.class_id, button.field)


async def _cancel_asked(button: CancelClass, ctx: Context) -> list[Reply]:
    return await ask_cancel(ctx, button.class_id)


async def _save_edit_pressed(button: SaveEdit, ctx: Context) -> list[Reply]:
    return await save_edit(ctx)


async def _cancel_confirmed(button: ConfirmCancel, ctx: Context) -> list[Reply]:
    return await cancel(ctx)


async def _date_picked(button: PickDate, ctx: Context) -> list[Reply]:
    try:
        return [_ask_time(ctx, _future_day(ctx, date.fromisoformat(button.day)))]
    except (ValueError, InputError):
        return ask_date(ctx)


async def _default_title(button: DefaultTitle, ctx: Context) -> list[Reply]:
    ctx.remember(title=ctx.t("classes.default_title"))
    return [_ask_place(ctx)]


async def _topic_toggled(button: ToggleTopic, ctx: Context) -> list[Reply]:
    topics = ctx.content.topics
    chosen = list(ctx.data.get("topics", []))
    if button.index < len(topics):
        topic_id = topics[button.index].id
        chosen = [t for t in chosen if t != topic_id] if topic_id in chosen else [*chosen, topic_id]
    ctx.remember(topics=chosen)
    return [_ask_topics(ctx)]


async def _topics_done(button: TopicsDone, ctx: Context) -> list[Reply]:
    return [_ask_audience(ctx)]


async def _audience_picked(button: PickAudience, ctx: Context) -> list[Reply]:
    if ctx.step == Step.COMMUNES and button.choice != "all":  # only "everyone" is offered there
        return await _stale(ctx)
    if button.choice == "com":
        return [_ask_communes(ctx)]
    if button.choice == "role":
        return [_ask_role(ctx)]
    role = _picked_role(ctx) if ctx.step == Step.COMMUNES else ""
    ctx.remember(audience=_role_audience(ctx, role) if role else _everyone(ctx))
    return [await preview(ctx)]


async def _commune_toggled(button: ToggleCommune, ctx: Context) -> list[Reply]:
    communes = ctx.content.units.communes
    chosen = list(ctx.data.get("communes", []))
    if button.index < len(communes) and scope.covers(ctx, communes[button.index].name):
        name = communes[button.index].name
        chosen = [c for c in chosen if c != name] if name in chosen else [*chosen, name]
    ctx.remember(communes=chosen)
    return [_ask_communes(ctx)]


async def _communes_done(button: CommunesDone, ctx: Context) -> list[Reply]:
    chosen = list(ctx.data.get("communes", []))
    if not chosen:
        return [_ask_communes(ctx, "classes.no_commune_chosen")]
    role = _picked_role(ctx)
    audience = {"kind": "role", "role": role, "communes": chosen} if role else {"kind": "communes", "communes": chosen}
    ctx.remember(audience=audience)
    return [await preview(ctx)]


async def _role_picked(button: PickRole, ctx: Context) -> list[Reply]:
    if button.role not in ROLES:
        return await _stale(ctx)
    if scope.communes(ctx) is None:  # province staff: then the communes, or the whole province
        ctx.remember(role=button.role, communes=[])
        return [_ask_communes(ctx)]
    ctx.remember(audience=_role_audience(ctx, button.role))
    return [await preview(ctx)]


def _role_audience(ctx: Context, role: str) -> dict[str, Any]:
    """Leaders of `role` across the province for province staff ("cả tỉnh"); within their own communes
    for commune staff (the communes come from their scope, never from the button)."""
    if scope.communes(ctx) is None:
        return {"kind": "role", "role": role}
    return {"kind": "role", "role": role, "communes": _my_communes(ctx)}


async def _create_pressed(button: CreateClass, ctx: Context) -> list[Reply]:
    return await _create(ctx)


async def _stale(ctx: Context) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("core.stale"), await ctx.menu(staff=True)]


ACTIONS = Actions()
ACTIONS.on(Discard, _discard)
ACTIONS.on(ListClasses, _list)
ACTIONS.on(ViewClass, _view)
ACTIONS.on(EditClass, _edit)
ACTIONS.on(CancelClass, _cancel_asked)
ACTIONS.on(PickDate, _date_picked, steps=[Step.DATE])
ACTIONS.on(DefaultTitle, _default_title, steps=[Step.TITLE])
ACTIONS.on(ToggleTopic, _topic_toggled, steps=[Step.TOPICS])
ACTIONS.on(TopicsDone, _topics_done, steps=[Step.TOPICS])
ACTIONS.on(PickAudience, _audience_picked, steps=[Step.AUDIENCE, Step.COMMUNES])
ACTIONS.on(ToggleCommune, _commune_toggled, steps=[Step.COMMUNES])
ACTIONS.on(CommunesDone, _communes_done, steps=[Step.COMMUNES])
ACTIONS.on(PickRole, _role_picked, steps=[Step.ROLE])
ACTIONS.on(CreateClass, _create_pressed, steps=[Step.CONFIRM])
ACTIONS.on(SaveEdit, _save_edit_pressed, steps=[Step.EDIT_CONFIRM])
ACTIONS.on(ConfirmCancel, _cancel_confirmed, steps=[Step.CANCEL])


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Staff buttons of classes (ACTIONS); a button not valid now gets "menu has changed"."""
    return await ACTIONS.run(event, ctx) or await _stale(ctx)


def register(router: Router) -> None:
    """Register /newclass, the staff buttons and steps, and the staff menu entries."""
    router.command("newclass", new_class, staff=True, aliases=("tao lop", "lop moi"), describe="classes.newclass_desc")
    router.choice("cla", on_choice, staff=True)
    router.step("cla", on_step, staff=True)
    router.menu("classes.newclass_menu_label", "newclass", staff=True, order=30)
    router.menu("classes.admin_menu_label", "classes", staff=True, order=31)

