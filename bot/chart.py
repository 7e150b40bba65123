"""The /stats picture: reading progress and quiz pass rate by commune, as a PNG (matplotlib, Agg).

Drawn with the object API (Figure + FigureCanvasAgg, no pyplot), so it is safe in a worker
thread and keeps no global state. Labels are Vietnamese; DejaVu Sans (shipped with
matplotlib) has every Vietnamese letter.

What a staff member must not misread: a commune without data is written "chưa có số liệu",
never drawn as a 0% bar; "passed" is blue, not red (red reads as failure); when there are more
communes than fit, the picture says how many are left out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

MAX_BARS = 20  # communes drawn in one picture; beyond that the picture says how many are left out
READ_COLOUR = "#2e7d32"  # green
PASSED_COLOUR = "#1565c0"  # blue: a pass rate is good news, red would read as failure
NO_DATA_COLOUR = "#757575"


@dataclass(frozen=True)
class Bar:
    """One commune: its name and two percentages (None = no data to measure yet, written as such)."""

    label: str
    read_pct: float | None
    pass_pct: float | None


@dataclass(frozen=True)
class Labels:
    """The chart's texts (from content/texts/stats.yaml)."""

    title: str
    read: str
    passed: str
    axis: str
    no_data: str = ""  # written where a commune (or its quiz bar) has no data
    more: str = ""  # footnote when communes are left out; {shown}, {count} and {total} are filled in


def build_figure(bars: list[Bar], labels: Labels) -> Any:
    """The matplotlib Figure: two bars per commune, at most MAX_BARS communes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    shown = bars[:MAX_BARS]
    left_out = len(bars) - len(shown)
    height = 1.6 + 0.55 * max(len(shown), 1) + (0.4 if left_out else 0)
    figure = Figure(figsize=(8, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(shown)))
    size = 0.38
    empty = [b.read_pct is None and b.pass_pct is None for b in shown]  # one "no data" for the whole row
    _bars(axes, [p - size / 2 for p in positions], [b.read_pct for b in shown], size, READ_COLOUR, labels.read,
          labels.no_data, empty)
    _bars(axes, [p + size / 2 for p in positions], [b.pass_pct for b in shown], size, PASSED_COLOUR, labels.passed,
          labels.no_data, empty)
    for position, nothing in zip(positions, empty, strict=True):
        if nothing and labels.no_data:
            axes.text(1, position, labels.no_data, va="center", fontsize=9, color=NO_DATA_COLOUR, style="italic")
    axes.set_yticks(positions, [b.label for b in shown], fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel(labels.axis)
    axes.set_title(labels.title, fontsize=12)
    # Handles of their own: the bars' may be hidden (no data), and a hidden first bar hides its swatch.
    axes.legend(handles=[Patch(color=READ_COLOUR, label=labels.read), Patch(color=PASSED_COLOUR, label=labels.passed)],
                loc="best", fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    if left_out and labels.more:
        note = labels.more.format(count=left_out, total=len(bars), shown=len(shown))
        figure.text(0.01, 0.01, note, fontsize=9, style="italic")
    figure.tight_layout(rect=(0, 0.04 if left_out else 0, 1, 1))
    return figure


def _bars(axes: Any, where: list[float], values: list[float | None], size: float, colour: str, label: str,
          no_data: str, empty: list[bool]) -> None:
    """One series: a bar and its percentage where there is data, the "no data" words where there is none."""
    drawn = axes.barh(where, [v or 0 for v in values], height=size, color=colour, label=label)
    for bar, value, row_empty in zip(drawn.patches, values, empty, strict=True):
        if value is None:
            bar.set_visible(False)
            if no_data and not row_empty:
                axes.text(1, bar.get_y() + size / 2, no_data, va="center", fontsize=8, color=NO_DATA_COLOUR,
                          style="italic")
        else:
            axes.text(value + 1, bar.get_y() + size / 2, f"{value:.0f}%", va="center", fontsize=8)


def render_png(bars: list[Bar], labels: Labels) -> bytes:
    """The chart as PNG bytes."""
    buffer = io.BytesIO()
    build_figure(bars, labels).savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
