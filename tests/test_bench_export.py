"""The export benchmark (issue 16) in a tiny size: it runs and prints its three figures.

No timed assertion: speed depends on the machine; the real numbers are in the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_export_benchmark_prints_its_figures() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ITDA_", "ADMIN_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench.export", "--size", "400", "--json-only"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    for key in ("export_demo_s", "export_100k_s", "export_100k_mb"):
        assert isinstance(figures[key], int | float) and figures[key] >= 0, key
    assert figures["export_demo_s"] > 0 and figures["export_100k_s"] > 0
    assert figures["export_records"] == 400
