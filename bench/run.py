"""The benchmark: `uv run python -m bench` or `uv run itda bench`. See docs/PERFORMANCE.md.

What it times is the project's own code: the openings and seekers forms
(`bench.scenarios.FORM_SCENARIOS`), the /status overview (`STATUS_BUILDER`) and the reminder
sender (`FAN_OUT`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bench import fanout, load, scenarios, seasondata
from bench.scenarios import SimUser
from core.clock import Clock
from core.config import Settings, load_settings
from testing.fakeapi import FakeBotAPI


async def council_status(session: AsyncSession, clock: Clock) -> str:
    """/status as the council's group sees it: every agency, the six steps, this month's
    reports (`handlers.status` sends exactly this text)."""
    from locales import Translator
    from rendering.status import render_overview
    from services import status

    view = await status.build_status(session=session, today=clock.today())
    return render_overview(view, Translator("ko"))


# The /status text builder, ``async (session, clock) -> str``.
STATUS_BUILDER: seasondata.StatusBuilder = council_status
# The reminder fan-out: ITDA's outbox sender (`scheduler.reminders.send_due`).
FAN_OUT: fanout.FanOut = fanout.real_fan_out

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-TOKEN"
ADMIN_ID = 1
NAMES = [s + g for s in seasondata.SURNAMES for g in seasondata.GIVEN]
STATUS_GOAL_MS = 100.0
# Issue 18's goals, shown beside each figure in the table.
RATIO_GOAL = 0.75
STEP_GOAL_MS = 50.0
STEP_NORM_GOAL = 15.0
ACK_GOAL_MS = 100.0
RSS_GOAL_MB = 150.0
JSON_KEYS = (
    "echo_ups",
    "itda_ups",
    "ratio",
    "ratio_pairs",
    "p50_ms",
    "p99_ms",
    "p99_ms_by_step",
    "p99_norm_by_step",
    "callback_ack_p99_ms",
    "status_ms",
    "fanout_s",
    "fanout_429",
    "plan_ms",
    "plan_noop_ms",
    "import_1000_s",
    "export_demo_s",
    "export_100k_s",
    "export_100k_mb",
    "rss_mb",
    # The scale path (bench.scale): on PostgreSQL, and two webhook processes on one.
    "pg_ratio",
    "pg_p99_ms",
    "webhook2_speedup",
    "webhook2_lost",
    "webhook2_doubled",
    "webhook2_reminder_senders",
)


@dataclass(frozen=True)
class Profile:
    name: str
    throughput_seconds: float  # measured window of the zero-delay phases
    warmup: float
    concurrency: int  # simulated users playing at once in the zero-delay phases
    realistic_seconds: float
    rate: float  # updates offered per second in the realistic phase
    staff: int
    leads: int
    api_delay: float
    fanout_count: int
    fanout_chats: int
    sizes: tuple[int, ...]
    status_repeats: int
    reply_timeout: float = 10.0
    require_steps: tuple[str, ...] = ()  # kinds of step the ITDA window holds (closed_loop)
    export_size: int = 100_000  # records of the generated season the export phase writes
    pairs: int = 6  # alternating echo and ITDA rounds (A B A B ...) when both phases run
    pair_seconds: float = 3.0  # each round's measured window
    plan_members: int = 500  # members who join before the timed reminder pass (bench.planpass)


FULL = Profile("full", 15, 3, 64, 60, 100, 500, 10, 0.25, 1000, 500, (1000, 10000, 100000), 5)
QUICK = Profile("quick", 8, 2, 64, 15, 100, 500, 10, 0.25, 1000, 500, (1000, 10000, 100000), 5,
                pairs=5, pair_seconds=2.0)
SMOKE = Profile("smoke", 2.5, 0.5, 8, 1.5, 20, 12, 2, 0.05, 20, 10, (100, 300), 1, 5.0,
                ("opening_field", "seeker_field"), pairs=5, pair_seconds=0.5, export_size=400,
                plan_members=20)
# A round after a pause warms up this long: the users pick up where they stopped.
PAUSE_WARMUP = 0.3


def log(message: str, *, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


# --- processes ---------------------------------------------------------------------------------
def child_env(**values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "ITDA_", "ADMIN_", "TELEGRAM_", "DATABASE_"))
    }
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # Start-up compiles every imported module when bytecode writing is off (as in this project's
    # containers): keep compiled modules in a cache so that the bots start in a second or two.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "itda-bench-pycache")
    env.update(values)
    return env


class Child:
    """A bot in its own process, its output in a log file."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], workdir: Path):
        self.name, self.args, self.env, self.workdir = name, list(args), env, workdir
        self.log_path = workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(
        self, api: FakeBotAPI, *, timeout: float = 60, ready: str = "deleteWebhook"
    ) -> None:
        log_file = self.log_path.open("wb")
        wrap: list[str] = []
        if os.environ.get("ITDA_BENCH_CPROFILE"):
            # cProfile of the whole child (written when it stops on SIGTERM): for working on
            # the per-update cost, not for the figures (it slows the bot several times).
            wrap = ["-m", "cProfile", "-o", f"{os.environ['ITDA_BENCH_CPROFILE']}.{self.name}"]
        # ITDA_BENCH_BOT_PYTHON: the bots run as deployed, e.g. in a `uv sync --no-dev`
        # environment (the development one holds import-linter's rich, click and pygments,
        # which httpx then imports for its command line: 8 MB more in every bot).
        python = os.environ.get("ITDA_BENCH_BOT_PYTHON") or sys.executable
        self.proc = await asyncio.create_subprocess_exec(
            python, *wrap, *self.args, cwd=self.workdir, env=self.env,
            stdout=log_file, stderr=asyncio.subprocess.STDOUT,
        )
        log_file.close()
        # PTB deletes any webhook right before its first getUpdates; a long poll is only
        # recorded when it returns, so the deleteWebhook call is the sign that polling starts
        # (`ready`: setWebhook for `itda webhook`, which registers it once it serves).
        seen = len(api.calls)
        try:
            await api.wait_for(
                lambda c: c.method == ready and api.calls.index(c) >= seen,
                timeout=timeout,
            )
        except TimeoutError:
            await self.stop()
            raise RuntimeError(f"{self.name} did not start: see {self.log_path}") from None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("VmHWM not found")

    async def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.returncode is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGINT)
        try:
            return await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    def errors_logged(self) -> int:
        keep = os.environ.get("ITDA_BENCH_LOGS")
        if keep:  # the bots' logs outlive the temporary folder (for working on the bench)
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(self.log_path, Path(keep) / self.log_path.name)
        text = self.log_path.read_text(errors="replace")
        return text.count("error while handling update")


class Profiler:
    """`py-spy record` attached to a child for one phase (``--profile DIR``)."""

    def __init__(self, directory: Path | None, child: Child, name: str, seconds: float) -> None:
        self.directory, self.child, self.name, self.seconds = directory, child, name, seconds
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Profiler:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.proc = await asyncio.create_subprocess_exec(
                "py-spy", "record", "--pid", str(self.child.pid), "--nonblocking", "--gil",
                "--rate", "250",
                "--duration", str(max(1, int(self.seconds))), "--format", "raw",
                "-o", str(self.directory / f"{self.name}.txt"),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None:
            await self.proc.wait()


class CpuMeter:
    """CPU use of the bench process and a child over a phase, in % of one core."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.wall = time.perf_counter()
        self.own = time.process_time()
        self.theirs = child.cpu_seconds()

    def read(self) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        return {
            "bench_cpu_pct": round(100 * (time.process_time() - self.own) / wall, 1),
            "bot_cpu_pct": round(100 * (self.child.cpu_seconds() - self.theirs) / wall, 1),
        }


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def sim_users(first_id: int, count: int) -> list[SimUser]:
    return [SimUser(first_id + i, NAMES[i % len(NAMES)]) for i in range(count)]


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index] * 1000


# --- phases ------------------------------------------------------------------------------------
class EchoBot:
    """The echo bot (python-telegram-bot alone) in its own process, played in rounds: alone
    (`--phases echo`) or alternating with ITDA's rounds, so that both see the same machine."""

    def __init__(self, profile: Profile, workdir: Path) -> None:
        self.profile, self.workdir = profile, workdir
        self.api = FakeBotAPI(TOKEN)
        self.cpu: list[dict[str, float]] = []

    async def __aenter__(self) -> EchoBot:
        await self.api.start()
        self.child = Child(
            "echo", ["-m", "bench.echo_bot"],
            child_env(TELEGRAM_API_URL=self.api.url, BOT_TOKEN=TOKEN), self.workdir,
        )
        users = sim_users(1_000_000, self.profile.concurrency)
        for user in users:
            self.api.add_user(user.user_id, user.name)
        try:
            await self.child.start(self.api)
        except BaseException:
            await self.api.stop()
            raise
        self.driver = load.Driver(self.api, reply_timeout=self.profile.reply_timeout)
        self.loop = load.ClosedLoop(self.driver, users, scenarios.ECHO_SCENARIOS)
        return self

    async def round(self, *, duration: float, warmup: float) -> float:
        meter = CpuMeter(self.child)
        ups = await self.loop.window(duration=duration, warmup=warmup)
        self.cpu.append(meter.read())
        return ups

    def figures(self) -> dict[str, Any]:
        return {"echo_errors": self.driver.stats.timeouts, **mean_cpu("echo", self.cpu)}

    async def __aexit__(self, *exc: object) -> None:
        self.driver.close()
        await self.child.stop()
        await self.api.stop()


async def echo_phase(
    profile: Profile, workdir: Path, quiet: bool, profile_dir: Path | None
) -> dict[str, Any]:
    log("[1/6] echo bot (python-telegram-bot alone), zero API delay", quiet=quiet)
    async with EchoBot(profile, workdir) as echo:
        async with Profiler(profile_dir, echo.child, "echo", profile.throughput_seconds):
            ups = await echo.round(duration=profile.throughput_seconds, warmup=profile.warmup)
        return {"echo_ups": ups, **echo.figures()}


def mean_cpu(name: str, readings: Sequence[dict[str, float]]) -> dict[str, float]:
    """CPU use over several rounds: the mean of each round's (the pauses between them left out)."""
    if not readings:
        return {}
    return {
        f"{name}_{key}": round(statistics.fmean(r[key] for r in readings), 1)
        for key in readings[0]
    }


def pair_figures(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Echo and ITDA rounds taken pair by pair: each pair saw the same moment of the machine,
    so the ratio of a pair is fair even when the machine's load changes between pairs."""
    ratios = [itda / echo for echo, itda in pairs if echo > 0]
    return {
        "echo_ups": statistics.median(e for e, _ in pairs),
        "itda_ups": statistics.median(i for _, i in pairs),
        "ratio": statistics.median(ratios) if ratios else None,
        "ratio_pairs": {
            "median": statistics.median(ratios) if ratios else None,
            "min": min(ratios, default=None),
            "max": max(ratios, default=None),
            "ratios": ratios,
            "echo_ups": [e for e, _ in pairs],
            "itda_ups": [i for _, i in pairs],
        },
    }


def prefix(name: str, meter: CpuMeter) -> dict[str, float]:
    return {f"{name}_{k}": v for k, v in meter.read().items()}


def itda_settings(
    workdir: Path, api_url: str = "http://127.0.0.1:1", database_url: str = ""
) -> Settings:
    """The bot's settings; `database_url` empty for SQLite in the data folder."""
    return load_settings(
        _env_file=None,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        ITDA_DATA_DIR=str(workdir / "itda"),
        DATABASE_URL=database_url,
        ADMIN_IDS=str(ADMIN_ID),
    )


async def prepare_itda_db(
    workdir: Path, staff: Sequence[SimUser], leads: Sequence[SimUser], database_url: str = ""
) -> None:
    """A fresh database with the council, the leads as members and one invite per staff, to
    employer associations and 새일센터 in turn (the agencies whose forms the staff walk)."""
    from bot.wiring import create_runtime, prepare_database
    from models import council as council_db
    from models.tables import Invite, Member

    runtime = create_runtime(itda_settings(workdir, database_url=database_url))
    try:
        await prepare_database(runtime)
        rng = random.Random(8)
        now = runtime.clock.now()
        async with runtime.session() as session:
            agencies = await council_db.list_agencies(session=session)
            province = next(a for a in agencies if a.kind == "province")
            for lead in leads:
                session.add(
                    Member(telegram_id=lead.user_id, display_name=lead.name,
                           agency_id=province.id, role="coordinator", joined_at=now)
                )
                lead.joined = True
            for n, user in enumerate(staff):
                user.invite_code = f"bench-{user.user_id}"
                user.agency_kind = scenarios.STAFF_KINDS[n % len(scenarios.STAFF_KINDS)]
                agency = rng.choice([a for a in agencies if a.kind == user.agency_kind])
                session.add(
                    Invite(code=user.invite_code, agency_id=agency.id or 0,
                           role="staff", created_at=now, expires_at=now + timedelta(days=7))
                )
    finally:
        await runtime.close()


async def itda_phases(
    profile: Profile, workdir: Path, quiet: bool, profile_dir: Path | None,
    echo: EchoBot | None = None, database_url: str = "",
) -> dict[str, Any]:
    """ITDA's zero-delay rounds (alternating with `echo`'s when given) and the realistic
    phase, on one bot process (on SQLite, or the database of `database_url`)."""
    fast_staff = sim_users(2_000_000, profile.concurrency)
    real_staff = sim_users(3_000_000, profile.staff - profile.leads)
    leads = sim_users(3_900_000, profile.leads)
    await prepare_itda_db(workdir, fast_staff + real_staff, leads, database_url)
    api = FakeBotAPI(TOKEN)
    await api.start()
    for user in fast_staff + real_staff + leads:
        api.add_user(user.user_id, user.name)
    settings = itda_settings(workdir, api.url)
    child = Child(
        "itda", ["-m", "bot.cli", "run"],
        child_env(
            TELEGRAM_API_URL=api.url, BOT_TOKEN=TOKEN, ADMIN_IDS=str(ADMIN_ID),
            ITDA_DATA_DIR=str(settings.itda_data_dir), DATABASE_URL=database_url,
        ),
        workdir,
    )
    result: dict[str, Any] = {}
    try:
        await child.start(api)
        driver = load.Driver(api, reply_timeout=profile.reply_timeout)
        loop = load.ClosedLoop(driver, fast_staff, scenarios.ITDA_SCENARIOS)
        if echo is None:
            log("[2/6] ITDA, zero API delay: staff joining and working in the forms", quiet=quiet)
            meter = CpuMeter(child)
            async with Profiler(profile_dir, child, "itda", profile.throughput_seconds):
                result["itda_ups"] = await loop.window(
                    duration=profile.throughput_seconds, warmup=profile.warmup,
                    require=profile.require_steps,
                )
            result.update(prefix("itda", meter))
        else:
            log(f"[1-2/6] echo and ITDA, zero API delay: {profile.pairs} pairs of "
                f"{profile.pair_seconds:g} s rounds, one bot after the other", quiet=quiet)
            pairs: list[tuple[float, float]] = []
            cpu: list[dict[str, float]] = []
            seconds = profile.pairs * (profile.pair_seconds + PAUSE_WARMUP) * 2
            async with Profiler(profile_dir, child, "itda", seconds):
                for n in range(profile.pairs):
                    warmup = profile.warmup if n == 0 else PAUSE_WARMUP
                    echo_ups = await echo.round(duration=profile.pair_seconds, warmup=warmup)
                    meter = CpuMeter(child)
                    itda_ups = await loop.window(
                        duration=profile.pair_seconds, warmup=warmup,
                        require=profile.require_steps,
                    )
                    cpu.append(meter.read())
                    pairs.append((echo_ups, itda_ups))
                    log(f"      pair {n + 1}: echo {echo_ups:.0f}/s, ITDA {itda_ups:.0f}/s, "
                        f"ratio {itda_ups / echo_ups if echo_ups else 0:.2f}", quiet=quiet)
            result.update(pair_figures(pairs))
            result.update(echo.figures())
            result.update(mean_cpu("itda", cpu))
        result["itda_steps"] = dict(driver.stats.by_label)
        result["itda_errors"] = driver.stats.timeouts + driver.stats.failed_calls
        driver.close()

        log(
            f"[3/6] ITDA, {profile.api_delay * 1000:.0f} ms per Bot API call, "
            f"{profile.rate:.0f} updates/s from {profile.staff} staff for "
            f"{profile.realistic_seconds:.0f} s",
            quiet=quiet,
        )
        api.api_delay = profile.api_delay
        driver = load.Driver(api, reply_timeout=profile.reply_timeout)
        meter = CpuMeter(child)
        users = [(u, scenarios.ITDA_SCENARIOS) for u in real_staff]
        users += [(u, scenarios.LEAD_SCENARIOS) for u in leads]
        random.Random(3).shuffle(users)
        phase_started = time.monotonic()
        async with Profiler(profile_dir, child, "realistic", profile.realistic_seconds):
            kept = await open_loop_mixed(driver, users, profile)
        stats = driver.stats
        by_label = sorted(stats.latencies_by_label.items())
        result.update(
            {
                "offered_ups": profile.rate,
                "kept_ups": kept,
                "p50_ms": percentile(stats.latencies, 50),
                "p99_ms": percentile(stats.latencies, 99),
                "callback_ack_p50_ms": percentile(stats.acks, 50),
                "p99_ms_by_step": {label: percentile(values, 99) for label, values in by_label},
                "steps_by_kind": {label: len(values) for label, values in by_label},
                "slowest_steps": slowest_steps(stats.samples, phase_started),
                "callback_ack_p99_ms": percentile(stats.acks, 99),
                "realistic_steps": stats.steps,
                "realistic_timeouts": stats.timeouts,
                "realistic_failed_calls": stats.failed_calls,
                "realistic_skipped": stats.skipped,
            }
        )
        result.update(prefix("realistic", meter))
        driver.close()
        result["rss_mb"] = child.peak_rss_mb()
    finally:
        code = await child.stop()
        await api.stop()
    result["bot_exit_code"] = code
    result["bot_errors_logged"] = child.errors_logged()
    result["errors"] = (
        result.get("itda_errors", 0) + result.get("realistic_timeouts", 0)
        + result.get("realistic_failed_calls", 0) + result["bot_errors_logged"]
    )
    return result


def slowest_steps(
    samples: list[tuple[float, str, float]], started: float, count: int = 10
) -> list[list[Any]]:
    """The slowest steps of a phase as [seconds into the phase, kind of step, ms]: whether they
    bunch at its start (a warm-up), at one moment (a pause) or spread over it."""
    worst = sorted(samples, key=lambda sample: sample[2], reverse=True)[:count]
    return [[round(at - started, 2), label, round(ms * 1000, 1)] for at, label, ms in worst]


async def open_loop_mixed(
    driver: load.Driver, users: list[tuple[SimUser, list[scenarios.ScenarioFactory]]],
    profile: Profile,
) -> float:
    """The open loop with each user playing their own scenario list (staff or lead)."""
    by_user = {user.user_id: plays for user, plays in users}

    def session(user: SimUser) -> scenarios.Scenario:
        for factory in by_user[user.user_id]:
            yield from factory(user)

    return await load.open_loop(
        driver, [u for u, _ in users], [session],
        rate=profile.rate, duration=profile.realistic_seconds,
    )


async def status_phase(profile: Profile, workdir: Path, quiet: bool) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from bot.wiring import create_runtime, prepare_database

    log("[4/6] /status on generated season data", quiet=quiet)
    settings = load_settings(
        _env_file=None, ITDA_DATA_DIR=str(workdir / "season"),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'season.db'}",
    )
    runtime = create_runtime(settings)
    engine = create_engine(f"sqlite:///{workdir / 'season.db'}")
    timings: dict[str, float] = {}
    generated: dict[str, float] = {}
    try:
        await prepare_database(runtime)
        generator = seasondata.SeasonGenerator(engine, runtime.clock)
        for size in sorted(profile.sizes):
            started = time.perf_counter()
            await asyncio.to_thread(generator.grow_to, size)
            generated[str(size)] = time.perf_counter() - started
            timings[str(size)] = await seasondata.time_status(
                STATUS_BUILDER, runtime.sessions, runtime.clock, repeats=profile.status_repeats
            )
            log(f"      {size:>7,} openings + seekers: {timings[str(size)]:.1f} ms", quiet=quiet)
    finally:
        engine.dispose()
        await runtime.close()
    return {
        "status_ms": timings,
        "season_generate_s": generated,
        "season_hires": generator.hires,
        "season_meetings": generator.meetings,
    }


async def fanout_phase(profile: Profile, workdir: Path, quiet: bool) -> dict[str, Any]:
    log(
        f"[5/6] reminder fan-out: {profile.fanout_count} messages to {profile.fanout_chats} "
        f"chats under Telegram's limits",
        quiet=quiet,
    )
    found = await fanout.measure_fanout(
        FAN_OUT, workdir=workdir, token=TOKEN, count=profile.fanout_count,
        chats=profile.fanout_chats, api_delay=profile.api_delay,
    )
    return {
        "fanout_s": found.seconds,
        "fanout_429": found.status_429,
        "fanout": {
            "peak_per_second": found.peak_per_second,
            "peak_per_chat_per_second": found.peak_per_chat_per_second,
            "delivered": found.delivered,
        },
    }


async def export_phase(profile: Profile, quiet: bool) -> dict[str, Any]:
    from bench.export import measure

    log(f"[export] the workbook of the demo season and of {profile.export_size:,} records",
        quiet=quiet)
    return await measure(profile.export_size)


async def plan_phase(profile: Profile, workdir: Path, quiet: bool) -> dict[str, Any]:
    from bench.planpass import measure_plan

    log(f"[plan] a reminder pass after {profile.plan_members} members joined", quiet=quiet)
    return await measure_plan(workdir, members=profile.plan_members)


async def import_phase(workdir: Path, quiet: bool) -> dict[str, Any]:
    from bench.imports import ROWS, measure_import

    log(f"[6/6] /import: a {ROWS:,}-row seekers workbook read, checked and previewed", quiet=quiet)
    return await measure_import(workdir)


# --- output ------------------------------------------------------------------------------------
def num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def goal(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "MISSED")


Row = tuple[str, str, str, str]
PHASES = ("echo", "itda", "status", "fanout", "plan", "import", "export", "pg", "webhook2")
POSTGRES_PHASES = frozenset({"pg", "webhook2"})  # run by --database postgres (bench.scale)
IMPORT_GOAL_S = 5.0


def _throughput_rows(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if "echo_ups" in r:
        rows.append(("echo bot (PTB alone), updates/s", num(r["echo_ups"]), "", ""))
    if "itda_ups" in r:
        rows.append(("ITDA form steps/s (each a DB write)", num(r["itda_ups"]), "", ""))
    ratio = r.get("ratio")
    if ratio is not None:
        pairs = r.get("ratio_pairs")
        label = "ratio ITDA / echo"
        if pairs:
            label += f" (median of {len(pairs['ratios'])} pairs, {num(pairs['min'], 2)}-" \
                     f"{num(pairs['max'], 2)})"
        rows.append((label, num(ratio, 2), f">= {RATIO_GOAL}", goal(ratio >= RATIO_GOAL)))
    return rows


def _realistic_rows(r: dict[str, Any]) -> list[Row]:
    p99, ack = r["p99_ms"], r["callback_ack_p99_ms"]
    return [
        (f"realistic: kept of {num(r['offered_ups'], 0)} updates/s offered",
         num(r["kept_ups"]), "= offered", goal(r["kept_ups"] >= 0.97 * r["offered_ups"])),
        ("realistic: errors (all phases)", num(r["errors"]), "0", goal(r["errors"] == 0)),
        ("bot's added latency p50, ms", num(r["p50_ms"]), "", ""),
        ("bot's added latency p99, ms", num(p99), "<= 50",
         goal(None if p99 is None else p99 <= 50)),
        ("button ack (answerCallbackQuery) p99, ms", num(ack), f"<= {ACK_GOAL_MS:g}",
         goal(None if ack is None else ack <= ACK_GOAL_MS)),
        *_step_rows(r),
    ]


def _step_rows(r: dict[str, Any]) -> list[Row]:
    """The slowest kind of step, in ms and in echo updates (the machine-independent figure)."""
    by_step = {k: v for k, v in (r.get("p99_ms_by_step") or {}).items() if v is not None}
    if not by_step:
        return []
    worst = max(by_step, key=lambda k: by_step[k])
    rows: list[Row] = [(f"slowest step p99 ({worst}), ms", num(by_step[worst]),
                        f"<= {STEP_GOAL_MS:g}", goal(by_step[worst] <= STEP_GOAL_MS))]
    norm = {k: v for k, v in (r.get("p99_norm_by_step") or {}).items() if v is not None}
    if norm:
        worst = max(norm, key=lambda k: norm[k])
        rows.append((f"slowest step p99 / echo time per update ({worst})", num(norm[worst]),
                     f"<= {STEP_NORM_GOAL:g}", goal(norm[worst] <= STEP_NORM_GOAL)))
    return rows


def _status_rows(r: dict[str, Any]) -> list[Row]:
    return [
        (f"/status at {int(size):,} openings + seekers, ms", num(ms), "< 100",
         goal(ms < STATUS_GOAL_MS))
        for size, ms in (r.get("status_ms") or {}).items()
    ]


def _fanout_rows(r: dict[str, Any]) -> list[Row]:
    fan = r["fanout"]
    return [
        (f"fan-out: {r['fanout_messages']:,} reminders, s", num(r["fanout_s"]), "", ""),
        ("fan-out: delivered", num(fan["delivered"]), num(r["fanout_messages"]),
         goal(fan["delivered"] == r["fanout_messages"])),
        ("fan-out: peak per second / per chat",
         f"{fan['peak_per_second']} / {fan['peak_per_chat_per_second']}", "<= 30 / 3", ""),
        ("fan-out: 429s", num(r["fanout_429"]), "0", goal(r["fanout_429"] == 0)),
    ]


def _plan_rows(r: dict[str, Any]) -> list[Row]:
    # The pass runs in the event loop (SQLite): every update waits while it runs.
    return [
        (f"reminder pass after {r['plan_members']} joined ({r['plan_rows']:,} rows), ms",
         num(r["plan_ms"]), f"<= {STEP_GOAL_MS:.0f}", goal(r["plan_ms"] <= STEP_GOAL_MS)),
        ("reminder pass with nothing new, ms", num(r["plan_noop_ms"]), "", ""),
    ]


def _export_rows(r: dict[str, Any]) -> list[Row]:
    from bench.export import BIG_GOAL_MB, BIG_GOAL_S, DEMO_GOAL_S

    size = r["export_records"]
    return [
        ("/export: the demo season's workbook, s", num(r["export_demo_s"], 2),
         f"< {DEMO_GOAL_S:g}", goal(r["export_demo_s"] < DEMO_GOAL_S)),
        (f"/export: {size:,} records, s", num(r["export_100k_s"]), f"< {BIG_GOAL_S:g}",
         goal(r["export_100k_s"] < BIG_GOAL_S) if size >= 100_000 else ""),
        (f"/export: {size:,} records, memory added, MB", num(r["export_100k_mb"]),
         f"< {BIG_GOAL_MB:g}", goal(r["export_100k_mb"] < BIG_GOAL_MB) if size >= 100_000
         else ""),
    ]


def _import_rows(r: dict[str, Any]) -> list[Row]:
    seconds = r["import_seconds"]
    return [
        (f"/import: {r['import_rows']:,} rows read, checked, previewed, s", num(seconds, 2),
         f"< {IMPORT_GOAL_S:g}", goal(seconds < IMPORT_GOAL_S)),
        ("/import: rows ready of the file", num(r["import_ready"]), num(r["import_rows"]),
         goal(r["import_ready"] == r["import_rows"])),
    ]


def _process_rows(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = [
        ("bot peak memory (VmHWM), MB", num(r["rss_mb"]), f"<= {RSS_GOAL_MB:g}",
         goal(r["rss_mb"] <= RSS_GOAL_MB))
    ]
    for phase, label in (("echo", "echo"), ("itda", "ITDA zero delay"),
                         ("realistic", "realistic")):
        if f"{phase}_bot_cpu_pct" not in r:
            continue
        rows.append((f"CPU % of a core, bench / bot: {label}",
                     f"{num(r[f'{phase}_bench_cpu_pct'], 0)} / "
                     f"{num(r[f'{phase}_bot_cpu_pct'], 0)}", "", ""))
    return rows


def table(r: dict[str, Any]) -> str:
    """The figures as a table; a phase left out (`--phases`) leaves its rows out."""
    from bench import scale

    rows: list[Row] = []
    for section in (_throughput_rows, _realistic_rows, _status_rows, _fanout_rows, _plan_rows,
                    _import_rows, _export_rows,
                    scale.pg_rows, scale.webhook2_rows):
        try:
            rows += section(r)
        except KeyError:
            continue
    if "rss_mb" in r:
        rows += _process_rows(r)
    rows.append(("machine load average before / after",
                 f"{num(r['load_before'], 2)} / {num(r['load_after'], 2)}",
                 f"< {r['cpus']}", ""))
    width = max(len(row[0]) for row in rows)
    lines = [f"{'measure':<{width}}  {'value':>12}  {'goal':>9}  ", "-" * (width + 32)]
    lines += [f"{a:<{width}}  {b:>12}  {c:>9}  {d}" for a, b, c, d in rows]
    return "\n".join(lines)


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


async def run(
    profile: Profile, *, quiet: bool, profile_dir: Path | None = None,
    only: frozenset[str] = frozenset(), database: str = "sqlite",
) -> dict[str, Any]:
    """Every phase, or only those named in `only` (for working on one: the table and the JSON
    line then hold only what was measured); the PostgreSQL phases with `database` postgres
    or when named."""
    from bench import scale

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="itda-bench-") as tmp:
        workdir = Path(tmp)
        result: dict[str, Any] = {"mode": profile.name, "load_before": load_average()}
        phases: dict[str, float] = {}
        paired = not only or {"echo", "itda"} <= only
        if paired:  # echo and ITDA rounds alternate on one machine (A B A B ...)
            began = time.perf_counter()
            async with EchoBot(profile, workdir) as echo:
                result.update(await itda_phases(profile, workdir, quiet, profile_dir, echo))
            phases["echo+itda"] = time.perf_counter() - began
        for name, phase in (
            ("echo", lambda: echo_phase(profile, workdir, quiet, profile_dir)),
            ("itda", lambda: itda_phases(profile, workdir, quiet, profile_dir)),
            ("status", lambda: status_phase(profile, workdir, quiet)),
            ("fanout", lambda: fanout_phase(profile, workdir, quiet)),
            ("plan", lambda: plan_phase(profile, workdir, quiet)),
            ("import", lambda: import_phase(workdir, quiet)),
            ("export", lambda: export_phase(profile, quiet)),
            ("pg", lambda: scale.pg_phase(profile, workdir, quiet, profile_dir)),
            ("webhook2", lambda: scale.webhook2_phase(profile, workdir, quiet)),
        ):
            if (only and name not in only) or (paired and name in ("echo", "itda")):
                continue
            if not only and name in POSTGRES_PHASES and database != "postgres":
                continue
            began = time.perf_counter()
            result.update(await phase())
            phases[name] = time.perf_counter() - began
        result["phase_seconds"] = phases
    if "ratio" not in result and "echo_ups" in result and "itda_ups" in result:
        result["ratio"] = result["itda_ups"] / result["echo_ups"] if result["echo_ups"] else None
    if result.get("echo_ups") and "p99_ms_by_step" in result:
        # Machine-independent: each p99 in units of the echo bot's time per update.
        per_update_ms = 1000 / result["echo_ups"]
        result["p99_norm_by_step"] = {
            label: None if ms is None else ms / per_update_ms
            for label, ms in result["p99_ms_by_step"].items()
        }
    result["fanout_messages"] = profile.fanout_count
    result["realistic_seconds"] = profile.realistic_seconds
    result["api_delay_ms"] = profile.api_delay * 1000
    result["bench_seconds"] = time.perf_counter() - started
    result["load_after"] = load_average()
    result["cpus"] = os.cpu_count()
    return result


def profile_for(args: argparse.Namespace) -> Profile:
    profile = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.sizes:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
        if not sizes or min(sizes) <= 0:
            raise SystemExit("bench: --sizes expects positive whole numbers like 1000,10000")
        profile = Profile(**{**profile.__dict__, "sizes": sizes})
    return profile


def execute(args: argparse.Namespace) -> int:
    profile = profile_for(args)
    only = frozenset(p.strip() for p in (args.phases or "").split(",") if p.strip())
    unknown = only - set(PHASES)
    if unknown:
        raise SystemExit(f"bench: unknown phase {', '.join(sorted(unknown))}; "
                         f"choose from {','.join(PHASES)}")
    from bench.scale import PostgresUnavailable

    try:
        result = asyncio.run(run(profile, quiet=args.json_only, profile_dir=args.profile,
                                 only=only, database=args.database))
    except PostgresUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    if not args.json_only:
        print(table(result))
    line = {key: rounded(result.get(key)) for key in JSON_KEYS}
    line.update({k: rounded(v) for k, v in result.items() if k not in line})
    print(json.dumps(line, ensure_ascii=False, sort_keys=False), flush=True)
    return 0
