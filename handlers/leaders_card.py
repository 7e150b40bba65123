"""A leader's card and the directory's home, shared by /leaders and its repair tools
(handlers/leaders.py, handlers/leaders_repair.py), so that neither imports the other.

Scope: `load` answers a person outside the staff member's communes exactly as a missing one.
"""

from __future__ import annotations

from bot.context import Context
from bot.model import Reply
from bot.staff import Staff
from bot.store import audit, claims, hamlets, leaders, people
from bot.store.people import Person
from handlers.onboarding import profile_lines

SEARCH = "leaders.search"


def staff_of(ctx: Context) -> Staff:
    """The staff rights (the route is staff-only, so they exist)."""
    assert ctx.staff is not None
    return ctx.staff


def refused(ctx: Context) -> list[Reply]:
    """The very answer a non-staff user gets (nothing tells that the person exists)."""
    return [Reply(ctx.t("core.staff_only"), [ctx.option("core.menu_button", "cmd:menu")])]


async def load(ctx: Context, person_id: int) -> Person | None:
    """The person if they exist and this staff member covers their commune, else None."""
    person = await people.get(ctx.db, person_id)
    if person is None or not staff_of(ctx).covers(person.commune):
        return None
    return person


def scope(ctx: Context) -> str:
    """The staff member's communes as the audit log writes them."""
    return audit.scope_label(staff_of(ctx).commune_filter)


async def home_reply(ctx: Context) -> Reply:
    """How to search, and the repair lists with their counts."""
    ctx.goto(SEARCH)
    communes = staff_of(ctx).commune_filter
    label = ctx.t("leaders.scope_all") if communes is None else ctx.t(
        "leaders.scope_some", communes=", ".join(sorted(communes)))
    open_claims = len(await claims.open_claims(ctx.db, communes, limit=100))
    proposed = len(await hamlets.proposed(ctx.db, communes, limit=100))
    return ctx.reply("leaders.home", [
        ctx.option("leaders.duplicates_button", "ld:dup"),
        ctx.option("leaders.claims_button", "ld:claims", count=open_claims),
        ctx.option("leaders.hamlets_button", "ld:hamlets", count=proposed),
        ctx.option("core.menu_button", "cmd:menu")], scope=label)


async def show_card(ctx: Context, person: Person) -> list[Reply]:
    """A leader's card with what staff may do about them."""
    data = await leaders.card(ctx.db, person)
    fields = profile_lines(ctx, person.name, person.role, person.association, person.commune, person.hamlet,
                           person.phone)
    quizzes = ", ".join(ctx.t("leaders.quiz_line", quiz=_quiz_title(ctx, q), score=s, total=t)
                        for q, (s, t) in sorted(data.quiz_bests.items())) or ctx.t("leaders.no_quizzes")
    channels = ", ".join(_label(ctx, "leaders.channel", c.channel) for c in data.channels) or ctx.t(
        "leaders.no_channels")
    status = ctx.t("leaders.status_registered" if person.registered else
                   "leaders.status_roster" if person.source == "roster" and not data.channels else
                   "leaders.status_started")
    if person.stopped:
        status += ctx.t("leaders.status_stopped")
    text = ctx.t("leaders.card", id=person.id, birth_year=person.birth_year or "—", channels=channels,
                 last_seen=(data.last_seen or "")[:16].replace("T", " ") or ctx.t("leaders.never"),
                 status=status, quizzes=quizzes, invited=data.classes_invited, attended=data.classes_attended,
                 feedback=data.feedback, **fields)
    options = [ctx.option("leaders.edit_button", f"ld:e:{person.id}"),
               ctx.option("leaders.merge_button", f"ld:m:{person.id}"),
               ctx.option("leaders.remove_button", f"ld:r:{person.id}")]
    if person.unreachable:
        text += "\n" + ctx.t("leaders.card_unreachable")
        options.append(ctx.option("leaders.reset_unreachable_button", f"ld:u:{person.id}"))
    if data.open_claims:
        text += "\n" + ctx.t("leaders.card_claims", count=data.open_claims)
    if staff_of(ctx).sensitive:
        options.append(ctx.option("leaders.aspiration_button", f"ld:a:{person.id}"))
    options.append(ctx.option("leaders.back_button", "cmd:leaders"))
    ctx.goto(SEARCH)
    return [Reply(text, options)]


def _quiz_title(ctx: Context, quiz: str) -> str:
    topic = next((t for t in ctx.content.topics if getattr(t, "id", None) == quiz), None)
    return str(getattr(topic, "label", None) or getattr(topic, "title", quiz)) if topic is not None else quiz


def _label(ctx: Context, group: str, key: str) -> str:
    """The Vietnamese word for a channel or table, or the key itself when there is none."""
    return ctx.t(f"{group}.{key}") if f"{group}.{key}" in ctx.t else key


