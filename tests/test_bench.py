"""The benchmark's machinery in its tiny mode: every figure is there, with the right type.

No timed assertion: speed depends on the machine; docs/PERFORMANCE.md has the real numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMBER_KEYS = (
    "echo_ups", "itda_ups", "ratio", "p50_ms", "p99_ms", "callback_ack_p99_ms", "rss_mb"
)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_smoke_run_prints_every_figure_as_the_last_json_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ITDA_", "ADMIN_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json-only", "--sizes", "50,200"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, "--json-only prints the JSON line alone"
    figures = json.loads(lines[-1])

    for key in NUMBER_KEYS:
        assert is_number(figures[key]), (key, figures[key])
        assert figures[key] > 0, key
    assert abs(figures["ratio"] - figures["itda_ups"] / figures["echo_ups"]) < 0.01

    # /status: the real builder's figure or, until it is merged, the labelled placeholder.
    assert set(figures["status_ms"]) == {"50", "200"}
    for size in ("50", "200"):
        real = figures["status_ms"][size]
        placeholder = (figures.get("status_ms_placeholder") or {}).get(size)
        assert is_number(real) or (real is None and is_number(placeholder)), size

    # Fan-out: the real sender's figures or the labelled placeholder's.
    if figures["fanout_s"] is None:
        assert figures["fanout_429"] is None
        fan = figures["fanout_placeholder"]
        assert is_number(fan["s"]) and isinstance(fan["429"], int)
        assert fan["delivered"] == figures["fanout_messages"]
    else:
        assert is_number(figures["fanout_s"]) and isinstance(figures["fanout_429"], int)

    # The bot really worked: steps of each kind were answered and it logged no failure.
    assert figures["itda_steps"].get("language_set", 0) + figures["itda_steps"].get("join", 0) > 0
    assert figures["bot_errors_logged"] == 0
    assert figures["bot_exit_code"] == 0
    assert isinstance(figures["errors"], int)
