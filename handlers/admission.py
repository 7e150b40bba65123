"""/admission: leaders wishing to be considered for Party admission, by commune, with their quiz
results (staff given `sensitive` only: aspirations are political opinion; every view is audited)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.callback import Payload
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.router import Router
from bot.store import voices
from handlers import scope
from handlers.aspiration import helps_text
from handlers.onboarding import profile_lines

FOLLOWUP_PAGE = 25


@dataclass(frozen=True)
class FollowupCommune(Payload, head="fu:c"):
    """/admission: the leaders of commune number `index`, one page."""

    index: int
    page: int = 0


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
    options = [Option(f"{(c or ctx.t('inbox.no_commune'))[:50]} ({yes + maybe})", FollowupCommune(i).pack())
               for i, (c, yes, maybe) in enumerate(counts)]
    return [ctx.reply("inbox.followup_title", [*options, *back], lines="\n".join(lines))]


async def on_followup(event: Event, ctx: Context) -> list[Reply]:
    """fu:c:<commune index>:<page>: the leaders of one commune, by hamlet."""
    button = FollowupCommune.unpack(event.value)
    if not scope.sensitive(ctx):
        return scope.refused(ctx)
    counts = await voices.followup_counts(ctx.db, scope.communes(ctx))
    if button is None or button.index >= len(counts):
        return [Reply(ctx.t("core.stale")), *await show_followup(event, ctx)]
    index = button.index
    commune = counts[index][0]
    rows = await voices.followup(ctx.db, commune, scope.communes(ctx), any_commune=False)
    await scope.record(ctx, "admission.view", f"commune:{commune or ''}")
    pages = max(1, -(-len(rows) // FOLLOWUP_PAGE))
    page = min(button.page, pages - 1)
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
    options = ctx.pager(page, pages, lambda p: FollowupCommune(index, p).pack())
    options += [ctx.option("inbox.followup_back", "cmd:admission"), ctx.option("core.menu_button", "cmd:admin")]
    return [Reply("\n".join(lines), options)]


async def quiz_results(ctx: Context, person_ids: list[int]) -> dict[int, str]:
    """Each person's quiz results as a short text; empty when the learning feature is not installed."""
    found = await voices.quiz_summaries(ctx.db, person_ids)
    if found is None:
        return {}
    return {pid: ctx.t("inbox.quiz_done", count=found[pid][0], best=found[pid][1], total=found[pid][2])
            if pid in found else ctx.t("inbox.quiz_none") for pid in person_ids}


def register(router: Router) -> None:
    """Register /admission, its buttons and its staff menu entry."""
    # /followup is the learning follow-up (handlers/results.py); this list is /admission.
    router.command("admission", show_followup, staff=True, aliases=("theo doi ket nap", "danh sach ket nap"),
                   describe="inbox.followup_cmd_desc")
    router.choice("fu", on_followup, staff=True)
    router.menu("inbox.followup_menu_label", "admission", staff=True, order=21, when=scope.sensitive)
