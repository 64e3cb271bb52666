"""Charts as inline SVG drawn by matplotlib: no scripts and no fonts to fetch (SVG text uses the page's fonts)."""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import matplotlib
from cycler import cycler
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

matplotlib.use("Agg")  # never a GUI backend, whatever the environment says
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # a missing font family is not news

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC",
             "Droid Sans Fallback", "AR PL UMing CN")
COLOURS = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00")
WIDTH = 7.2  # inches; 72 points each: the SVG is about 520 px wide
LABEL_CHARS = 28
_XML_DECL = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


@lru_cache(maxsize=1)
def font_family() -> tuple[str, ...]:
    """DejaVu Sans for Latin, then the first installed CJK font as the fallback for Chinese."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans", *(name for name in CJK_FONTS if name in installed))


def _style() -> Any:
    return {"font.family": list(font_family()), "font.size": 9,
            "text.parse_math": False,  # a "$" in a query is a dollar, not TeX
            "svg.fonttype": "none", "svg.hashsalt": "report",
            "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
            "axes.prop_cycle": cycler(color=COLOURS)}


def _svg(fig: Figure) -> str:
    """The figure as an <svg> element to put straight into HTML."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph no installed font has is drawn as a box, not a warning flood
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _XML_DECL.sub("", buffer.getvalue()).strip()


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _day_ticks(fig: Figure, days: Sequence[str]) -> None:
    fig.subplots_adjust(left=0.09, right=0.84, top=0.95, bottom=0.2)
    ax = fig.axes[0]
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), [d[5:] for d in days[::step]], rotation=45, ha="right")


def day_areas(days: Sequence[str], series: Mapping[str, Sequence[float]], ylabel: str) -> str:
    """Stacked areas per day, one colour per series (one polygon each, however many days)."""
    with matplotlib.rc_context(_style()):
        fig = Figure(figsize=(WIDTH, 3.0))
        ax = fig.add_subplot()
        x: list[float] = [float(i) for i in range(len(days))]
        if len(days) == 1:  # an area needs two points: widen the single day into a bar-like band
            x, series = [-0.4, 0.4], {name: [v[0], v[0]] for name, v in series.items()}
        ax.stackplot(x, *series.values(), labels=list(series), alpha=0.9)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _day_ticks(fig, days)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        return _svg(fig)


def day_lines(days: Sequence[str], series: Mapping[str, Sequence[float | None]], ylabel: str) -> str:
    """Lines per day (a missing value leaves a gap)."""
    with matplotlib.rc_context(_style()):
        fig = Figure(figsize=(WIDTH, 3.0))
        ax = fig.add_subplot()
        for name, values in series.items():
            ax.plot(range(len(days)), [float("nan") if v is None else v for v in values], marker="o",
                    markersize=3, label=name)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        _day_ticks(fig, days)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        return _svg(fig)


def ranked_bars(labels: Sequence[str], values: Sequence[float], xlabel: str, colour: int = 0) -> str:
    """Horizontal bars, largest on top (labels shortened; the table beside has them in full)."""
    with matplotlib.rc_context(_style()):
        height = 0.8 + 0.28 * max(1, len(labels))
        fig = Figure(figsize=(WIDTH, height))
        fig.subplots_adjust(left=0.34, right=0.97, top=1 - 0.15 / height, bottom=0.55 / height)
        ax = fig.add_subplot()
        y = list(range(len(labels)))[::-1]
        ax.barh(y, values, 0.7, color=COLOURS[colour % len(COLOURS)])
        ax.set_yticks(y, [_short(label) for label in labels])
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", visible=False)
        return _svg(fig)
