"""Staff side of voices: /inbox (filter, read, answer, mark, note), /admission (leaders wishing to
be considered for admission, by commune), and the opt-in digest of new items.

Inbox filters and page travel in the button payloads as "t.c.s.p" (kind, commune, status: an
index or "a" for any; page), so the inbox keeps no state of its own and a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import staff as rights
from bot.clock import iso, parse_iso
from bot.content.texts import Texts
from bot.context import Context, Services
from bot.model import Attachment, Event, Option, Reply, attachment_kind
from bot.payload import is_number
from bot.router import Router
from bot.store import voices
from bot.textutil import clean_block
from handlers import scope
from handlers.aspiration import helps_text
from handlers.feedback import excerpt, has_content, local_time, media_summary, number
from handlers.onboarding import profile_lines

PAGE_SIZE = 5
FILTER_PAGE = 20
FOLLOWUP_PAGE = 25
ANSWER_LIMIT = 2000
NOTE_LIMIT = 1000
DIGEST_ITEMS = 10
DIGEST_CHECK_SECONDS = 60.0  # the job is cheap; windows of CAUNOI_DIGEST_MINUTES decide what is sent


@dataclass(frozen=True)
class View:
    """Inbox filters and page: index into KINDS / the communes list / STATUSES, or None for any."""

    kind: int | None = None
    commune: int | None = None
    status: int | None = None
    page: int = 0

    def code(self) -> str:
        """As carried in payloads."""
        return ".".join("a" if v is None else str(v) for v in (self.kind, self.commune, self.status)) + f".{self.page}"

    @classmethod
    def parse(cls, code: str) -> View:
        """Inverse of code(); anything malformed reads as "any"."""
        parts = [*code.split("."), "", "", "", ""][:4]

        def index(value: str) -> int | None:
            return int(value) if is_number(value) and len(value) < 6 else None

        return cls(index(parts[0]), index(parts[1]), index(parts[2]), index(parts[3]) or 0)


def who(ctx: Context, name: str | None, role: str | None, association: str | None,
        commune: str | None, hamlet: str | None) -> str:
    """"Nguyễn Văn An — Trưởng thôn, Thôn 1, Xã Hương Khê"."""
    fields = profile_lines(ctx, name, role, association, commune, hamlet, None)
    return ctx.t("inbox.who", name=fields["name"], role=fields["role"], hamlet=fields["hamlet"],
                 commune=fields["commune"])


def who_with_phone(ctx: Context, item: voices.Voice) -> str:
    """`who`, and the leader's phone: staff see only items of leaders their scope covers, and want to call."""
    phone = ctx.t("inbox.followup_phone", phone=item.phone) if item.phone and scope.covers(ctx, item.commune) else ""
    return who(ctx, item.name, item.role, item.association, item.commune, item.hamlet) + phone


async def show_inbox(event: Event, ctx: Context) -> list[Reply]:
    """/inbox: newest items first, unfiltered."""
    ctx.finish()
    return [await inbox_page(ctx, View())]


async def inbox_page(ctx: Context, view: View) -> Reply:
    """One page of the inbox under `view`'s filters, with item, filter, page and digest buttons."""
    kind = voices.KINDS[view.kind] if view.kind is not None and view.kind < len(voices.KINDS) else None
    commune = None
    if view.commune is not None:  # the communes list is only needed to name the chosen one
        communes = await voices.communes(ctx.db, scope.communes(ctx))
        commune = communes[view.commune] if view.commune < len(communes) else None
    status = voices.STATUSES[view.status] if view.status is not None and view.status < len(voices.STATUSES) else None
    total, page, items = await voices.inbox(ctx.db, kind=kind, commune=commune, status=status, limit=PAGE_SIZE,
                                            page=view.page, scope=scope.communes(ctx))
    pages = max(1, -(-total // PAGE_SIZE))
    view = View(None if kind is None else view.kind, None if commune is None else view.commune,
                None if status is None else view.status, page)
    labels = {
        "kind": ctx.t(f"feedback.kinds.{kind}") if kind else ctx.t("inbox.any"),
        "commune": commune or ctx.t("inbox.any"),
        "status": ctx.t(f"feedback.statuses.{status}") if status else ctx.t("inbox.any"),
    }
    code = view.code()
    options = [ctx.option("inbox.open_button", f"ib:o:{item.id}:{code}", id=item.id) for item in items]
    options += ctx.pager(view.page, pages, lambda p: f"ib:l:{replace(view, page=p).code()}")
    options += [ctx.option("inbox.filter_kind_button", f"ib:ft:{code}"),
                ctx.option("inbox.filter_commune_button", f"ib:fc:{code}"),
                ctx.option("inbox.filter_status_button", f"ib:fs:{code}")]
    minutes = ctx.config.digest_minutes
    if await voices.digest_enabled(ctx.db, ctx.person.id):
        options.append(ctx.option("inbox.digest_off_button", f"ib:dg:0:{code}"))
    else:
        options.append(ctx.option("inbox.digest_on_button", f"ib:dg:1:{code}", minutes=minutes))
    if scope.sensitive(ctx):
        options.append(ctx.option("inbox.followup_button", "cmd:admission"))
    options.append(ctx.option("core.menu_button", "cmd:admin"))
    if not items:
        return ctx.reply("inbox.empty", options, **labels)
    lines = [ctx.t("inbox.title", total=total, page=view.page + 1, pages=pages, **labels)]
    for item in items:
        body = excerpt(item.body, 160) if item.body else media_summary(ctx, item.media)
        lines.append(ctx.t("inbox.line", id=item.id, status=ctx.t(f"feedback.statuses.{item.status}"),
                           kind=ctx.t(f"feedback.kinds.{item.kind}"), when=local_time(ctx, item.created_at),
                           who=who_with_phone(ctx, item), excerpt=body))
    return Reply("\n\n".join(lines), options, columns=1)


async def item_view(ctx: Context, voice_id: int, view: View, notice: str | None = None) -> list[Reply]:
    """One item in full, with its answers and notes, and what staff can do with it."""
    item = await voices.get(ctx.db, voice_id, scope.communes(ctx))
    if item is None:
        ctx.finish()
        if await voices.get(ctx.db, voice_id) is not None:  # another commune's item: as if not staff
            return scope.refused(ctx)
        return [ctx.reply("inbox.gone"), await inbox_page(ctx, view)]
    code = view.code()
    attached = ""
    if item.media:
        attached = ctx.t("inbox.item_attached", items=media_summary(ctx, item.media))
    lines = [ctx.t("inbox.item", id=item.id, kind=ctx.t(f"feedback.kinds.{item.kind}"),
                   status=ctx.t(f"feedback.statuses.{item.status}"),
                   who=who_with_phone(ctx, item),
                   when=local_time(ctx, item.created_at), body=item.body or ctx.t("inbox.item_no_text"),
                   attached=attached)]
    for entry in (await voices.entries(ctx.db, [item.id], notes=True)).get(item.id, []):
        lines.append(ctx.t(f"inbox.entry_{entry.kind}", author=entry.author_name or ctx.t("inbox.staff_unknown"),
                           when=local_time(ctx, entry.created_at), body=entry.body))
    options = [ctx.option("inbox.answer_button", f"ib:a:{item.id}:{code}"),
               ctx.option("inbox.note_button", f"ib:n:{item.id}:{code}")]
    if item.status in ("new", "answered"):
        options.append(ctx.option("inbox.in_progress_button", f"ib:s:{item.id}:1:{code}"))
    if item.status != "done":
        options.append(ctx.option("inbox.done_button", f"ib:s:{item.id}:3:{code}"))
    else:
        options.append(ctx.option("inbox.reopen_button", f"ib:s:{item.id}:1:{code}"))
    options += [ctx.option("inbox.file_button", f"ib:f:{item.id}:{n}:{code}", number=n + 1)
                for n in range(len(item.media))]
    options.append(ctx.option("inbox.back_button", f"ib:l:{code}"))
    reply = Reply("\n\n".join(lines), options)
    return [Reply(notice), reply] if notice else [reply]


async def show_file(ctx: Context, voice_id: int, index: int, view: View) -> list[Reply]:
    """Pass on a photo or voice note a leader attached, by the channel's reference to it."""
    item = await voices.get(ctx.db, voice_id, scope.communes(ctx))
    if item is None or not 0 <= index < len(item.media):
        return await item_view(ctx, voice_id, view)
    kind, ref = item.media[index]
    attachment = Attachment(f"tep-{voice_id}-{index + 1}", b"", attachment_kind(kind),
                            ref=ref, ref_channel=item.channel or "")
    back = [ctx.option("inbox.back_to_item", f"ib:o:{voice_id}:{view.code()}")]
    reply = ctx.reply("inbox.file_caption", back, id=voice_id, number=index + 1)
    reply.attachment = attachment
    return [reply]


def filter_menu(ctx: Context, what: str, view: View, labels: list[str], page: int = 0) -> Reply:
    """Buttons to pick one value of a filter (or all), FILTER_PAGE at a time (Telegram allows 100 buttons)."""
    def with_value(index: int | None) -> str:
        field = {"ft": "kind", "fc": "commune", "fs": "status"}[what]
        return replace(view, page=0, **{field: index}).code()

    pages = max(1, -(-len(labels) // FILTER_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * FILTER_PAGE
    options = [Option(label[:60], f"ib:l:{with_value(i)}")
               for i, label in enumerate(labels[first:first + FILTER_PAGE], start=first)]
    options += ctx.pager(page, pages, lambda p: f"ib:{what}:{view.code()}:{p}")
    options.append(ctx.option("inbox.filter_all", f"ib:l:{with_value(None)}"))
    key = {"ft": "inbox.choose_kind", "fc": "inbox.choose_commune", "fs": "inbox.choose_status"}[what]
    return ctx.reply(key, options)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every inbox button: ib:<action>:…:<view code>."""
    parts = event.value.split(":")
    action = parts[1] if len(parts) > 1 else ""
    view = View.parse(parts[-1]) if len(parts) > 2 else View()
    voice_id = int(parts[2]) if len(parts) > 3 and is_number(parts[2]) else 0
    if action == "l":
        ctx.finish()
        return [await inbox_page(ctx, view)]
    if action == "ft":
        return [filter_menu(ctx, action, view, [ctx.t(f"feedback.kinds.{k}") for k in voices.KINDS])]
    if action == "fc":
        page = int(parts[3]) if len(parts) > 3 and is_number(parts[3]) else 0
        return [filter_menu(ctx, action, View.parse(parts[2]), await voices.communes(ctx.db, scope.communes(ctx)),
                            page)]
    if action == "fs":
        return [filter_menu(ctx, action, view, [ctx.t(f"feedback.statuses.{s}") for s in voices.STATUSES])]
    if action == "dg" and len(parts) > 3:
        on = parts[2] == "1"
        await voices.set_digest(ctx.db, ctx.person.id, on, ctx.now_iso())
        notice = ctx.reply("inbox.digest_on" if on else "inbox.digest_off", minutes=ctx.config.digest_minutes)
        return [notice, await inbox_page(ctx, view)]
    if action == "o":
        ctx.finish()
        return await item_view(ctx, voice_id, view)
    if action == "f" and len(parts) > 4 and is_number(parts[3]):
        return await show_file(ctx, voice_id, int(parts[3]), view)
    if action in ("s", "a", "n", "as") and await voices.get(ctx.db, voice_id, scope.communes(ctx)) is None:
        return await item_view(ctx, voice_id, view)  # gone, or another commune's: refused there
    if action == "s" and len(parts) > 4 and is_number(parts[3]) and int(parts[3]) < len(voices.STATUSES):
        status = voices.STATUSES[int(parts[3])]
        if not await voices.set_status(ctx.db, voice_id, status, ctx.now_iso()):
            return await item_view(ctx, voice_id, view)
        done = ctx.t("inbox.status_set", id=voice_id, status=ctx.t(f"feedback.statuses.{status}"))
        return await item_view(ctx, voice_id, view, done)
    if action in ("a", "n"):
        item = await voices.get(ctx.db, voice_id)
        if item is None:
            return await item_view(ctx, voice_id, view)
        cancel = [ctx.option("inbox.cancel_button", f"ib:o:{voice_id}:{view.code()}")]
        if action == "a":
            ctx.goto("inbox.answer", id=voice_id, view=view.code(), name=item.name or "")
            return [ctx.reply("inbox.ask_answer", cancel, id=voice_id, limit=number(ANSWER_LIMIT),
                              name=item.name or ctx.t("inbox.unknown"))]
        ctx.goto("inbox.note", id=voice_id, view=view.code())
        return [ctx.reply("inbox.ask_note", cancel, id=voice_id, limit=number(NOTE_LIMIT))]
    if action == "as" and ctx.step == "inbox.answer_ok" and ctx.data.get("id") == voice_id:
        return await send_answer(ctx, voice_id, view, str(ctx.data.get("body", "")))
    return [Reply(ctx.t("core.stale")), await inbox_page(ctx, view)]


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """The typed answer or internal note."""
    voice_id = int(ctx.data.get("id", 0))
    view = View.parse(str(ctx.data.get("view", "")))
    if event.kind != "text":
        return [ctx.reply("inbox.media_instead")]
    text = clean_block(event.value)
    limit = NOTE_LIMIT if ctx.step == "inbox.note" else ANSWER_LIMIT
    if not has_content(text):
        return [ctx.reply("inbox.text_empty")]
    if len(text) > limit:
        return [ctx.reply("inbox.text_too_long", length=number(len(text)), limit=number(limit))]
    author = ctx.person.name or event.display_name or None
    if await voices.get(ctx.db, voice_id, scope.communes(ctx)) is None:  # the leader moved away meanwhile
        ctx.finish()
        return await item_view(ctx, voice_id, view)
    if ctx.step == "inbox.note":
        ctx.finish()
        if not await voices.add_note(ctx.db, voice_id, ctx.person.id, author, text, ctx.now_iso()):
            return await item_view(ctx, voice_id, view)
        return await item_view(ctx, voice_id, view, ctx.t("inbox.noted"))
    if ctx.step in ("inbox.answer", "inbox.answer_ok"):
        name = str(ctx.data.get("name") or "") or ctx.t("inbox.unknown")
        ctx.goto("inbox.answer_ok", id=voice_id, view=view.code(), name=name, body=text, author=author)
        code = view.code()
        return [ctx.reply("inbox.answer_preview",
                          [ctx.option("inbox.send_button", f"ib:as:{voice_id}:{code}"),
                           ctx.option("inbox.edit_button", f"ib:a:{voice_id}:{code}"),
                           ctx.option("inbox.cancel_button", f"ib:o:{voice_id}:{code}")],
                          columns=3, id=voice_id, name=name, body=text)]
    ctx.finish()
    return [await inbox_page(ctx, view)]


async def send_answer(ctx: Context, voice_id: int, view: View, body: str) -> list[Reply]:
    """Store the answer and queue it to the leader through the outbox, in one transaction."""
    author = ctx.data.get("author")
    ctx.finish()
    item = await voices.get(ctx.db, voice_id, scope.communes(ctx))
    if item is None:
        return await item_view(ctx, voice_id, view)
    message = Reply(
        ctx.t("feedback.answer_message", id=item.id, kind=ctx.t(f"feedback.kinds.{item.kind}"), answer=body,
              excerpt=excerpt(item.body, 200) if item.body else media_summary(ctx, item.media)),
        [ctx.option("feedback.answer_my_button", "cmd:myfeedback")],
    )
    number = await voices.add_answer(ctx.db, voice_id, ctx.person.id, str(author) if author else None, body,
                                     message, ctx.now())
    if number is None:
        return await item_view(ctx, voice_id, view)
    ctx.services.hooks.wake()
    return await item_view(ctx, voice_id, view, ctx.t("inbox.answered", name=item.name or ctx.t("inbox.unknown")))


# --- follow-up list ----------------------------------------------------------------------------

async def show_followup(event: Event, ctx: Context) -> list[Reply]:
    """/admission: how many wish to be considered, per commune, with a button per commune (staff
    given `sensitive` only: aspirations are political opinion)."""
    ctx.finish()
    back = [ctx.option("inbox.menu_label", "cmd:inbox"), ctx.option("core.menu_button", "cmd:admin")]
    if not scope.sensitive(ctx):
        return [ctx.reply("inbox.admission_not_allowed", back)]
    counts = await voices.followup_counts(ctx.db, scope.communes(ctx))
    await scope.record(ctx, "admission.view")
    if not counts:
        return [ctx.reply("inbox.followup_empty", back)]
    lines = [ctx.t("inbox.followup_count", commune=c or ctx.t("inbox.no_commune"), yes=yes, maybe=maybe)
             for c, yes, maybe in counts]
    options = [Option(f"{(c or ctx.t('inbox.no_commune'))[:50]} ({yes + maybe})", f"fu:c:{i}:0")
               for i, (c, yes, maybe) in enumerate(counts)]
    return [ctx.reply("inbox.followup_title", [*options, *back], lines="\n".join(lines))]


async def on_followup(event: Event, ctx: Context) -> list[Reply]:
    """fu:c:<commune index>:<page>: the leaders of one commune, by hamlet."""
    parts = [*event.value.split(":"), "", "", ""][:4]
    if not scope.sensitive(ctx):
        return scope.refused(ctx)
    counts = await voices.followup_counts(ctx.db, scope.communes(ctx))
    index = int(parts[2]) if is_number(parts[2]) else -1
    if not 0 <= index < len(counts):
        return [Reply(ctx.t("core.stale")), *await show_followup(event, ctx)]
    commune = counts[index][0]
    rows = await voices.followup(ctx.db, commune, scope.communes(ctx), any_commune=False)
    await scope.record(ctx, "admission.view", f"commune:{commune or ''}")
    pages = max(1, -(-len(rows) // FOLLOWUP_PAGE))
    page = min(int(parts[3]) if is_number(parts[3]) else 0, pages - 1)
    shown = rows[page * FOLLOWUP_PAGE:(page + 1) * FOLLOWUP_PAGE]
    quiz = await quiz_results(ctx, [r.person_id for r in shown])
    lines = [ctx.t("inbox.followup_commune", commune=commune or ctx.t("inbox.no_commune"), total=len(rows),
                   page=page + 1, pages=pages)]
    hamlet: object = object()
    for row in shown:
        if row.hamlet != hamlet:
            hamlet = row.hamlet
            lines.append(ctx.t("inbox.followup_hamlet", hamlet=row.hamlet or ctx.t("inbox.no_hamlet")))
        fields = profile_lines(ctx, row.name, row.role, row.association, row.commune, row.hamlet, None)
        lines.append(ctx.t(
            "inbox.followup_person", name=fields["name"], role=fields["role"],
            phone=ctx.t("inbox.followup_phone", phone=row.phone) if row.phone else "",
            wish=ctx.t(f"aspiration.wishes.{row.wish}"),
            helps=helps_text(ctx, row.helps, "inbox.followup_helps_none"),
            quiz=ctx.t("inbox.followup_quiz", quiz=quiz[row.person_id]) if row.person_id in quiz else ""))
    options = ctx.pager(page, pages, lambda p: f"fu:c:{index}:{p}")
    options += [ctx.option("inbox.followup_back", "cmd:admission"), ctx.option("core.menu_button", "cmd:admin")]
    return [Reply("\n".join(lines), options)]


async def quiz_results(ctx: Context, person_ids: list[int]) -> dict[int, str]:
    """Each person's quiz results as a short text; empty when the learning feature is not installed."""
    found = await voices.quiz_summaries(ctx.db, person_ids)
    if found is None:
        return {}
    return {pid: ctx.t("inbox.quiz_done", count=found[pid][0], best=found[pid][1], total=found[pid][2])
            if pid in found else ctx.t("inbox.quiz_none") for pid in person_ids}


# --- digest ------------------------------------------------------------------------------------

def _local(tz: ZoneInfo, stamp: str) -> str:
    return parse_iso(stamp).astimezone(tz).strftime("%H:%M %d/%m")


async def digest_job(services: Services) -> None:
    """Queue one summary per opted-in staff member for each closed window with something new."""
    db, config, texts = services.db, services.config, services.content.texts
    now = services.clock.now()
    window = config.digest_minutes * 60
    until = iso(datetime.fromtimestamp(now.timestamp() // window * window, UTC))
    queued = False
    for person_id, since, identities in await voices.digest_subscribers(db):
        if since >= until:
            continue  # this window has not closed yet
        found = [await rights.lookup(db, config, i) for i in identities]
        member = next((f for f in found if f is not None), None)
        if member is None:
            # No longer staff: nothing is sent, and the window moves on so nothing piles up meanwhile.
            await voices.close_digest_window(db, person_id, since, until, None, now)
            continue
        total, items = await voices.created_between(db, since, until, DIGEST_ITEMS, member.commune_filter)
        answers = (await voices.aspirations_between(db, since, until, member.commune_filter)
                   if member.sensitive else 0)
        message = digest_message(texts, config.tz, since, until, total, items, answers) if total or answers else None
        named = [v.person_id for v in items]  # /delete_me of one of them purges this digest
        if await voices.close_digest_window(db, person_id, since, until, message, now, named) and message:
            queued = True
    if queued:
        services.hooks.wake()


def digest_message(texts: Texts, tz: ZoneInfo, since: str, until: str, total: int, items: list[voices.Voice],
                   aspirations: int) -> Reply:
    """One summary: new items (the newest few) and how many survey answers changed — no names for those."""
    part = ""
    if total:
        lines = [texts("inbox.digest_line", id=v.id, kind=texts(f"feedback.kinds.{v.kind}"),
                       name=v.name or texts("inbox.unknown"), commune=v.commune or texts("inbox.unknown"),
                       excerpt=excerpt(v.body, 100) if v.body else "📎") for v in items]
        more = texts("inbox.digest_more", count=total - len(items)) if total > len(items) else ""
        part = texts("inbox.digest_voices", total=total, lines="\n".join(lines), more=more)
    asp = texts("inbox.digest_aspirations", count=aspirations) if aspirations else ""
    return Reply(texts("inbox.digest", since=_local(tz, since), until=_local(tz, until), voices=part, aspirations=asp),
                 [Option(texts("inbox.digest_open_button"), "cmd:inbox")])


def register(router: Router) -> None:
    """Register /inbox, /admission, their buttons and steps, and the digest job."""
    router.command("inbox", show_inbox, staff=True, aliases=("hop thu",), describe="inbox.cmd_desc")
    # /followup is the learning follow-up (handlers/results.py); this list is /admission.
    router.command("admission", show_followup, staff=True, aliases=("theo doi ket nap", "danh sach ket nap"),
                   describe="inbox.followup_cmd_desc")
    router.choice("ib", on_choice, staff=True)
    router.choice("fu", on_followup, staff=True)
    router.step("inbox", on_step, staff=True)
    router.menu("inbox.menu_label", "inbox", staff=True, order=20)
    router.menu("inbox.followup_menu_label", "admission", staff=True, order=21, when=scope.sensitive)
    router.periodic("voices.digest", DIGEST_CHECK_SECONDS, digest_job)
