"""Leaders' voices (/feedback, /myfeedback): a difficulty, concern, suggestion or wish, typed or
sent as a photo / voice note, shown back with Gửi / Sửa / Hủy before it is saved.

The draft lives in the conversation state until it is sent, so nothing typed is lost: text
over the limit is kept whole, and the part beyond the limit can be sent right after the first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from bot.callback import Actions, Payload
from bot.clock import parse_iso
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.router import Router
from bot.store import voices
from bot.textutil import clean_block, clean_line, split_text

TEXT_LIMIT = 3000
MEDIA_LIMIT_MB = 20
MEDIA_PER_ITEM = 5
MEDIA_KINDS = ("photo", "voice", "audio", "video", "video_note", "document")
PAGE_SIZE = 3
EXCERPT = 500


class Step:
    """Writing a voice: the text (or media), the preview, then the rest of an over-long text."""

    TEXT = "feedback.text"
    CONFIRM = "feedback.confirm"
    REST = "feedback.rest"


@dataclass(frozen=True)
class ChooseKind(Payload, head="fb:k"):
    """One of voices.KINDS."""

    kind: str


@dataclass(frozen=True)
class MyPage(Payload, head="fb:my"):
    """A page of /myfeedback."""

    page: int = 0


@dataclass(frozen=True)
class Cancel(Payload, head="fb:cancel"):
    """Drop the draft."""


@dataclass(frozen=True)
class Send(Payload, head="fb:send"):
    """Send the draft previewed."""


@dataclass(frozen=True)
class Edit(Payload, head="fb:edit"):
    """Type the text again."""


@dataclass(frozen=True)
class SendHead(Payload, head="fb:head"):
    """Send the first TEXT_LIMIT characters of an over-long text, keep the rest."""


@dataclass(frozen=True)
class Rewrite(Payload, head="fb:rewrite"):
    """Write a shorter text instead."""


@dataclass(frozen=True)
class SendRest(Payload, head="fb:rest"):
    """Go on with the rest kept."""


@dataclass(frozen=True)
class DropRest(Payload, head="fb:droprest"):
    """Forget the rest kept."""


def local_time(ctx: Context, stamp: str) -> str:
    """A stored UTC time as local wall time (CAUNOI_TZ), e.g. 08:05 01/12/2026."""
    return parse_iso(stamp).astimezone(ctx.config.tz).strftime("%H:%M %d/%m/%Y")


def excerpt(text: str, limit: int) -> str:
    """The text on one line, cut at a word boundary to `limit` characters."""
    line = clean_line(text)
    if len(line) <= limit:
        return line
    return split_text(line, limit - 1)[0] + "…"


def media_summary(ctx: Context, media: list[Any]) -> str:
    """"1 ảnh, 2 tin nhắn thoại"."""
    counts = Counter(str(kind) for kind, _ in media)
    return ", ".join(f"{n} {ctx.t(f'feedback.media.{kind}')}" for kind, n in counts.items())


def number(value: int) -> str:
    """Vietnamese thousands separator: 3000 -> "3.000"."""
    return f"{value:,}".replace(",", ".")


def has_content(text: str) -> bool:
    """Whether typed text says something (letters or digits, not only spaces, emoji or dots)."""
    return any(ch.isalnum() for ch in text)


async def start(event: Event, ctx: Context) -> list[Reply]:
    """/feedback: choose what to send."""
    ctx.finish()
    options = [Option(ctx.t(f"feedback.kind_buttons.{kind}"), ChooseKind(kind).pack()) for kind in voices.KINDS]
    options += [ctx.option("feedback.my_button", "cmd:myfeedback"), ctx.option("core.menu_button", "cmd:menu")]
    return [ctx.reply("feedback.choose_kind", options)]


def ask_text(ctx: Context) -> Reply:
    """Ask for the text (or media) of the chosen kind."""
    kind = ctx.t(f"feedback.kinds.{ctx.data['kind']}")
    reply = ctx.reply("feedback.ask_text", [ctx.option("feedback.cancel_button", Cancel.head)],
                      kind=kind, limit=number(TEXT_LIMIT))
    if ctx.data["kind"] == "nguyen_vong":  # free text may carry political opinion: say who reads it
        reply = replace(reply, text=f"{reply.text}\n\n{ctx.t('feedback.nguyen_vong_note')}")
    return reply


def preview(ctx: Context, notice: str | None = None) -> list[Reply]:
    """Show the draft back with Gửi / Sửa / Hủy."""
    ctx.goto(Step.CONFIRM, **ctx.data)
    data = ctx.data
    media = list(data.get("media", []))
    attached = ctx.t("feedback.attached", items=media_summary(ctx, media)) if media else ""
    reply = ctx.reply(
        "feedback.preview",
        [ctx.option("feedback.send_button", Send.head), ctx.option("feedback.edit_button", Edit.head),
         ctx.option("feedback.cancel_button", Cancel.head)],
        columns=3, kind=ctx.t(f"feedback.kinds.{data['kind']}"),
        body=data.get("body") or ctx.t("feedback.preview_no_text"), attached=attached,
    )
    return [Reply(notice), reply] if notice else [reply]


def too_long(ctx: Context, draft: str) -> list[Reply]:
    """Keep the whole draft and offer to send the first part now and the rest next."""
    ctx.goto(Step.TEXT, **{**ctx.data, "draft": draft})
    limit = number(TEXT_LIMIT)
    return [ctx.reply("feedback.too_long",
                      [ctx.option("feedback.send_head_button", SendHead.head),
                       ctx.option("feedback.rewrite_button", Rewrite.head),
                       ctx.option("feedback.cancel_button", Cancel.head)],
                      length=number(len(draft)), limit=limit)]


def take_body(ctx: Context, body: str, notice: str | None = None) -> list[Reply]:
    """Use `body` as the draft's text if it fits, else keep it and explain the limit."""
    if len(body) > TEXT_LIMIT:
        return too_long(ctx, body)
    ctx.remember(body=body, draft="")
    return preview(ctx, notice)


async def _kind(button: ChooseKind, ctx: Context) -> list[Reply]:
    if button.kind not in voices.KINDS:
        return await _stale(ctx)
    ctx.goto(Step.TEXT, kind=button.kind, body="", media=[], draft="")
    return [ask_text(ctx)]


async def _mine(button: MyPage, ctx: Context) -> list[Reply]:
    return await show_mine(ctx, button.page)


async def _cancel(button: Cancel, ctx: Context) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("feedback.cancelled"), await ctx.menu()]


async def _send(button: Send, ctx: Context) -> list[Reply]:
    return await send(ctx)


async def _edit(button: Edit, ctx: Context) -> list[Reply]:
    ctx.goto(Step.TEXT, **ctx.data)
    body = str(ctx.data.get("body") or "")
    if not body:
        return [ask_text(ctx)]
    return [ctx.reply("feedback.ask_text_again", [ctx.option("feedback.cancel_button", Cancel.head)],
                      body=body, limit=number(TEXT_LIMIT))]


async def _head(button: SendHead, ctx: Context) -> list[Reply]:
    draft = str(ctx.data.get("draft") or "")
    if not draft:
        return await _stale(ctx)
    head = split_text(draft, TEXT_LIMIT)[0]
    ctx.remember(body=head, draft="", rest=draft[len(head):].strip())
    return preview(ctx)


async def _rewrite(button: Rewrite, ctx: Context) -> list[Reply]:
    return [ask_text(ctx)]


async def _rest(button: SendRest, ctx: Context) -> list[Reply]:
    rest = str(ctx.data.get("rest") or "")
    ctx.remember(rest="", media=[])
    return take_body(ctx, rest) if rest else await _stale(ctx)


async def _drop_rest(button: DropRest, ctx: Context) -> list[Reply]:
    ctx.finish()
    return [ctx.reply("feedback.rest_dropped"), await ctx.menu()]


async def _stale(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("core.stale")), *await start(Event(ctx.identity, "command", "feedback"), ctx)]


ANYTIME = Actions()  # buttons that need no draft
ANYTIME.on(ChooseKind, _kind)
ANYTIME.on(MyPage, _mine)
ANYTIME.on(Cancel, _cancel)
DRAFT = Actions()  # buttons about the draft this conversation holds
DRAFT.on(Send, _send, steps=[Step.CONFIRM])
DRAFT.on(Edit, _edit)
DRAFT.on(SendHead, _head)
DRAFT.on(Rewrite, _rewrite)
DRAFT.on(SendRest, _rest)
DRAFT.on(DropRest, _drop_rest)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every feedback button (ANYTIME, then DRAFT while a draft is open)."""
    replies = await ANYTIME.run(event, ctx)
    if replies is not None:
        return replies
    if not (ctx.step or "").startswith("feedback.") or "kind" not in ctx.data:
        return await _stale(ctx)
    return await DRAFT.run(event, ctx) or await _stale(ctx)


async def send(ctx: Context) -> list[Reply]:
    """Save the draft as an item; offer the kept rest of an over-long text, if any."""
    data = ctx.data
    body = str(data.get("body") or "")
    media = [(str(k), str(r)) for k, r in data.get("media", [])]
    if not has_content(body) and not media:
        ctx.goto(Step.TEXT, **data)
        return [ctx.reply("feedback.empty")]
    voice_id = await voices.create(ctx.db, ctx.person.id, str(data["kind"]), body, media,
                                   ctx.identity.channel, ctx.now_iso())
    rest = str(data.get("rest") or "")
    if rest:
        ctx.goto(Step.REST, kind=data["kind"], body="", media=[], draft="", rest=rest)
        return [ctx.reply("feedback.sent", id=voice_id), ctx.reply("feedback.rest_kept",
                                [ctx.option("feedback.send_rest_button", SendRest.head),
                                 ctx.option("feedback.drop_rest_button", DropRest.head)],
                                length=number(len(rest)))]
    ctx.finish()
    return [ctx.reply("feedback.sent", [ctx.option("feedback.more_button", "cmd:feedback"),
                                        ctx.option("feedback.my_button", "cmd:myfeedback"),
                                        ctx.option("core.menu_button", "cmd:menu")], id=voice_id)]


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed text, a photo or a voice note while writing or checking a draft."""
    step = ctx.step or ""
    if step == Step.REST and ctx.data.get("rest"):
        # Typing or sending something instead of choosing: the kept rest stays offered, never dropped.
        return [ctx.reply("feedback.rest_kept",
                          [ctx.option("feedback.send_rest_button", SendRest.head),
                           ctx.option("feedback.drop_rest_button", DropRest.head)],
                          length=number(len(str(ctx.data["rest"]))))]
    if "kind" not in ctx.data:
        ctx.finish()
        return await start(event, ctx)
    if event.kind == "media":
        return take_media(event, ctx)
    if event.kind != "text":
        return [ctx.reply("feedback.media_not_supported")]
    text = clean_block(event.value)
    if not has_content(text):
        if step == Step.CONFIRM:
            return preview(ctx, ctx.t("feedback.empty"))
        return [ctx.reply("feedback.empty", [ctx.option("feedback.cancel_button", Cancel.head)])]
    body = str(ctx.data.get("body") or "")
    if step == Step.CONFIRM and body:
        # A long message arrives in pieces (Telegram splits at 4096): add, never replace silently.
        return take_body(ctx, f"{body}\n\n{text}", ctx.t("feedback.added"))
    return take_body(ctx, text)


def take_media(event: Event, ctx: Context) -> list[Reply]:
    """Attach a photo / voice note (its caption joins the text)."""
    if event.value not in MEDIA_KINDS or not event.file_ref:
        return [ctx.reply("feedback.media_not_supported", [ctx.option("feedback.cancel_button", Cancel.head)])]
    if event.file_size > MEDIA_LIMIT_MB * 1024 * 1024:
        size = f"{event.file_size / 1024 / 1024:.1f}".replace(".", ",")
        return [ctx.reply("feedback.media_too_large", [ctx.option("feedback.cancel_button", Cancel.head)],
                          size=size, limit=MEDIA_LIMIT_MB)]
    media = list(ctx.data.get("media", []))
    if len(media) >= MEDIA_PER_ITEM:
        return preview(ctx, ctx.t("feedback.media_too_many", limit=MEDIA_PER_ITEM))
    media.append([event.value, event.file_ref[:256]])
    ctx.remember(media=media)
    caption = clean_block(event.caption)
    body = str(ctx.data.get("body") or "")
    if has_content(caption):
        return take_body(ctx, f"{body}\n\n{caption}" if body else caption)
    return preview(ctx)


async def my_feedback(event: Event, ctx: Context) -> list[Reply]:
    """/myfeedback: my items, newest first, with the staff's answers."""
    ctx.finish()
    return await show_mine(ctx, 0)


async def show_mine(ctx: Context, page: int) -> list[Reply]:
    """One page of the person's own items."""
    total, _ = await voices.of_person(ctx.db, ctx.person.id, 0)
    if total == 0:
        return [ctx.reply("feedback.my_empty", [ctx.option("feedback.new_button", "cmd:feedback"),
                                                ctx.option("core.menu_button", "cmd:menu")])]
    pages = -(-total // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    _, items = await voices.of_person(ctx.db, ctx.person.id, PAGE_SIZE, page * PAGE_SIZE)
    answers = await voices.entries(ctx.db, [v.id for v in items], notes=False)
    blocks = [ctx.t("feedback.my_title", total=total, page=page + 1, pages=pages)]
    for item in items:
        body = excerpt(item.body, EXCERPT) if item.body else ctx.t("feedback.preview_no_text")
        if item.media:
            body += ctx.t("feedback.attached", items=media_summary(ctx, item.media))
        lines = [ctx.t("feedback.my_item", id=item.id, kind=ctx.t(f"feedback.kinds.{item.kind}"),
                       when=local_time(ctx, item.created_at), status=ctx.t(f"feedback.statuses.{item.status}"),
                       body=body)]
        found = answers.get(item.id, [])
        lines += [ctx.t("feedback.my_answer", when=local_time(ctx, a.created_at), body=a.body) for a in found]
        if not found:
            lines.append(ctx.t("feedback.my_no_answer"))
        blocks.append("\n".join(lines))
    options = ctx.pager(page, pages, lambda p: MyPage(p).pack())
    options += [ctx.option("feedback.new_button", "cmd:feedback"), ctx.option("core.menu_button", "cmd:menu")]
    return [Reply("\n\n".join(blocks), options)]


def register(router: Router) -> None:
    """Register /feedback, /myfeedback, their buttons and the writing steps."""
    router.command("feedback", start, aliases=("gop y", "phan anh", "gui gop y"), describe="feedback.cmd_desc")
    router.command("myfeedback", my_feedback, aliases=("gop y cua toi", "gop y da gui"),
                   describe="feedback.my_cmd_desc")
    router.choice("fb", on_choice)
    router.step("feedback", on_step)
    router.menu("feedback.menu_label", "feedback", order=40)
