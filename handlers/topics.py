"""Reading the three topics (/topics): list, summary, then one section per screen, with progress."""

from __future__ import annotations

from bot.content.learning import Topic
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import number_or
from bot.router import Router
from bot.store import learning


def find_topic(ctx: Context, topic_id: str) -> Topic | None:
    """The topic with this id, or None (e.g. an old button after the content changed)."""
    return next((t for t in ctx.content.topics if t.id == topic_id), None)


async def list_topics(event: Event, ctx: Context) -> list[Reply]:
    """/topics: every topic with how much of it this person has read."""
    ctx.finish()
    return [await topic_list(ctx)]


async def topic_list(ctx: Context, key: str = "topics.list") -> Reply:
    """The topic buttons, each with "đã đọc x/y"."""
    progress = await learning.reading_progress(ctx.db, ctx.person.id)
    options: list[Option] = []
    for topic in ctx.content.topics:
        total = len(topic.sections)
        read = min(progress.get(topic.id, 0), total)
        label_key = "topics.topic_button_done" if read >= total else "topics.topic_button"
        options.append(ctx.option(label_key, f"tp:{topic.id}", label=topic.label, read=read, total=total))
    options.append(ctx.option("core.menu_button", "cmd:menu"))
    return ctx.reply(key, options)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """tp:<topic> (summary) or tp:<topic>:<section> (one section, 1-based)."""
    parts = event.value.split(":")
    topic = find_topic(ctx, parts[1]) if len(parts) in (2, 3) else None
    if topic is None:
        return [await topic_list(ctx, "topics.gone")]
    if len(parts) == 2:
        return [await summary(ctx, topic)]
    number = number_or(parts[2], 0)
    if not 1 <= number <= len(topic.sections):
        return [Reply(ctx.t("topics.no_section")), await summary(ctx, topic)]
    return await section(ctx, topic, number)


async def summary(ctx: Context, topic: Topic) -> Reply:
    """The topic's title and one-paragraph summary, with where to start reading."""
    read = await learning.sections_read(ctx.db, ctx.person.id, topic.id)
    total = len(topic.sections)
    count = len({n for n in read if 1 <= n <= total})
    options: list[Option] = []
    unread = next((n for n in range(1, total + 1) if n not in read), None)
    if count and unread is not None:
        options.append(ctx.option("topics.continue_button", f"tp:{topic.id}:{unread}", number=unread))
    options.append(ctx.option("topics.start_button", f"tp:{topic.id}:1"))
    if count >= total and topic.id in ctx.content.quizzes:
        options.append(ctx.option("topics.quiz_button", f"qz:new:{topic.id}"))
    options.append(ctx.option("topics.list_button", "cmd:topics"))
    options.append(ctx.option("core.menu_button", "cmd:menu"))
    return ctx.reply("topics.summary", options, title=topic.title, summary=topic.summary,
                     progress=ctx.t("topics.progress", read=count, total=total))


async def section(ctx: Context, topic: Topic, number: int) -> list[Reply]:
    """One section; reading it is recorded. The last one offers the quiz."""
    total = len(topic.sections)
    read = await learning.record_read(ctx.db, ctx.person.id, topic.id, number, total, ctx.now_iso())
    part = topic.sections[number - 1]
    text = ctx.t("topics.section", label=topic.label, number=number, total=total, title=part.title,
                 body=part.body, progress=ctx.t("topics.progress", read=read, total=total))
    back = f"tp:{topic.id}:{number - 1}" if number > 1 else f"tp:{topic.id}"
    if number < total:
        options = [ctx.option("topics.next_button", f"tp:{topic.id}:{number + 1}"),
                   ctx.option("core.back_button", back), ctx.option("core.menu_button", "cmd:menu")]
        return [Reply(text, options)]
    options = []
    if topic.id in ctx.content.quizzes:
        options.append(ctx.option("topics.quiz_button", f"qz:new:{topic.id}"))
    options += [ctx.option("core.back_button", back), ctx.option("topics.list_button", "cmd:topics"),
                ctx.option("core.menu_button", "cmd:menu")]
    key = "topics.finished" if read >= total else "topics.finished_partly"
    # One message: the last section, then the closing word and the sources.
    closing = ctx.t(key, sources=topic.sources, read=read, total=total)
    return [Reply(f"{text}\n\n{closing}", options)]


def register(router: Router) -> None:
    """Register /topics, its menu button and the reading buttons."""
    router.command("topics", list_topics, aliases=("chuyen de", "tai lieu", "doc tai lieu"),
                   describe="topics.cmd_desc")
    router.menu("topics.menu_label", "topics", order=20)
    # Reading buttons stay valid in older messages: the handler checks topic and section itself.
    router.choice("tp", on_choice, durable=True)
