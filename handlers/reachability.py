"""Staff see who is marked unreachable in a broadcast's report, and put them back in reach.

A channel marks a person unreachable only on evidence that holds over time (e.g. Zalo refusing
the same person for over a day, bot/store/delivery_failures.py); staff may know better (the
leader changed phone, Zalo had an outage): resetting lets the next messages go out again.
"""

from __future__ import annotations

from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import is_number
from bot.router import Router
from bot.store import audit, delivery_failures


def _communes(ctx: Context) -> frozenset[str] | None:
    return ctx.staff.commune_filter if ctx.staff is not None else frozenset()


async def report_part(ctx: Context, broadcast_id: int) -> tuple[str, list[Option]]:
    """The report's line on people marked unreachable, and the button that resets them."""
    marked = await delivery_failures.marked_in_broadcast(ctx.db, broadcast_id, _communes(ctx))
    if not marked:
        return "", []
    return (ctx.t("reach.report_marked", total=len(marked)),
            [ctx.option("reach.reset_button", f"bcreach:{broadcast_id}", total=len(marked))])


async def reset(event: Event, ctx: Context) -> list[Reply]:
    """bcreach:<broadcast id>: the people of that broadcast marked unreachable are reachable again."""
    raw = event.value.partition(":")[2]
    back = [ctx.option("core.menu_button", "cmd:admin")]
    if not is_number(raw):
        return [ctx.reply("broadcast.not_found", back)]
    communes = _communes(ctx)
    marked = await delivery_failures.marked_in_broadcast(ctx.db, int(raw), communes)
    actor = f"{ctx.identity.channel}:{ctx.identity.address}"
    changed = await delivery_failures.set_reachable(ctx.db, marked, ctx.now(), actor, audit.scope_label(communes))
    return [ctx.reply("reach.reset_done", [Option(ctx.t("broadcast.report_button"), f"bcr:{raw}"), *back],
                      total=changed)]


def register(router: Router) -> None:
    """The reset button of a broadcast report."""
    router.choice("bcreach", reset, staff=True, durable=True)  # checked against the database
