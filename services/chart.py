"""The progress chart for /status chart and the monthly summary: a PNG drawn with matplotlib
(imported on the first chart only).

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


def progress_chart(rows: list[AgencyProgress], tr: Tr, *, title: str) -> bytes:
    """A horizontal bar chart: per agency with targets, the share of each target reached.

    matplotlib (with numpy, about 50 MB) is imported on the first chart, not when the bot
    starts: most bot processes never draw one (docs/PERFORMANCE.md, memory)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(korean_font_path()), size=9)
    title_font = FontProperties(fname=str(korean_font_path()), size=12)
    shown = [r for r in rows if r.targets][:30]
    height = max(3.0, 0.45 * len(shown) * 1.2 + 1.5)
    fig = Figure(figsize=(8, height), dpi=110)
    ax = fig.add_subplot()
    metrics = [m for m in METRICS if any(m in r.targets for r in shown)]
    bar = 0.8 / max(len(metrics), 1)
    for i, metric in enumerate(metrics):
        ys, widths = [], []
        for y, row in enumerate(shown):
            target = row.targets.get(metric)
            if target:
                ys.append(y + i * bar - 0.4 + bar / 2)
                widths.append(100 * row.figures.get(metric, 0) / target)
        ax.barh(ys, widths, height=bar, color=COLOURS[metric],
                label=tr(f"status.metric.{metric}"))
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels([r.agency.short_name for r in shown], fontproperties=font)
    ax.invert_yaxis()
    ax.axvline(100, color="#333333", linewidth=1, linestyle="--")
    ax.set_xlabel(tr("status.chart_axis"), fontproperties=font)
    ax.set_title(title, fontproperties=title_font)
    if metrics:
        ax.legend(prop=font, loc="lower right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
