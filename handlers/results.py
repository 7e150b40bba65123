"""Results for staff (/results, /followup): quiz figures, figures per commune, and who to call."""

from __future__ import annotations

from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import is_number
from bot.router import Router
from bot.store import learning
from handlers import scope
from handlers.quiz import MIX, questions_by_id, quiz_name

PAGE_SIZE = 10
QUESTION_PREVIEW = 70


def _percent(part: int | float, whole: int | float) -> int:
    return round(100 * part / whole) if whole else 0


def _number(value: float) -> str:
    """1 decimal, Vietnamese comma: 3.5 -> "3,5"; whole numbers without decimals."""
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")


async def show_results(event: Event, ctx: Context) -> list[Reply]:
    """/results: per quiz attempts, people, mean/median, pass rate and the most-missed questions."""
    ctx.finish()
    mark = ctx.config.pass_mark
    stats = await learning.quiz_stats(ctx.db, mark, scope=scope.communes(ctx))
    by_id = questions_by_id(ctx.content.quizzes)
    quizzes = [t.id for t in ctx.content.topics] + [MIX]
    quizzes += sorted(q for q in stats if q not in quizzes)  # banks removed since: still shown
    blocks: list[str] = []
    for quiz in quizzes:
        entry = stats.get(quiz)
        if entry is None or not entry.attempts:
            continue
        lines = [ctx.t("results.quiz_line", name=quiz_name(ctx, quiz), attempts=entry.attempts, people=entry.people,
                       mean=_number(round(entry.mean, 1)), median=_number(entry.median),
                       rate=_percent(entry.passed, entry.attempts))]
        if entry.missed:
            lines.append(ctx.t("results.missed_title"))
            for qid, answers, wrong in entry.missed:
                text = by_id[qid].text if qid in by_id else qid
                if len(text) > QUESTION_PREVIEW:
                    text = text[: QUESTION_PREVIEW - 1].rstrip() + "…"
                lines.append(ctx.t("results.missed_item", question=text, rate=_percent(wrong, answers),
                                   wrong=wrong, answers=answers))
        blocks.append("\n".join(lines))
    body = "\n\n".join(blocks) if blocks else ctx.t("results.no_attempts")
    options = [ctx.option("results.communes_button", "rs:c"), ctx.option("results.followup_button", "rs:fc"),
               ctx.option("results.admin_button", "cmd:admin")]
    return [Reply(ctx.t("results.title", mark=mark) + "\n\n" + body, options)]


async def show_followup(event: Event, ctx: Context) -> list[Reply]:
    """/followup: choose a commune, then the list of leaders to call."""
    ctx.finish()
    return [await choose_commune(ctx)]


async def _communes(ctx: Context) -> list[str]:
    """Communes of the content first, then any others people registered with (e.g. from a roster);
    only those the staff member covers."""
    listed = [c.name for c in ctx.content.units.communes if scope.covers(ctx, c.name)]
    extra = [c for c in await learning.communes_with_people(ctx.db, scope.communes(ctx)) if c not in listed]
    return listed + extra


async def choose_commune(ctx: Context) -> Reply:
    """Buttons: all communes, or one."""
    options = [ctx.option("results.all_communes", "rs:f:a:0")]
    options += [Option(name, f"rs:f:{i}:0") for i, name in enumerate(await _communes(ctx))]
    options.append(ctx.option("results.back_button", "cmd:results"))
    return ctx.reply("results.choose_commune", options)


async def commune_table(ctx: Context) -> Reply:
    """Per commune: registered, read each topic, took a quiz, passed."""
    mark = ctx.config.pass_mark
    rows = await learning.commune_stats(ctx.db, mark, scope.communes(ctx))
    topics = ctx.content.topics
    lines = [ctx.t("results.communes_title", mark=mark)]
    for row in rows:
        read = row.read or {}
        reads = ", ".join(ctx.t("results.topic_read", number=i, count=read.get(t.id, 0))
                          for i, t in enumerate(topics, start=1))
        lines.append(ctx.t("results.commune_line", commune=row.commune or ctx.t("results.no_commune"),
                           registered=row.registered, reads=reads, took=row.took, passed=row.passed))
    if not rows:
        lines.append(ctx.t("results.nobody"))
    options = [ctx.option("results.followup_button", "rs:fc"), ctx.option("results.back_button", "cmd:results")]
    return Reply("\n\n".join(lines), options)


async def followup_page(ctx: Context, commune_key: str, page: int) -> Reply:
    """One page of leaders who have not read every topic or not passed a quiz."""
    communes = await _communes(ctx)
    if commune_key == "a":
        commune, place = None, ctx.t("results.all_communes_name")
    elif is_number(commune_key) and int(commune_key) < len(communes):
        commune = place = communes[int(commune_key)]
    else:
        return await choose_commune(ctx)
    topics = [t.id for t in ctx.content.topics]
    number_of = {t: i for i, t in enumerate(topics, start=1)}
    mark = ctx.config.pass_mark
    total, rows = await learning.followup(ctx.db, topics, mark, commune, page * PAGE_SIZE, PAGE_SIZE,
                                          scope.communes(ctx))
    pages = max(1, -(-total // PAGE_SIZE))
    if page >= pages and total:
        page = pages - 1
        total, rows = await learning.followup(ctx.db, topics, mark, commune, page * PAGE_SIZE, PAGE_SIZE,
                                              scope.communes(ctx))
    lines = [ctx.t("results.followup_title", place=place, total=total, page=page + 1, pages=pages)]
    for index, row in enumerate(rows, start=page * PAGE_SIZE + 1):
        missing = []
        if row.unread:
            missing.append(ctx.t("results.unread", topics=", ".join(str(number_of[t]) for t in row.unread)))
        if row.best is None:
            missing.append(ctx.t("results.no_quiz"))
        elif not row.passed:
            missing.append(ctx.t("results.not_passed", score=row.best[0], total=row.best[1]))
        lines.append(ctx.t("results.followup_item", index=index, name=row.name or "—",
                           hamlet=row.hamlet or "—", commune=row.commune or "—",
                           phone=row.phone or ctx.t("results.no_phone"), missing="; ".join(missing)))
    if not rows:
        lines.append(ctx.t("results.followup_none"))
    options = ctx.pager(page, pages, lambda p: f"rs:f:{commune_key}:{p}")
    options += [ctx.option("results.other_commune", "rs:fc"), ctx.option("results.back_button", "cmd:results")]
    return Reply("\n\n".join(lines), options, columns=2 if len(options) > 2 else 1)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """rs:c (per commune), rs:fc (choose commune), rs:f:<commune>:<page> (follow-up list)."""
    parts = event.value.split(":")
    if parts[1:] == ["c"]:
        return [await commune_table(ctx)]
    if parts[1:] == ["fc"]:
        return [await choose_commune(ctx)]
    if len(parts) == 4 and parts[1] == "f" and is_number(parts[3]):
        return [await followup_page(ctx, parts[2], int(parts[3]))]
    return [Reply(ctx.t("core.stale")), await choose_commune(ctx)]


def register(router: Router) -> None:
    """Register /results and /followup (staff only) and their buttons."""
    router.command("results", show_results, staff=True, aliases=("ket qua",), describe="results.cmd_desc")
    router.command("followup", show_followup, staff=True, aliases=("can nhac", "danh sach can nhac"),
                   describe="results.followup_desc")
    router.menu("results.menu_label", "results", staff=True, order=40)
    router.menu("results.followup_menu_label", "followup", staff=True, order=41)
    router.choice("rs", on_choice, staff=True)
