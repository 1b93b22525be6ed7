"""The Docker files build the same image next year and say when the bot is well (issue 14):
pinned base image and uv, a HEALTHCHECK running the real `itda health`, the bot waiting for a
healthy PostgreSQL, and the README's first step copying .env.example to .env."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "docker-compose.yml").read_text()


def test_the_base_image_and_uv_are_pinned() -> None:
    base = re.search(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.group(1))
    version = re.search(r"^ARG UV_VERSION=(\d+\.\d+\.\d+)$", DOCKERFILE, re.M)
    assert version is not None and '"uv==${UV_VERSION}"' in DOCKERFILE
    assert re.search(r"image: postgres:\d+\.\d+-alpine", COMPOSE)


def test_a_healthcheck_runs_itda_health() -> None:
    check = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (.*)$", DOCKERFILE, re.M)
    assert check is not None and '"itda", "health"' in check.group(1)


def test_the_bot_waits_for_a_healthy_postgres() -> None:
    bot = COMPOSE.split("\n  postgres:")[0]
    assert re.search(r"depends_on:\n\s+postgres:\n\s+condition: service_healthy", bot)
    assert "required: false" in bot  # the SQLite default needs no PostgreSQL
    assert "healthcheck:" in COMPOSE.split("\n  postgres:")[1]


def test_the_readme_copies_env_example_first() -> None:
    docker = (ROOT / "README.md").read_text().split("## Docker", 1)[1]
    first = docker.split("```sh", 1)[1].strip().splitlines()[0]
    assert first.startswith("cp .env.example .env")


def _itda(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITDA_", "DATABASE_"))}
    env.update({"ITDA_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _health(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return _itda(tmp_path, "health")


def test_itda_health_says_whether_a_bot_runs_on_the_database(tmp_path: Path) -> None:
    nothing = _health(tmp_path)
    assert nothing.returncode == 1 and "no bot has started" in nothing.stderr
    assert _itda(tmp_path, "db", "upgrade").returncode == 0
    lock = tmp_path / "data" / "itda.db.lock"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    lock.write_text(dead)  # a bot that wrote its pid and is gone
    stopped = _health(tmp_path)
    assert stopped.returncode == 1 and "no bot is running" in stopped.stderr
    lock.write_text(str(os.getpid()))  # a live process holds it, as `itda run` does
    running = _health(tmp_path)
    assert running.returncode == 0, running.stderr
    assert running.stdout.strip() == "healthy"
