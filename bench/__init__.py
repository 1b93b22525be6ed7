"""ITDA's benchmark: `uv run python -m bench` (see docs/PERFORMANCE.md)."""
