"""Staff side of voices: /inbox (filter, read, answer, mark, note) and the opt-in digest of new
items (/admission, the leaders wishing to be considered for admission, is handlers/admission.py).

Inbox filters and page travel in the button payloads as "t.c.s.p" (kind, commune, status: an
index or "a" for any; page), so the inbox keeps no state of its own and a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import staff as rights
from bot.callback import Actions
from bot.clock import iso, parse_iso
from bot.content.texts import Texts
from bot.context import Context, Services
from bot.model import Attachment, Event, Option, Reply, attachment_kind
from bot.payload import is_number
from bot.router import Router
from bot.store import voices
from bot.textutil import clean_block
from handlers import scope
from handlers.feedback import excerpt, has_content, local_time, media_summary, number
from handlers.inbox_buttons import (
    Answer,
    Digest,
    FilterCommune,
    FilterKind,
    FilterStatus,
    ListPage,
    Note,
    OpenItem,
    SendAnswer,
    SetStatus,
    ShowFile,
    Step,
)
from handlers.onboarding import profile_lines

PAGE_SIZE = 5
FILTER_PAGE = 20
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


async def _filters(ctx: Context, view: View) -> tuple[str | None, str | None, str | None]:
    """The kind, commune and status `view` names (None: any, also for an index out of range)."""
    kind = voices.KINDS[view.kind] if view.kind is not None and view.kind < len(voices.KINDS) else None
    commune = None
    if view.commune is not None:  # the communes list is only needed to name the chosen one
        communes = await voices.communes(ctx.db, scope.communes(ctx))
        commune = communes[view.commune] if view.commune < len(communes) else None
    status = voices.STATUSES[view.status] if view.status is not None and view.status < len(voices.STATUSES) else None
    return kind, commune, status


async def inbox_page(ctx: Context, view: View) -> Reply:
    """One page of the inbox under `view`'s filters, with item, filter, page and digest buttons."""
    kind, commune, status = await _filters(ctx, view)
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
    options = [ctx.option("inbox.open_button", OpenItem(item.id, code).pack(), id=item.id) for item in items]
    options += ctx.pager(view.page, pages, lambda p: ListPage(replace(view, page=p).code()).pack())
    options += [ctx.option("inbox.filter_kind_button", FilterKind(code).pack()),
                ctx.option("inbox.filter_commune_button", FilterCommune(code).pack()),
                ctx.option("inbox.filter_status_button", FilterStatus(code).pack())]
    minutes = ctx.config.digest_minutes
    if await voices.digest_enabled(ctx.db, ctx.person.id):
        options.append(ctx.option("inbox.digest_off_button", Digest(0, code).pack()))
    else:
        options.append(ctx.option("inbox.digest_on_button", Digest(1, code).pack(), minutes=minutes))
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
    options = [ctx.option("inbox.answer_button", Answer(item.id, code).pack()),
               ctx.option("inbox.note_button", Note(item.id, code).pack())]
    if item.status in ("new", "answered"):
        options.append(ctx.option("inbox.in_progress_button", SetStatus(item.id, 1, code).pack()))
    if item.status != "done":
        options.append(ctx.option("inbox.done_button", SetStatus(item.id, 3, code).pack()))
    else:
        options.append(ctx.option("inbox.reopen_button", SetStatus(item.id, 1, code).pack()))
    options += [ctx.option("inbox.file_button", ShowFile(item.id, n, code).pack(), number=n + 1)
                for n in range(len(item.media))]
    options.append(ctx.option("inbox.back_button", ListPage(code).pack()))
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
    back = [ctx.option("inbox.back_to_item", OpenItem(voice_id, view.code()).pack())]
    reply = ctx.reply("inbox.file_caption", back, id=voice_id, number=index + 1)
    reply.attachment = attachment
    return [reply]


Filter = type[FilterKind] | type[FilterCommune] | type[FilterStatus]
FILTERS: dict[Filter, tuple[str, str]] = {  # kind -> the View field it sets, the question
    FilterKind: ("kind", "inbox.choose_kind"),
    FilterCommune: ("commune", "inbox.choose_commune"),
    FilterStatus: ("status", "inbox.choose_status"),
}


def filter_menu(ctx: Context, what: Filter, view: View, labels: list[str], page: int = 0) -> Reply:
    """Buttons to pick one value of a filter (or all), FILTER_PAGE at a time (Telegram allows 100 buttons)."""
    field, key = FILTERS[what]

    def with_value(index: int | None) -> str:
        return replace(view, page=0, **{field: index}).code()

    pages = max(1, -(-len(labels) // FILTER_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * FILTER_PAGE
    options = [Option(label[:60], ListPage(with_value(i)).pack())
               for i, label in enumerate(labels[first:first + FILTER_PAGE], start=first)]
    options += ctx.pager(page, pages, lambda p: what(view.code(), p).pack())
    options.append(ctx.option("inbox.filter_all", ListPage(with_value(None)).pack()))
    return ctx.reply(key, options)


async def _list(button: ListPage, ctx: Context) -> list[Reply]:
    ctx.finish()
    return [await inbox_page(ctx, View.parse(button.view))]


async def _filter_kind(button: FilterKind, ctx: Context) -> list[Reply]:
    labels = [ctx.t(f"feedback.kinds.{k}") for k in voices.KINDS]
    return [filter_menu(ctx, FilterKind, View.parse(button.view), labels, button.page)]


async def _filter_commune(button: FilterCommune, ctx: Context) -> list[Reply]:
    labels = await voices.communes(ctx.db, scope.communes(ctx))
    return [filter_menu(ctx, FilterCommune, View.parse(button.view), labels, button.page)]


async def _filter_status(button: FilterStatus, ctx: Context) -> list[Reply]:
    labels = [ctx.t(f"feedback.statuses.{s}") for s in voices.STATUSES]
    return [filter_menu(ctx, FilterStatus, View.parse(button.view), labels, button.page)]


async def _digest(button: Digest, ctx: Context) -> list[Reply]:
    on = button.on == 1
    await voices.set_digest(ctx.db, ctx.person.id, on, ctx.now_iso())
    notice = ctx.reply("inbox.digest_on" if on else "inbox.digest_off", minutes=ctx.config.digest_minutes)
    return [notice, await inbox_page(ctx, View.parse(button.view))]


async def _open(button: OpenItem, ctx: Context) -> list[Reply]:
    ctx.finish()
    return await item_view(ctx, button.voice_id, View.parse(button.view))


async def _file(button: ShowFile, ctx: Context) -> list[Reply]:
    return await show_file(ctx, button.voice_id, button.index, View.parse(button.view))


async def _status(button: SetStatus, ctx: Context) -> list[Reply]:
    voice_id, view = button.voice_id, View.parse(button.view)
    if await voices.get(ctx.db, voice_id, scope.communes(ctx)) is None:
        return await item_view(ctx, voice_id, view)  # gone, or another commune's: refused there
    if button.status >= len(voices.STATUSES):
        return await _stale(ctx, view)
    status = voices.STATUSES[button.status]
    if not await voices.set_status(ctx.db, voice_id, status, ctx.now_iso()):
        return await item_view(ctx, voice_id, view)
    done = ctx.t("inbox.status_set", id=voice_id, status=ctx.t(f"feedback.statuses.{status}"))
    return await item_view(ctx, voice_id, view, done)


async def _answer(button: Answer, ctx: Context) -> list[Reply]:
    return await _ask_text(ctx, Step.ANSWER, button.voice_id, View.parse(button.view))


async def _note(button: Note, ctx: Context) -> list[Reply]:
    return await _ask_text(ctx, Step.NOTE, button.voice_id, View.parse(button.view))


async def _ask_text(ctx: Context, step: str, voice_id: int, view: View) -> list[Reply]:
    """Ask for the answer or the note about one item this staff member may see."""
    item = await voices.get(ctx.db, voice_id, scope.communes(ctx))
    if item is None:
        return await item_view(ctx, voice_id, view)  # gone, or another commune's: refused there
    cancel = [ctx.option("inbox.cancel_button", OpenItem(voice_id, view.code()).pack())]
    if step == Step.ANSWER:
        ctx.goto(Step.ANSWER, id=voice_id, view=view.code(), name=item.name or "")
        return [ctx.reply("inbox.ask_answer", cancel, id=voice_id, limit=number(ANSWER_LIMIT),
                          name=item.name or ctx.t("inbox.unknown"))]
    ctx.goto(Step.NOTE, id=voice_id, view=view.code())
    return [ctx.reply("inbox.ask_note", cancel, id=voice_id, limit=number(NOTE_LIMIT))]


async def _send(button: SendAnswer, ctx: Context) -> list[Reply]:
    voice_id, view = button.voice_id, View.parse(button.view)
    if await voices.get(ctx.db, voice_id, scope.communes(ctx)) is None:
        return await item_view(ctx, voice_id, view)  # gone, or another commune's: refused there
    if ctx.step != Step.ANSWER_PREVIEW or ctx.data.get("id") != voice_id:
        return await _stale(ctx, view)
    return await send_answer(ctx, voice_id, view, str(ctx.data.get("body", "")))


async def _stale(ctx: Context, view: View) -> list[Reply]:
    return [Reply(ctx.t("core.stale")), await inbox_page(ctx, view)]


ACTIONS = Actions()
ACTIONS.on(ListPage, _list)
ACTIONS.on(FilterKind, _filter_kind)
ACTIONS.on(FilterCommune, _filter_commune)
ACTIONS.on(FilterStatus, _filter_status)
ACTIONS.on(Digest, _digest)
ACTIONS.on(OpenItem, _open)
ACTIONS.on(ShowFile, _file)
ACTIONS.on(SetStatus, _status)
ACTIONS.on(Answer, _answer)
ACTIONS.on(Note, _note)
ACTIONS.on(SendAnswer, _send)  # its step is checked after the item: a gone item says so


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every inbox button (ACTIONS); one not understood gets "menu has changed" and the inbox."""
    replies = await ACTIONS.run(event, ctx)
    if replies is not None:
        return replies
    parts = event.value.split(":")
    return await _stale(ctx, View.parse(parts[-1]) if len(parts) > 2 else View())


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """The typed answer or internal note."""
    voice_id = int(ctx.data.get("id", 0))
    view = View.parse(str(ctx.data.get("view", "")))
    if event.kind != "text":
        return [ctx.reply("inbox.media_instead")]
    text = clean_block(event.value)
    limit = NOTE_LIMIT if ctx.step == Step.NOTE else ANSWER_LIMIT
    if not has_content(text):
        return [ctx.reply("inbox.text_empty")]
    if len(text) > limit:
        return [ctx.reply("inbox.text_too_long", length=number(len(text)), limit=number(limit))]
    author = ctx.person.name or event.display_name or None
    if await voices.get(ctx.db, voice_id, scope.communes(ctx)) is None:  # the leader moved away meanwhile
        ctx.finish()
        return await item_view(ctx, voice_id, view)
    if ctx.step == Step.NOTE:
        ctx.finish()
        if not await voices.add_note(ctx.db, voice_id, ctx.person.id, author, text, ctx.now_iso()):
            return await item_view(ctx, voice_id, view)
        return await item_view(ctx, voice_id, view, ctx.t("inbox.noted"))
    if ctx.step in (Step.ANSWER, Step.ANSWER_PREVIEW):
        name = str(ctx.data.get("name") or "") or ctx.t("inbox.unknown")
        ctx.goto(Step.ANSWER_PREVIEW, id=voice_id, view=view.code(), name=name, body=text, author=author)
        code = view.code()
        return [ctx.reply("inbox.answer_preview",
                          [ctx.option("inbox.send_button", SendAnswer(voice_id, code).pack()),
                           ctx.option("inbox.edit_button", Answer(voice_id, code).pack()),
                           ctx.option("inbox.cancel_button", OpenItem(voice_id, code).pack())],
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
    """Register /inbox, its buttons and steps, and the digest job."""
    router.command("inbox", show_inbox, staff=True, aliases=("hop thu",), describe="inbox.cmd_desc")
    router.choice("ib", on_choice, staff=True)
    router.step("inbox", on_step, staff=True)
    router.menu("inbox.menu_label", "inbox", staff=True, order=20)
    router.periodic("voices.digest", DIGEST_CHECK_SECONDS, digest_job)
