"""The progress chart for /status chart and the monthly summary: a PNG drawn with matplotlib
(imported on the first chart only), readable on a phone (issue 16).

Korean labels are drawn with NanumGothic from the `koreanize-matplotlib` package, a dependency of
the project, so the chart never depends on fonts installed on the machine. The package is only
used for its font file (importing it would change matplotlib's global settings).
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from models.stats import METRICS
from services.targets import AgencyProgress

Tr = Callable[..., str]
COLOURS = {"openings": "#4C78A8", "seekers": "#F58518", "meeting_days": "#54A24B",
           "hires": "#E45756"}


@cache
def korean_font_path() -> Path:
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("koreanize-matplotlib (the bundled Korean font) is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "NanumGothic.ttf"
    if not path.is_file():
        raise RuntimeError(f"the Korean font is missing: {path}")
    return path


WIDTH_PX = 1080  # a phone's screen width: the picture is shown at about its own size
DPI = 150
LABEL_PT = 11  # 11 pt at 150 dpi is 23 px: at least 14 px on any phone that shows 1080 px
TITLE_PT = 14


def ranked(rows: list[AgencyProgress]) -> list[AgencyProgress]:
    """Agencies with targets, the highest overall 달성률 first (ties in council order)."""
    return sorted([r for r in rows if r.targets], key=lambda r: -(r.ratio or 0.0))


def pct_text(value: float) -> str:
    """'0' for nothing at all (so 0 hires never reads as "no target"), else '37%'."""
    rounded = round(value)
    return "0" if rounded == 0 else f"{rounded}%"


def progress_chart(rows: list[AgencyProgress], tr: Tr, *, title: str) -> bytes:
    """Horizontal bars per agency with targets: the share of each target reached, the value on
    every bar, agencies by overall 달성률 (best on top), 1080 px wide with labels of 14 px or more.

    matplotlib (with numpy, about 50 MB) is imported on the first chart, not when the bot
    starts: most bot processes never draw one (docs/PERFORMANCE.md, memory)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(korean_font_path()), size=LABEL_PT)
    title_font = FontProperties(fname=str(korean_font_path()), size=TITLE_PT)
    shown = ranked(rows)[:30]
    metrics = [m for m in METRICS if any(m in r.targets for r in shown)]
    per_agency = max(len(metrics), 1)
    height = max(4.0, 0.32 * per_agency * max(len(shown), 1) + 0.35 * len(shown) + 2.2)
    fig = Figure(figsize=(WIDTH_PX / DPI, height), dpi=DPI)
    ax = fig.add_subplot()
    bar = 0.8 / per_agency
    widest: float = 100.0
    for i, metric in enumerate(metrics):
        ys: list[float] = []
        widths: list[float] = []
        for y, row in enumerate(shown):
            target = row.targets.get(metric)
            if target:
                ys.append(y + i * bar - 0.4 + bar / 2)
                widths.append(100 * row.figures.get(metric, 0) / target)
        widest = max([widest, *widths])
        ax.barh(ys, widths, height=bar * 0.9, color=COLOURS[metric],
                label=tr(f"status.metric.{metric}"))
        for at, value in zip(ys, widths, strict=True):
            ax.text(value + 1, at, pct_text(value), va="center", ha="left",
                    fontproperties=font)
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels(
        [f"{r.agency.short_name}\n{pct_text(100 * (r.ratio or 0.0))}" for r in shown],
        fontproperties=font)
    ax.invert_yaxis()
    ax.set_xlim(0, widest * 1.15 + 5)
    ax.axvline(100, color="#333333", linewidth=1, linestyle="--")
    ax.set_xlabel(tr("status.chart_axis"), fontproperties=font)
    for label in ax.get_xticklabels():
        label.set_fontproperties(font)
    ax.set_title(title, fontproperties=title_font)
    if metrics:
        ax.legend(prop=font, loc="lower right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
