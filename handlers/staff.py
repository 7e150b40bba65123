"""/staff (province admins): list staff with the last audit entries, add by identity or by a one-time
invitation code (/staff_join CODE), set communes, grant or revoke `sensitive`, remove.

Payloads carry indexes into what the step remembers (never identities), so they stay short and a
forged one names nothing outside the list the admin was shown.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot import staff as rights
from bot.clock import iso, parse_iso
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import number_or
from bot.router import Router
from bot.store import audit
from bot.store import staff as stored

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone
CODE_LENGTH = 12  # 31^12 ≈ 2^59: not guessable within the flood limit
CODE_VALID = timedelta(hours=48)
AUDIT_LINES = 10


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
    ctx.goto("staff.list", ids=[m.identity for m in members])
    lines = [ctx.t("staff.env_line", identity=str(i)) for i in sorted(ctx.config.admins, key=str)]
    lines += [ctx.t("staff.member_line", identity=m.identity, where=_where(ctx, m),
                    sensitive=ctx.t("staff.sensitive_mark") if m.sensitive else "") for m in members]
    entries = await audit.recent(ctx.db, AUDIT_LINES)
    log = [ctx.t("staff.audit_title")] if entries else [ctx.t("staff.audit_none")]
    log += [ctx.t("staff.audit_line", when=_local(ctx, e.at), actor=e.actor, action=e.action, scope=e.scope,
                  subject=e.subject) for e in entries]
    options = [ctx.option("staff.member_button", f"stf:m:{i}", identity=m.identity) for i, m in enumerate(members)]
    options += [ctx.option("staff.add_button", "stf:add"), ctx.option("staff.invite_button", "stf:inv"),
                ctx.option("core.admin_button", "cmd:admin")]
    return [Reply(ctx.t("staff.title", lines="\n".join(lines)) + "\n\n" + "\n".join(log), options)]


async def member_view(ctx: Context, identity: str, notice: str | None = None) -> list[Reply]:
    """One stored staff member: communes, `sensitive`, and the buttons to change them."""
    member = await stored.get(ctx.db, identity)
    if member is None:
        return [ctx.reply("staff.gone"), *await show_staff(Event(ctx.identity, "command", "staff"), ctx)]
    ctx.goto("staff.member", identity=identity)
    options = [ctx.option("staff.communes_button", "stf:c"),
               ctx.option("staff.revoke_button" if member.sensitive else "staff.grant_button",
                          f"stf:s:{0 if member.sensitive else 1}"),
               ctx.option("staff.remove_button", "stf:rm"), ctx.option("staff.back_button", "cmd:staff")]
    text = ctx.t("staff.member", identity=member.identity, where=_where(ctx, member),
                 sensitive=ctx.t("staff.yes_word" if member.sensitive else "staff.no_word"), added_by=member.added_by,
                 added_at=_local(ctx, member.added_at))
    return [*([Reply(notice)] if notice else []), Reply(text, options)]


def _commune_toggles(ctx: Context, chosen: frozenset[str], prefix: str) -> list[Option]:
    return [ctx.option("staff.commune_on" if c.name in chosen else "staff.commune_off", f"{prefix}:{i}",
                       name=c.name) for i, c in enumerate(ctx.content.units.communes)]


async def communes_view(ctx: Context, identity: str) -> list[Reply]:
    """Commune buttons from units.yaml, each press saved at once."""
    member = await stored.get(ctx.db, identity)
    if member is None:
        return await member_view(ctx, identity)
    options = [*_commune_toggles(ctx, member.communes, "stf:ct"), ctx.option("staff.done_button", "stf:back")]
    return [ctx.reply("staff.ask_communes", options, identity=identity)]


def invite_view(ctx: Context) -> list[Reply]:
    """Choose the communes (and `sensitive`) of an invitation code, then make it."""
    chosen = frozenset(ctx.data.get("communes", []))
    options = _commune_toggles(ctx, chosen, "stf:ic")
    sensitive = bool(ctx.data.get("sensitive"))
    options += [ctx.option("staff.invite_sensitive_on" if sensitive else "staff.invite_sensitive_off", "stf:is"),
                ctx.option("staff.invite_make", "stf:ig"), ctx.option("staff.back_button", "cmd:staff")]
    return [ctx.reply("staff.invite_communes", options)]


async def make_invite(ctx: Context) -> list[Reply]:
    """A new one-time code; only its hash is stored."""
    communes = frozenset(ctx.data.get("communes", []))
    if not communes:
        return [ctx.reply("staff.invite_need_commune"), *invite_view(ctx)]
    sensitive = bool(ctx.data.get("sensitive"))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    until = ctx.now() + CODE_VALID
    await stored.create_invite(ctx.db, code, communes=communes, sensitive=sensitive, province=False,
                               by=str(ctx.identity), at=ctx.now_iso(), expires_at=iso(until))
    ctx.finish()
    return [ctx.reply("staff.invite_made", [ctx.option("staff.back_button", "cmd:staff")], code=code,
                      until=_local(ctx, iso(until)), where=_where(ctx, communes=communes),
                      sensitive=ctx.t("staff.sensitive_mark") if sensitive else "")]


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """stf:m:<i> | add | inv | c | ct:<i> | s:<0|1> | rm | rmok | back | ic:<i> | is | ig."""
    if not _province(ctx):
        return _refuse(ctx)
    parts = event.value.split(":")
    action = parts[1] if len(parts) > 1 else ""
    number = number_or(parts[2], -1) if len(parts) > 2 else -1
    step, identity = ctx.step or "", str(ctx.data.get("identity", ""))
    communes = ctx.content.units.communes
    if action == "m" and step == "staff.list" and 0 <= number < len(ctx.data.get("ids", [])):
        return await member_view(ctx, str(ctx.data["ids"][number]))
    if action == "add":
        ctx.goto("staff.identity")
        return [ctx.reply("staff.ask_identity", [ctx.option("staff.back_button", "cmd:staff")])]
    if action == "inv":
        ctx.goto("staff.invite", communes=[], sensitive=False)
        return invite_view(ctx)
    if step == "staff.invite":
        if action == "ic" and 0 <= number < len(communes):
            chosen = set(ctx.data.get("communes", [])) ^ {communes[number].name}
            ctx.remember(communes=sorted(chosen))
            return invite_view(ctx)
        if action == "is":
            ctx.remember(sensitive=not ctx.data.get("sensitive"))
            return invite_view(ctx)
        if action == "ig":
            return await make_invite(ctx)
    if step == "staff.member" and identity:
        return await _member_action(ctx, action, number, identity)
    return [ctx.reply("core.stale"), *await show_staff(event, ctx)]


async def _member_action(ctx: Context, action: str, number: int, identity: str) -> list[Reply]:
    by, at = str(ctx.identity), ctx.now_iso()
    communes = ctx.content.units.communes
    if action == "c":
        return await communes_view(ctx, identity)
    if action == "ct" and 0 <= number < len(communes):
        member = await stored.get(ctx.db, identity)
        if member is None:
            return await member_view(ctx, identity)
        await stored.set_communes(ctx.db, identity, member.communes ^ {communes[number].name}, by=by, at=at)
        return await communes_view(ctx, identity)
    if action == "back":
        return await member_view(ctx, identity)
    if action == "s" and number in (0, 1):
        await stored.set_sensitive(ctx.db, identity, bool(number), by=by, at=at)
        return await member_view(ctx, identity, ctx.t("staff.saved"))
    if action == "rm":
        return [ctx.reply("staff.confirm_remove", [ctx.option("staff.remove_yes", "stf:rmok"),
                                                   ctx.option("core.cancel_button", "stf:back")], identity=identity)]
    if action == "rmok":
        result = await stored.remove(ctx.db, identity, by=by, at=at, keep_province=len(ctx.config.admins))
        if result == "last":
            return await member_view(ctx, identity, ctx.t("staff.last_admin", identity=identity))
        ctx.finish()
        return [ctx.reply("staff.removed", identity=identity),
                *await show_staff(Event(ctx.identity, "command", "staff"), ctx)]
    return [ctx.reply("core.stale"), *await member_view(ctx, identity)]


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
    ctx.goto("staff.member", identity=str(identity))
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
    router.step("staff.identity", on_identity, staff=True)
    router.step("staff", on_step, staff=True)
    router.menu("staff.menu_label", "staff", staff=True, order=90, when=_province)


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed text on a /staff screen: back to the buttons."""
    return [ctx.reply("core.not_understood"), *await show_staff(event, ctx)]

