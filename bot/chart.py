"""The /stats picture: reading progress and quiz pass rate by commune, as a PNG (matplotlib, Agg).

Drawn with the object API (Figure + FigureCanvasAgg, no pyplot), so it is safe in a worker
thread and keeps no global state. Labels are Vietnamese; DejaVu Sans (shipped with
matplotlib) has every Vietnamese letter.
"""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One commune: its name and two percentages (None = nothing to measure yet)."""

    label: str
    read_pct: float
    pass_pct: float | None


@dataclass(frozen=True)
class Labels:
    """The chart's texts (from content/texts/stats.yaml)."""

    title: str
    read: str
    passed: str
    axis: str


def render_png(bars: list[Bar], labels: Labels) -> bytes:
    """A horizontal bar chart, two bars per commune; at most 20 communes are drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bars = bars[:20]
    height = 1.6 + 0.55 * max(len(bars), 1)
    figure = Figure(figsize=(8, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(bars)))
    size = 0.38
    read = axes.barh([p - size / 2 for p in positions], [b.read_pct for b in bars], height=size,
                     color="#2e7d32", label=labels.read)
    passed = axes.barh([p + size / 2 for p in positions], [b.pass_pct or 0 for b in bars], height=size,
                       color="#c62828", label=labels.passed)
    for container in (read, passed):
        axes.bar_label(container, fmt="%.0f%%", padding=3, fontsize=8)
    axes.set_yticks(positions, [b.label for b in bars], fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel(labels.axis)
    axes.set_title(labels.title, fontsize=12)
    axes.legend(loc="lower right", fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
