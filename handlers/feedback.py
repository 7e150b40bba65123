"""Leaders' voices (/feedback, /myfeedback): a difficulty, concern, suggestion or wish, typed or
sent as a photo / voice note, shown back with Gửi / Sửa / Hủy before it is saved.

The draft lives in the conversation state until it is sent, so nothing typed is lost: text
over the limit is kept whole, and the part beyond the limit can be sent right after the first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from bot.clock import parse_iso
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import number_or
from bot.router import Router
from bot.store import voices
from bot.textutil import clean_block, clean_line, split_text

TEXT_LIMIT = 3000
MEDIA_LIMIT_MB = 20
MEDIA_PER_ITEM = 5
MEDIA_KINDS = ("photo", "voice", "audio", "video", "video_note", "document")
PAGE_SIZE = 3
EXCERPT = 500


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
    options = [Option(ctx.t(f"feedback.kind_buttons.{kind}"), f"fb:k:{kind}") for kind in voices.KINDS]
    options += [ctx.option("feedback.my_button", "cmd:myfeedback"), ctx.option("core.menu_button", "cmd:menu")]
    return [ctx.reply("feedback.choose_kind", options)]


def ask_text(ctx: Context) -> Reply:
    """Ask for the text (or media) of the chosen kind."""
    kind = ctx.t(f"feedback.kinds.{ctx.data['kind']}")
    reply = ctx.reply("feedback.ask_text", [ctx.option("feedback.cancel_button", "fb:cancel")],
                      kind=kind, limit=number(TEXT_LIMIT))
    if ctx.data["kind"] == "nguyen_vong":  # free text may carry political opinion: say who reads it
        reply = replace(reply, text=f"{reply.text}\n\n{ctx.t('feedback.nguyen_vong_note')}")
    return reply


def preview(ctx: Context, notice: str | None = None) -> list[Reply]:
    """Show the draft back with Gửi / Sửa / Hủy."""
    ctx.goto("feedback.confirm", **ctx.data)
    data = ctx.data
    media = list(data.get("media", []))
    attached = ctx.t("feedback.attached", items=media_summary(ctx, media)) if media else ""
    reply = ctx.reply(
        "feedback.preview",
        [ctx.option("feedback.send_button", "fb:send"), ctx.option("feedback.edit_button", "fb:edit"),
         ctx.option("feedback.cancel_button", "fb:cancel")],
        columns=3, kind=ctx.t(f"feedback.kinds.{data['kind']}"),
        body=data.get("body") or ctx.t("feedback.preview_no_text"), attached=attached,
    )
    return [Reply(notice), reply] if notice else [reply]


def too_long(ctx: Context, draft: str) -> list[Reply]:
    """Keep the whole draft and offer to send the first part now and the rest next."""
    ctx.goto("feedback.text", **{**ctx.data, "draft": draft})
    limit = number(TEXT_LIMIT)
    return [ctx.reply("feedback.too_long",
                      [ctx.option("feedback.send_head_button", "fb:head"),
                       ctx.option("feedback.rewrite_button", "fb:rewrite"),
                       ctx.option("feedback.cancel_button", "fb:cancel")],
                      length=number(len(draft)), limit=limit)]


def take_body(ctx: Context, body: str, notice: str | None = None) -> list[Reply]:
    """Use `body` as the draft's text if it fits, else keep it and explain the limit."""
    if len(body) > TEXT_LIMIT:
        return too_long(ctx, body)
    ctx.remember(body=body, draft="")
    return preview(ctx, notice)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """Every feedback button: fb:<action>[:<arg>]."""
    _, action, arg = [*event.value.split(":", 2), "", ""][:3]
    step = ctx.step or ""
    if action == "k" and arg in voices.KINDS:
        ctx.goto("feedback.text", kind=arg, body="", media=[], draft="")
        return [ask_text(ctx)]
    if action == "my":
        return await show_mine(ctx, number_or(arg, 0))
    if action == "cancel":
        ctx.finish()
        return [ctx.reply("feedback.cancelled"), await ctx.menu()]
    if not step.startswith("feedback.") or "kind" not in ctx.data:
        return [Reply(ctx.t("core.stale")), *await start(event, ctx)]
    if action == "send" and step == "feedback.confirm":
        return await send(ctx)
    if action == "edit":
        ctx.goto("feedback.text", **ctx.data)
        body = str(ctx.data.get("body") or "")
        if not body:
            return [ask_text(ctx)]
        return [ctx.reply("feedback.ask_text_again", [ctx.option("feedback.cancel_button", "fb:cancel")],
                          body=body, limit=number(TEXT_LIMIT))]
    draft = str(ctx.data.get("draft") or "")
    if action == "head" and draft:
        head = split_text(draft, TEXT_LIMIT)[0]
        rest = draft[len(head):].strip()
        ctx.remember(body=head, draft="", rest=rest)
        return preview(ctx)
    if action == "rewrite":
        return [ask_text(ctx)]
    if action == "rest":
        rest = str(ctx.data.get("rest") or "")
        ctx.remember(rest="", media=[])
        if rest:
            return take_body(ctx, rest)
    if action == "droprest":
        ctx.finish()
        return [ctx.reply("feedback.rest_dropped"), await ctx.menu()]
    return [Reply(ctx.t("core.stale")), *await start(event, ctx)]


async def send(ctx: Context) -> list[Reply]:
    """Save the draft as an item; offer the kept rest of an over-long text, if any."""
    data = ctx.data
    body = str(data.get("body") or "")
    media = [(str(k), str(r)) for k, r in data.get("media", [])]
    if not has_content(body) and not media:
        ctx.goto("feedback.text", **data)
        return [ctx.reply("feedback.empty")]
    voice_id = await voices.create(ctx.db, ctx.person.id, str(data["kind"]), body, media,
                                   ctx.identity.channel, ctx.now_iso())
    rest = str(data.get("rest") or "")
    if rest:
        ctx.goto("feedback.rest", kind=data["kind"], body="", media=[], draft="", rest=rest)
        return [ctx.reply("feedback.sent", id=voice_id), ctx.reply("feedback.rest_kept",
                                [ctx.option("feedback.send_rest_button", "fb:rest"),
                                 ctx.option("feedback.drop_rest_button", "fb:droprest")],
                                length=number(len(rest)))]
    ctx.finish()
    return [ctx.reply("feedback.sent", [ctx.option("feedback.more_button", "cmd:feedback"),
                                        ctx.option("feedback.my_button", "cmd:myfeedback"),
                                        ctx.option("core.menu_button", "cmd:menu")], id=voice_id)]


async def on_step(event: Event, ctx: Context) -> list[Reply]:
    """Typed text, a photo or a voice note while writing or checking a draft."""
    step = ctx.step or ""
    if step == "feedback.rest" and ctx.data.get("rest"):
        # Typing or sending something instead of choosing: the kept rest stays offered, never dropped.
        return [ctx.reply("feedback.rest_kept",
                          [ctx.option("feedback.send_rest_button", "fb:rest"),
                           ctx.option("feedback.drop_rest_button", "fb:droprest")],
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
        if step == "feedback.confirm":
            return preview(ctx, ctx.t("feedback.empty"))
        return [ctx.reply("feedback.empty", [ctx.option("feedback.cancel_button", "fb:cancel")])]
    body = str(ctx.data.get("body") or "")
    if step == "feedback.confirm" and body:
        # A long message arrives in pieces (Telegram splits at 4096): add, never replace silently.
        return take_body(ctx, f"{body}\n\n{text}", ctx.t("feedback.added"))
    return take_body(ctx, text)


def take_media(event: Event, ctx: Context) -> list[Reply]:
    """Attach a photo / voice note (its caption joins the text)."""
    if event.value not in MEDIA_KINDS or not event.file_ref:
        return [ctx.reply("feedback.media_not_supported", [ctx.option("feedback.cancel_button", "fb:cancel")])]
    if event.file_size > MEDIA_LIMIT_MB * 1024 * 1024:
        size = f"{event.file_size / 1024 / 1024:.1f}".replace(".", ",")
        return [ctx.reply("feedback.media_too_large", [ctx.option("feedback.cancel_button", "fb:cancel")],
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
    options = ctx.pager(page, pages, lambda p: f"fb:my:{p}")
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
