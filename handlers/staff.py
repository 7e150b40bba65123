"""/staff (province admins): list staff with the last audit entries, add by identity or by a one-time
invitation code (/staff_join CODE), set communes, grant or revoke `sensitive`, remove.

Payloads carry indexes into what the step remembers (never identities), so they stay short and a
forged one names nothing outside the list the admin was shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import staff as rights
from bot.callback import Actions, Payload
from bot.clock import iso, parse_iso
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.router import Router
from bot.store import audit
from bot.store import staff as stored
from bot.store.db import Database

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone
CODE_LENGTH = 12  # 31^12 ≈ 2^59: not guessable within the flood limit
CODE_VALID = timedelta(hours=48)
AUDIT_LINES = 10


class Step:
    """/staff screens: the list, one member (and their communes), typing an identity, an invitation."""

    LIST = "staff.list"
    MEMBER = "staff.member"
    IDENTITY = "staff.identity"
    INVITE = "staff.invite"


@dataclass(frozen=True)
class OpenMember(Payload, head="stf:m"):
    """Member number `index` of the list shown."""

    index: int


@dataclass(frozen=True)
class AddMember(Payload, head="stf:add"):
    """Add a staff member by identity."""


@dataclass(frozen=True)
class NewInvite(Payload, head="stf:inv"):
    """Make a one-time invitation code."""


@dataclass(frozen=True)
class InviteCommune(Payload, head="stf:ic"):
    """Toggle commune number `index` of the invitation."""

    index: int


@dataclass(frozen=True)
class InviteSensitive(Payload, head="stf:is"):
    """Toggle `sensitive` on the invitation."""


@dataclass(frozen=True)
class MakeInvite(Payload, head="stf:ig"):
    """Make the code."""


@dataclass(frozen=True)
class MemberCommunes(Payload, head="stf:c"):
    """The member's commune buttons."""


@dataclass(frozen=True)
class MemberCommune(Payload, head="stf:ct"):
    """Toggle commune number `index` for the member (saved at once)."""

    index: int


@dataclass(frozen=True)
class MemberBack(Payload, head="stf:back"):
    """Back to the member."""


@dataclass(frozen=True)
class MemberSensitive(Payload, head="stf:s"):
    """Grant (1) or revoke (0) `sensitive`."""

    on: int


@dataclass(frozen=True)
class RemoveMember(Payload, head="stf:rm"):
    """Ask to remove the member."""


@dataclass(frozen=True)
class RemoveConfirmed(Payload, head="stf:rmok"):
    """Remove the member."""


def _province(ctx: Context) -> bool:
    return ctx.staff is not None and ctx.staff.province


def _refuse(ctx: Context) -> list[Reply]:
    return [ctx.reply("staff.province_only", [ctx.option("core.admin_button", "cmd:admin")])]


def _where(ctx: Context, member: stored.Member | None = None, communes: frozenset[str] = frozenset(),
           province: bool = False) -> str:
    if member is not None:
        communes, province = member.communes, member.province
    if province:
        return str(ctx.t("staff.province_where"))
    return ", ".join(sorted(communes)) or str(ctx.t("staff.no_commune"))


def _local(ctx: Context, stamp: str) -> str:
    try:
        return parse_iso(stamp).astimezone(ctx.config.tz).strftime("%H:%M %d/%m/%Y")
    except (ValueError, TypeError):
        return stamp


async def show_staff(event: Event, ctx: Context) -> list[Reply]:
    """/staff: everyone with staff rights, the last audit entries, and what can be done."""
    if not _province(ctx):
        return _refuse(ctx)
    members = await stored.members(ctx.db)
    ctx.goto(Step.LIST, ids=[m.identity for m in members])
    lines = [ctx.t("staff.env_line", identity=str(i)) for i in sorted(ctx.config.admins, key=str)]
    lines += [ctx.t("staff.member_line", identity=m.identity, where=_where(ctx, m),
                    sensitive=ctx.t("staff.sensitive_mark") if m.sensitive else "") for m in members]
    entries = await audit.recent(ctx.db, AUDIT_LINES)
    log = [ctx.t("staff.audit_title")] if entries else [ctx.t("staff.audit_none")]
    log += [ctx.t("staff.audit_line", when=_local(ctx, e.at), actor=e.actor, action=e.action, scope=e.scope,
                  subject=e.subject) for e in entries]
    options = [ctx.option("staff.member_button", OpenMember(i).pack(), identity=m.identity)
               for i, m in enumerate(members)]
    options += [ctx.option("staff.add_button", AddMember.head), ctx.option("staff.invite_button", NewInvite.head),
                ctx.option("core.admin_button", "cmd:admin")]
    return [Reply(ctx.t("staff.title", lines="\n".join(lines)) + "\n\n" + "\n".join(log), options)]


async def member_view(ctx: Context, identity: str, notice: str | None = None) -> list[Reply]:
    """One stored staff member: communes, `sensitive`, and the buttons to change them."""
    member = await stored.get(ctx.db, identity)
    if member is None:
        return [ctx.reply("staff.gone"), *await show_staff(Event(ctx.identity, "command", "staff"), ctx)]
    ctx.goto(Step.MEMBER, identity=identity)
    options = [ctx.option("staff.communes_button", MemberCommunes.head),
               ctx.option("staff.revoke_button" if member.sensitive else "staff.grant_button",
                          MemberSensitive(0 if member.sensitive else 1).pack()),
               ctx.option("staff.remove_button", RemoveMember.head), ctx.option("staff.back_button", "cmd:staff")]
    text = ctx.t("staff.member", identity=member.identity, where=_where(ctx, member),
                 sensitive=ctx.t("staff.yes_word" if member.sensitive else "staff.no_word"), added_by=member.added_by,
                 added_at=_local(ctx, member.added_at))
    return [*([Reply(notice)] if notice else []), Reply(text, options)]


def _commune_toggles(ctx: Context, chosen: frozenset[str],
                     kind: type[InviteCommune] | type[MemberCommune]) -> list[Option]:
    return [ctx.option("staff.commune_on" if c.name in chosen else "staff.commune_off", kind(i).pack(),
                       name=c.name) for i, c in enumerate(ctx.content.units.communes)]


async def communes_view(ctx: Context, identity: str) -> list[Reply]:
    """Commune buttons from units.yaml, each press saved at once."""
    member = await stored.get(ctx.db, identity)
    if member is None:
        return await member_view(ctx, identity)
    options = [*_commune_toggles(ctx, member.communes, MemberCommune), ctx.option("staff.done_button", MemberBack.head)]
    return [ctx.reply("staff.ask_communes", options, identity=identity)]


def invite_view(ctx: Context) -> list[Reply]:
    """Choose the communes (and `sensitive`) of an invitation code, then make it."""
    chosen = frozenset(ctx.data.get("communes", []))
    options = _commune_toggles(ctx, chosen, InviteCommune)
    sensitive = bool(ctx.data.get("sensitive"))
    sensitive_key = "staff.invite_sensitive_on" if sensitive else "staff.invite_sensitive_off"
    options += [ctx.option(sensitive_key, InviteSensitive.head),
                ctx.option("staff.invite_make", MakeInvite.head), ctx.option("staff.back_button", "cmd:staff")]
    return [ctx.reply("staff.invite_communes", options)]


async def new_invite(db: Database, *, communes: frozenset[str], sensitive: bool, by: str,
                     now: datetime) -> tuple[str, datetime]:
    """A one-time code for commune staff of `communes` (chat's "Tạo mã" and the web's /audit form):
    only its hash is stored, audited `staff.invite`; the code, to show once, and when it expires."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    until = now + CODE_VALID
    await stored.create_invite(db, code, communes=communes, sensitive=sensitive, province=False,
                               by=by, at=iso(now), expires_at=iso(until))
    return code, until


async def make_invite(ctx: Context) -> list[Reply]:
    """A new one-time code; only its hash is stored."""
    communes = frozenset(ctx.data.get("communes", []))
    if not communes:
        return [ctx.reply("staff.invite_need_commune"), *invite_view(ctx)]
    sensitive = bool(ctx.data.get("sensitive"))
    code, until = await new_invite(ctx.db, communes=communes, sensitive=sensitive, by=str(ctx.identity),
                                   now=ctx.now())
    ctx.finish()
    return [ctx.reply("staff.invite_made", [ctx.option("staff.back_button", "cmd:staff")], code=code,
                      until=_local(ctx, iso(until)), where=_where(ctx, communes=communes),
                      sensitive=ctx.t("staff.sensitive_mark") if sensitive else "")]


async def _open_member(button: OpenMember, ctx: Context) -> list[Reply]:
    ids = ctx.data.get("ids", [])
    return await member_view(ctx, str(ids[button.index])) if button.index < len(ids) else await _stale(ctx)


async def _add(button: AddMember, ctx: Context) -> list[Reply]:
    ctx.goto(Step.IDENTITY)
    return [ctx.reply("staff.ask_identity", [ctx.option("staff.back_button", "cmd:staff")])]


async def _new_invite(button: NewInvite, ctx: Context) -> list[Reply]:
    ctx.goto(Step.INVITE, communes=[], sensitive=False)
    return invite_view(ctx)


async def _invite_commune(button: InviteCommune, ctx: Context) -> list[Reply]:
    communes = ctx.content.units.communes
    if button.index >= len(communes):
        return await _stale(ctx)
    ctx.remember(communes=sorted(set(ctx.data.get("communes", [])) ^ {communes[button.index].name}))
    return invite_view(ctx)


async def _invite_sensitive(button: InviteSensitive, ctx: Context) -> list[Reply]:
    ctx.remember(sensitive=not ctx.data.get("sensitive"))
    return invite_view(ctx)


async def _make_invite(button: MakeInvite, ctx: Context) -> list[Reply]:
    return await make_invite(ctx)


async def _member_communes(button: MemberCommunes, ctx: Context) -> list[Reply]:
    return await communes_view(ctx, _identity(ctx)) if _identity(ctx) else await _stale(ctx)


async def _member_commune(button: MemberCommune, ctx: Context) -> list[Reply]:
    identity, communes = _identity(ctx), ctx.content.units.communes
    if not identity or button.index >= len(communes):
        return await _stale(ctx)
    member = await stored.get(ctx.db, identity)
    if member is None:
        return await member_view(ctx, identity)
    await stored.set_communes(ctx.db, identity, member.communes ^ {communes[button.index].name},
                              by=str(ctx.identity), at=ctx.now_iso())
    return await communes_view(ctx, identity)


async def _member_back(button: MemberBack, ctx: Context) -> list[Reply]:
    return await member_view(ctx, _identity(ctx)) if _identity(ctx) else await _stale(ctx)


async def _member_sensitive(button: MemberSensitive, ctx: Context) -> list[Reply]:
    identity = _identity(ctx)
    if not identity or button.on not in (0, 1):
        return await _stale(ctx)
    await stored.set_sensitive(ctx.db, identity, bool(button.on), by=str(ctx.identity), at=ctx.now_iso())
    return await member_view(ctx, identity, ctx.t("staff.saved"))


async def _remove(button: RemoveMember, ctx: Context) -> list[Reply]:
    identity = _identity(ctx)
    if not identity:
        return await _stale(ctx)
    return [ctx.reply("staff.confirm_remove", [ctx.option("staff.remove_yes", RemoveConfirmed.head),
                                               ctx.option("core.cancel_button", MemberBack.head)], identity=identity)]


async def _remove_confirmed(button: RemoveConfirmed, ctx: Context) -> list[Reply]:
    identity = _identity(ctx)
    if not identity:
        return await _stale(ctx)
    result = await stored.remove(ctx.db, identity, by=str(ctx.identity), at=ctx.now_iso(),
                                 keep_province=len(ctx.config.admins))
    if result == "last":
        return await member_view(ctx, identity, ctx.t("staff.last_admin", identity=identity))
    ctx.finish()
    return [ctx.reply("staff.removed", identity=identity),
            *await show_staff(Event(ctx.identity, "command", "staff"), ctx)]


def _identity(ctx: Context) -> str:
    """The member the screen is about (remembered by the step, never carried in a payload)."""
    return str(ctx.data.get("identity", "")) if ctx.step == Step.MEMBER else ""


async def _stale(ctx: Context) -> list[Reply]:
    """"Menu has changed", and the member's screen when one is open, else /staff."""
    if _identity(ctx):
        return [ctx.reply("core.stale"), *await member_view(ctx, _identity(ctx))]
    return [ctx.reply("core.stale"), *await show_staff(Event(ctx.identity, "command", "staff"), ctx)]


ACTIONS = Actions()
ACTIONS.on(OpenMember, _open_member, steps=[Step.LIST])
ACTIONS.on(AddMember, _add)
ACTIONS.on(NewInvite, _new_invite)
ACTIONS.on(InviteCommune, _invite_commune, steps=[Step.INVITE])
ACTIONS.on(InviteSensitive, _invite_sensitive, steps=[Step.INVITE])
ACTIONS.on(MakeInvite, _make_invite, steps=[Step.INVITE])
ACTIONS.on(MemberCommunes, _member_communes, steps=[Step.MEMBER])
ACTIONS.on(MemberCommune, _member_commune, steps=[Step.MEMBER])
ACTIONS.on(MemberBack, _member_back, steps=[Step.MEMBER])
ACTIONS.on(MemberSensitive, _member_sensitive, steps=[Step.MEMBER])
ACTIONS.on(RemoveMember, _remove, steps=[Step.MEMBER])
ACTIONS.on(RemoveConfirmed, _remove_confirmed, steps=[Step.MEMBER])


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """/staff buttons (ACTIONS), for province admins only."""
    if not _province(ctx):
        return _refuse(ctx)
    return await ACTIONS.run(event, ctx) or await _stale(ctx)


async def on_identity(event: Event, ctx: Context) -> list[Reply]:
    """The typed identity of a new staff member: stored with no commune yet, then the commune buttons."""
    back = [ctx.option("staff.back_button", "cmd:staff")]
    if not _province(ctx):
        ctx.finish()
        return _refuse(ctx)
    typed = event.value.strip() if event.kind == "text" else ""
    identity = rights.parse_identity(typed)
    if identity is None:
        return [ctx.reply("staff.bad_identity", back, typed=typed[:40])]
    if ctx.config.is_admin(identity):
        ctx.finish()
        return [ctx.reply("staff.already_admin", back, identity=str(identity))]
    if await stored.get(ctx.db, str(identity)) is None:
        await stored.add(ctx.db, str(identity), communes=frozenset(), sensitive=False, province=False,
                         by=str(ctx.identity), at=ctx.now_iso())
    ctx.goto(Step.MEMBER, identity=str(identity))
    return await communes_view(ctx, str(identity))


async def join(event: Event, ctx: Context) -> list[Reply]:
    """/staff_join CODE: become staff with the rights the invitation gives."""
    back = [ctx.option("core.menu_button", "cmd:menu")]
    code = event.args.strip().replace(" ", "")
    if ctx.staff is not None:
        return [ctx.reply("staff.join_already", [ctx.option("core.admin_button", "cmd:admin")])]
    if not code:
        return [ctx.reply("staff.join_usage", back)]
    member = await stored.redeem_invite(ctx.db, code, str(ctx.identity), ctx.now_iso())
    if member is None:
        return [ctx.reply("staff.join_bad", back)]
    return [ctx.reply("staff.join_done", [ctx.option("core.admin_button", "cmd:admin")],
                      where=_where(ctx, member), sensitive=ctx.t("staff.sensitive_mark") if member.sensitive else "")]


def register(router: Router) -> None:
    """Register /staff (province admins), its buttons and step, and /staff_join (anyone with a code)."""
    router.command("staff", show_staff, staff=True, aliases=("can bo",), describe="staff.cmd_desc")
    router.command("staff_join", join, registered=False)  # not advertised: only those given a code need it
    router.choice("stf", on_choice, staff=True)
    router.step(Step.IDENTITY, on_identity, staff=True)
    router.step("staff", on_step, staff=True)
    router.menu("staff.menu_label", "staff", staff=True, order=90, when=_province)


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed text on a /staff screen: back to the buttons."""
    return [ctx.reply("core.not_understood"), *await show_staff(event, ctx)]

