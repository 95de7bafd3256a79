"""The class report's figures: matplotlib, drawn off screen, embedded as base64 PNG.

Each function returns one ``<img>`` element whose ``alt`` text states the figure's numbers, so the
page needs no file beside it and says the same to a screen reader. No pyplot: a figure is a
plain :class:`matplotlib.figure.Figure`, so nothing here touches matplotlib's global backend.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from grading.outputs.report_data import PartStats

DPI = 96
BLUE, GREEN, GREY = "#3b6ea8", "#3a8f5c", "#9aa3ad"


def _img(fig: Figure, alt: str, css_class: str = "figure") -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="{css_class}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _axes(width: float, height: float):
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig, ax


def _bins(top: float, count: int = 20) -> list[float]:
    top = max(top, 1.0)
    return [top * i / count for i in range(count + 1)]


def totals_histogram(scores: list[float], max_score: float | None) -> str:
    """The histogram of total scores, from 0 to the maximum."""
    fig, ax = _axes(7.0, 3.0)
    top = max_score or max(scores, default=1.0)
    counts, _, _ = ax.hist(scores, bins=_bins(top), color=BLUE, edgecolor="white")
    ax.set_xlim(0, max(top, 1.0))
    ax.set_xlabel(f"total score (of {top:g})")
    ax.set_ylabel("students")
    ax.set_title(f"Totals of {len(scores)} submissions")
    shown = ", ".join(
        f"{top * i / 20:g}-{top * (i + 1) / 20:g}: {int(c)}" for i, c in enumerate(counts) if c
    )
    return _img(fig, f"Histogram of totals ({len(scores)} submissions): {shown}")


def part_distribution(stats: PartStats) -> str:
    """One part's score distribution: students per score, the full score in green."""
    part = stats.part
    fig, ax = _axes(3.4, 2.2)
    counts = Counter(stats.scores)
    values = sorted(counts)
    if len(values) <= 12:
        labels = [f"{v:g}" for v in values]
        colors = [GREEN if v >= part.points else BLUE for v in values]
        ax.bar(labels, [counts[v] for v in values], color=colors)
        shown = ", ".join(f"{v:g} points: {counts[v]}" for v in values)
    else:
        hist, _, _ = ax.hist(stats.scores, bins=_bins(part.points, 10), color=BLUE)
        shown = ", ".join(
            f"{part.points * i / 10:g}-{part.points * (i + 1) / 10:g}: {int(c)}"
            for i, c in enumerate(hist)
            if c
        )
    if stats.awaiting:
        ax.bar(["awaiting"], [stats.awaiting], color=GREY)
        shown += f", awaiting grading: {stats.awaiting}"
    rate = "" if stats.pass_rate is None else f", {stats.pass_rate:.0%} full"
    ax.set_title(f"{part.grade_id} ({part.points:g} pts{rate})", fontsize=9)
    ax.set_xlabel("points", fontsize=8)
    ax.tick_params(labelsize=8)
    return _img(fig, f"Scores of {part.grade_id}: {shown or 'none'}", "figure part")


def seconds_histogram(seconds: list[float]) -> str:
    """The histogram of grading time per submission."""
    fig, ax = _axes(7.0, 2.6)
    top = max(seconds, default=1.0)
    counts, edges, _ = ax.hist(seconds, bins=_bins(top), color=BLUE, edgecolor="white")
    ax.set_xlim(0, max(top, 1.0))
    ax.set_xlabel("seconds per submission")
    ax.set_ylabel("submissions")
    ax.set_title(f"Grading time of {len(seconds)} submissions")
    shown = ", ".join(
        f"{edges[i]:.3g}-{edges[i + 1]:.3g} s: {int(c)}" for i, c in enumerate(counts) if c
    )
    return _img(fig, f"Histogram of seconds per submission: {shown or 'none'}")
