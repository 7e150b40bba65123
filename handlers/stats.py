"""/stats (staff): one screen of figures, and a chart of reading and quiz results by commune."""

from __future__ import annotations

import asyncio
import logging

from bot import chart
from bot.clock import parse_iso
from bot.content.audit import oldest_check
from bot.content.references import is_stale
from bot.context import Context
from bot.model import Attachment, Event, Reply
from bot.router import Router
from bot.store import reports
from handlers import scope
from handlers.backup_info import backup_line

log = logging.getLogger(__name__)


async def show_stats(event: Event, ctx: Context) -> list[Reply]:
    """/stats: registered and reachable leaders by commune and role, then each feature's figures."""
    ctx.finish()
    figures = await reports.stats(ctx.db, ctx.now_iso(), ctx.config.pass_mark, scope.communes(ctx),
                                  scope.sensitive(ctx))
    lines = [ctx.t("stats.title", when=ctx.local_now().strftime("%H:%M %d/%m/%Y"))]
    lines.extend(_leaders(ctx, figures))
    lines.extend(_learning(ctx, figures))
    lines.extend(_voices(ctx, figures))
    lines.extend(_classes_and_broadcasts(ctx, figures))
    lines.extend(["", await backup_line(ctx)])
    replies = [Reply("\n".join(lines), [ctx.option("stats.export_button", "cmd:export"),
                                        ctx.option("core.admin_button", "cmd:admin")])]
    picture = await _chart(ctx, figures)
    if picture is not None:
        replies.append(Reply(ctx.t("stats.chart_caption"), attachment=Attachment("thong-ke.png", picture, "photo")))
    return replies


def _leaders(ctx: Context, figures: reports.Stats) -> list[str]:
    if not figures.by_commune:
        return [ctx.t("stats.no_leaders")]
    lines = [ctx.t("stats.leaders", registered=figures.registered, reachable=figures.reachable,
                   waiting=figures.roster_waiting), "", ctx.t("stats.by_commune_title")]
    lines.extend(ctx.t("stats.commune_line", commune=commune or ctx.t("stats.no_commune"), registered=registered,
                       reachable=reachable, waiting=waiting)
                 for commune, registered, reachable, waiting in figures.by_commune)
    if figures.by_role:
        lines.append(ctx.t("stats.by_role_title"))
        for role, count in figures.by_role:
            key = f"onboarding.roles.{role}"
            lines.append(ctx.t("stats.role_line", role=ctx.t(key) if key in ctx.t else ctx.t("stats.no_role"),
                               count=count))
    return lines


def _learning(ctx: Context, figures: reports.Stats) -> list[str]:
    lines: list[str] = []
    if figures.topics_done is not None:
        labels = {str(getattr(t, "id", "")): str(getattr(t, "label", "")) for t in ctx.content.topics}
        lines.append("")
        if figures.topics_done:
            lines.append(ctx.t("stats.topics_title"))
            lines.extend(ctx.t("stats.topic_line", topic=labels.get(topic) or topic, count=count)
                         for topic, count in figures.topics_done)
        else:
            lines.append(ctx.t("stats.topics_none"))
    if figures.quiz is not None:
        attempts, people, passed = figures.quiz
        lines.append(ctx.t("stats.quiz", attempts=attempts, people=people, passed=passed))
    if (oldest := oldest_check(ctx.content)) is not None:  # content is checked against its sources every 6 months
        key = "stats.content_stale" if is_stale(oldest[0], ctx.local_now().date()) else "stats.content_checked"
        lines.append(ctx.t(key, date=oldest[0].strftime("%d/%m/%Y"), topic=oldest[1]))
    return lines


def _voices(ctx: Context, figures: reports.Stats) -> list[str]:
    lines: list[str] = []
    if figures.voices_open is not None:
        parts = [ctx.t("stats.voice_kind_part", kind=_label(ctx, "export.values.voice_kind", kind), count=count)
                 for kind, count in figures.voices_open]
        details = f" ({', '.join(parts)})" if parts else ""
        lines.extend(["", ctx.t("stats.voices_open", total=sum(c for _, c in figures.voices_open), details=details)])
    if figures.aspirations is not None:
        lines.append(ctx.t("stats.aspirations", yes=figures.aspirations.get("yes", 0),
                           maybe=figures.aspirations.get("maybe", 0)))
    return lines


def _classes_and_broadcasts(ctx: Context, figures: reports.Stats) -> list[str]:
    lines: list[str] = []
    if figures.classes_table:
        lines.append("")
        item = figures.next_class
        if item is None:
            lines.append(ctx.t("stats.no_class"))
        else:
            lines.append(ctx.t("stats.next_class", title=item["title"], when=_local(ctx, item["starts_at"]),
                               place=item["place"], invited=item["invited"], yes=item["yes"], no=item["no"],
                               pending=item["invited"] - item["yes"] - item["no"]))
    if figures.broadcasts_table:
        item = figures.last_broadcast
        if item is None:
            lines.append(ctx.t("stats.no_broadcast"))
        else:
            lines.append(ctx.t("stats.last_broadcast", when=_local(ctx, item["created_at"]),
                               delivered=item["delivered"], recipients=item["recipients"], pending=item["pending"],
                               failed=item["failed"], acked=item["acked"]))
    return lines


async def _chart(ctx: Context, figures: reports.Stats) -> bytes | None:
    # "No data" (written, never drawn as 0%): no registered leader, no reading nor quiz yet, or no quiz taken.
    rows = {commune: (registered, read, took, passed) for commune, registered, read, took, passed in figures.chart}
    bars = []
    for commune, *_ in figures.by_commune:
        registered, read, took, passed = rows.get(commune, (0, 0, 0, 0))
        measured = registered > 0 and (read > 0 or took > 0)
        bars.append(chart.Bar(commune or ctx.t("stats.no_commune"), 100 * read / registered if measured else None,
                              100 * passed / registered if measured and took and figures.quiz is not None else None))
    if not rows:  # nobody registered yet: the figures say so, no picture
        return None
    labels = chart.Labels(ctx.t("stats.chart_title"), ctx.t("stats.chart_read"), ctx.t("stats.chart_passed"),
                          ctx.t("stats.chart_axis"), ctx.t("stats.chart_no_data"), ctx.t("stats.chart_more"))
    try:
        return await asyncio.to_thread(chart.render_png, bars, labels)
    except ImportError:  # matplotlib not installed: the figures alone still help
        log.warning("matplotlib is not installed; /stats sends no chart")
        return None


def _label(ctx: Context, prefix: str, value: str) -> str:
    key = f"{prefix}.{value}"
    return ctx.t(key) if key in ctx.t else value


def _local(ctx: Context, stored: str) -> str:
    try:
        moment = parse_iso(stored)
    except (ValueError, TypeError):
        return str(stored)
    return moment.astimezone(ctx.config.tz).strftime("%H:%M %d/%m/%Y")


def register(router: Router) -> None:
    """Register /stats and its staff-menu button."""
    router.command("stats", show_stats, staff=True, aliases=("thong ke",), describe="stats.cmd_desc")
    router.menu("stats.menu_label", "stats", staff=True, order=80)
