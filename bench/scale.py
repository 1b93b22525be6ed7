"""The scale path, measured (issue 18): ITDA on PostgreSQL, and two webhook processes on one.

* ``pg`` (``--database postgres``): the zero-delay rounds, alternating with the echo bot's
  (`bench.run.pair_figures`), and the realistic phase, with the bot on a PostgreSQL database the
  benchmark creates on 127.0.0.1:5432 (user postgres) and drops at the end: ``pg_ratio`` and
  ``pg_p99_ms`` (each kind of step's p99, like ``p99_ms_by_step``).
* ``webhook2``: two ``itda webhook`` processes on one PostgreSQL database behind `Forwarder`, a
  small round-robin HTTP forwarder that sends alternate updates of each conversation to
  different processes. The fake Bot API only stores webhooks, so `Pusher` plays Telegram's part:
  it takes the pending updates (getUpdates over HTTP) and POSTs each to the forwarder with the
  secret token. Rounds with one process and with two alternate (A B A B, like the ratio's), at
  zero API delay: ``webhook2_speedup`` is the median of the pairs' throughput ratios. Then every
  user finishes the form in hand, and the figures check that no step was lost or done twice
  (every step answered, each saved form one record) and that reminders due while both
  processes ran were sent by one process only (``webhook2_reminder_senders``, read from the
  fake server's log and the outbox row of each chat). Each round's CPU use (`RoundCpu`: the
  bench process, each bot, PostgreSQL's processes, in % of one core) shows whether the machine,
  not the bot, sets the two-process throughput: with 2 cores, 200 % is all there is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench import load, scenarios
from bench import run as bench
from bench.scenarios import JSON, SimUser, Step
from locales import Translator
from testing.fakeapi import Call, FakeBotAPI

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432"
PG_RATIO_GOAL = 0.5
SPEEDUP_GOAL = 1.5
SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # bot.webhook.SECRET_HEADER
HOOK_PATH = "/hook"
REMINDER_CHAT = 4_000_000  # chats that get nothing but the reminders of the check
REMINDER_WAIT = 30.0  # seconds the reminders due have to go out
JSON_KEYS = (
    "pg_ratio", "pg_p99_ms", "webhook2_speedup", "webhook2_lost", "webhook2_doubled",
    "webhook2_unfinished", "webhook2_reminder_senders",
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server answers on 127.0.0.1:5432 (user postgres)."""


@contextlib.asynccontextmanager
async def scratch_database(purpose: str) -> AsyncIterator[str]:
    """A new, empty database for one phase (its URL for the bot), dropped afterwards."""
    import asyncpg

    try:
        admin = await asyncpg.connect(f"{PG_ADMIN}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise PostgresUnavailable(
            f"bench: the {purpose} phase needs PostgreSQL on 127.0.0.1:5432 (user postgres, "
            f"trust): {type(exc).__name__}: {exc}"
        ) from None
    # A run's databases share a prefix (ITDA_BENCH_DB_PREFIX), so a test can check that its own
    # are gone while another run uses the same server.
    name = f"{os.environ.get('ITDA_BENCH_DB_PREFIX', 'itda_bench_')}{uuid.uuid4().hex[:10]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# --- pg: the zero-delay and realistic phases on PostgreSQL ------------------------------------
async def pg_phase(
    profile: bench.Profile, workdir: Path, quiet: bool, profile_dir: Path | None = None
) -> dict[str, Any]:
    bench.log("[pg] echo and ITDA rounds, then the realistic phase, the bot on PostgreSQL",
              quiet=quiet)
    sub = workdir / "pg"
    sub.mkdir(parents=True, exist_ok=True)
    async with scratch_database("pg") as url, bench.EchoBot(profile, sub) as echo:
        found = await bench.itda_phases(profile, sub, quiet, profile_dir and profile_dir / "pg",
                                        echo, database_url=url)
    by_step = found.get("p99_ms_by_step") or {}
    if found.get("echo_ups"):
        per_update_ms = 1000 / found["echo_ups"]
        found["p99_norm_by_step"] = {
            label: None if ms is None else ms / per_update_ms for label, ms in by_step.items()
        }
    return {"pg_ratio": found.get("ratio"), "pg_p99_ms": by_step, "pg": found}


def pg_rows(r: dict[str, Any]) -> list[bench.Row]:
    pg = r["pg"]
    rows: list[bench.Row] = []
    ratio, pairs = r["pg_ratio"], pg.get("ratio_pairs") or {}
    if ratio is not None:
        rows.append((f"PostgreSQL: ratio ITDA / echo (median of {len(pairs.get('ratios', []))} "
                     f"pairs)", bench.num(ratio, 2), f">= {PG_RATIO_GOAL}",
                     bench.goal(ratio >= PG_RATIO_GOAL)))
    by_step = {k: v for k, v in (r["pg_p99_ms"] or {}).items() if v is not None}
    if by_step:
        worst = max(by_step, key=lambda k: by_step[k])
        ms = by_step[worst]
        rows.append((f"PostgreSQL: slowest step p99 ({worst}), ms", bench.num(ms),
                     f"<= {bench.STEP_GOAL_MS:g}", bench.goal(ms <= bench.STEP_GOAL_MS)))
    if "errors" in pg:
        rows.append(("PostgreSQL: errors", bench.num(pg["errors"]), "0",
                     bench.goal(pg["errors"] == 0)))
    return rows


# --- webhook2: two webhook processes on one database ------------------------------------------
def conversation_of(update: JSON) -> int:
    """The chat an update belongs to (its sender's for a button press without a message)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = update.get(kind)
        if not isinstance(part, dict):
            continue
        chat = part.get("chat") or (part.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return int(chat["id"])
        if isinstance(part.get("from"), dict):
            return int(part["from"]["id"])
    return 0


class Forwarder:
    """A small round-robin HTTP load balancer in front of the webhook processes: the n-th
    update of each conversation goes to process n mod len(backends), so that alternate updates
    of one form reach different processes (the case shared state must survive)."""

    def __init__(self) -> None:
        self.backends: list[str] = []
        self.by_backend: Counter[int] = Counter()
        self.failed = 0
        self.switches = 0  # consecutive updates of one chat that went to different processes
        self.follows = 0  # consecutive updates of one chat, both with two or more processes
        self._turns: dict[int, int] = {}
        self._last: dict[int, tuple[int, int]] = {}  # chat -> (backend index, backends count)

    async def start(self) -> str:
        self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(HOOK_PATH, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}{HOOK_PATH}"

    async def stop(self) -> None:
        await self._runner.cleanup()
        await self._client.close()

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        chat = conversation_of(json.loads(body))
        turn = self._turns.get(chat, 0)
        self._turns[chat] = turn + 1
        index = turn % len(self.backends)
        last = self._last.get(chat)
        if last is not None and last[1] > 1 and len(self.backends) > 1:
            self.follows += 1
            self.switches += last[0] != index
        self._last[chat] = (index, len(self.backends))
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, ""),
                   "Content-Type": "application/json"}
        try:
            async with self._client.post(self.backends[index], data=body, headers=headers) as got:
                status = got.status
                await got.read()
        except aiohttp.ClientError:
            status = 502
        self.by_backend[index] += 1
        if status != 200:
            self.failed += 1
        return web.Response(status=status)


class Pusher:
    """Telegram's side of a webhook, which the fake Bot API does not play: the pending updates
    (getUpdates over HTTP, once the webhook is deleted) are POSTed to `url` one by one with the
    secret token. An update counts as delivered (`FakeBotAPI.delivered_at`) when its POST
    starts, so the latency the driver measures includes the forwarder's hop."""

    def __init__(self, api: FakeBotAPI, url: str) -> None:
        self.api, self.url = api, url
        self.pushed = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def _method(self, name: str) -> str:
        return f"{self.api.url}/bot{self.api.token}/{name}"

    async def start(self) -> None:
        from telegram import Update

        self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        async with self._client.post(self._method("deleteWebhook"), json={}) as got:
            assert (await got.json())["ok"], "deleteWebhook refused"
        self._allowed = list(Update.ALL_TYPES)
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await asyncio.gather(*self._tasks)
        await self._client.close()

    async def _poll(self) -> None:
        offset = 0
        while True:
            params = {"offset": offset, "timeout": 1, "allowed_updates": self._allowed}
            async with self._client.post(self._method("getUpdates"), json=params) as got:
                answer = await got.json()
            for update in answer.get("result") or []:
                offset = max(offset, update["update_id"] + 1)
                task = asyncio.create_task(self._push(update))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _push(self, update: JSON) -> None:
        self.api.delivered_at[update["update_id"]] = time.monotonic()
        try:
            async with self._client.post(
                self.url, json=update, headers={SECRET_HEADER: SECRET}
            ) as got:
                ok = got.status == 200
                await got.read()
        except aiohttp.ClientError:
            ok = False
        self.pushed += 1
        self.failed += not ok


class TallyDriver(load.Driver):
    """The driver, also counting every step answered or not by kind, warm-ups included (the
    lost and doubled checks need them all, the timed windows only some)."""

    def __init__(self, api: FakeBotAPI, *, reply_timeout: float) -> None:
        super().__init__(api, reply_timeout=reply_timeout)
        self.answered: Counter[str] = Counter()
        self.unanswered: Counter[str] = Counter()
        # Why steps went unanswered, by the bot's last message to the user: the screen shown
        # again (its "sent" mark not yet seen), the stale-button answer (the conversation not
        # yet seen), or anything else (no answer in time: a slow machine).
        self.causes: Counter[str] = Counter()
        tr = Translator("ko")
        self._signs = {cause: tr(key)[:12] for cause, key in
                       (("shown_again", "records.shown_again"), ("stale_button", "stale.text"))}

    async def play_step(self, user: SimUser, step: Step) -> JSON | None:
        reply = await super().play_step(user, step)
        (self.answered if reply is not None else self.unanswered)[step.label] += 1
        if reply is None:
            sent = self.api.sent_to(user.user_id)
            last = (sent[-1].get("text") or "") if sent else ""
            cause = next((c for c, sign in self._signs.items() if last.startswith(sign)), "other")
            self.causes[f"{step.label}:{cause}"] += 1
        return reply


def postgres_cpu_seconds() -> float:
    """CPU time of the machine's PostgreSQL processes (the server and every backend) so far;
    backends that ended meanwhile are not counted."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            if text[text.index("(") + 1:text.rindex(")")] == "postgres":
                fields = text.rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class RoundCpu:
    """CPU use over one round, in % of one core: the bench process (driver, fake Bot API,
    forwarder, pusher), each bot, PostgreSQL."""

    def __init__(self, children: Sequence[bench.Child]) -> None:
        self.children = children
        self.wall = time.perf_counter()
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        now = {"bench": time.process_time(), "postgres": postgres_cpu_seconds()}
        now.update({child.name: child.cpu_seconds() for child in self.children})
        return now

    def read(self) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        now = self._now()
        used = {name: round(100 * (now[name] - self.start[name]) / wall, 1) for name in now}
        used["total"] = round(sum(used.values()), 1)
        return used


def median_cpu(rounds: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rounds:
        return {}
    return {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def daytime_zone(now: datetime | None = None) -> str:
    """A fixed-offset zone where it is now about noon: the reminders of the check are never
    held by the quiet hours (20:00-08:00), whenever the benchmark runs."""
    hour = (now or datetime.now(UTC)).hour
    offset = (12 - hour + 11) % 24 - 11  # UTC offset in hours, -11..12
    # POSIX sign: Etc/GMT-9 is nine hours ahead of UTC.
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


async def add_reminders(database_url: str, workdir: Path, chats: Sequence[int]) -> None:
    """One report nudge per chat into the outbox, due now (like `bench.fanout.real_fan_out`)."""
    from datetime import timedelta

    from bot.wiring import create_runtime
    from models import reminders as outbox_db
    from services import reminders as planner

    runtime = create_runtime(bench.itda_settings(workdir, database_url=database_url))
    try:
        now = runtime.clock.now()
        rows = [
            outbox_db.OutboxEntry(
                key=f"bench-webhook2:{chat}", kind=planner.REPORT_NUDGE, chat_id=chat,
                agency_id=None, occurrence=f"bench-webhook2-{chat}", due_at=now,
                state=outbox_db.PENDING,
                payload={"month": f"{now.year:04d}-{now.month:02d}",
                         "deadline": (now + timedelta(days=3)).date().isoformat(),
                         "agency": "새일센터"},
            )
            for chat in chats
        ]
        async with runtime.session() as session:
            await outbox_db.add_rows(session=session, rows=rows)
    finally:
        await runtime.close()


async def database_counts(
    database_url: str, workdir: Path, staff: Sequence[int], chats: Sequence[int]
) -> dict[str, Any]:
    """What the database holds after the phase: records, members, who sent each reminder."""
    from sqlmodel import col, func, select

    from bot.wiring import create_runtime
    from models.tables import JobOpening, JobSeeker, Member, ReminderLog

    runtime = create_runtime(bench.itda_settings(workdir, database_url=database_url))
    try:
        async with runtime.session() as session:
            openings = (await session.exec(select(func.count()).select_from(JobOpening))).one()
            seekers = (await session.exec(select(func.count()).select_from(JobSeeker))).one()
            members = (await session.exec(
                select(func.count()).select_from(Member)
                .where(col(Member.telegram_id).in_(list(staff)))
            )).one()
            rows = (await session.exec(
                select(ReminderLog.chat_id, ReminderLog.state, ReminderLog.claimed_by)
                .where(col(ReminderLog.chat_id).in_(list(chats)))
            )).all()
    finally:
        await runtime.close()
    return {
        "openings": int(openings), "seekers": int(seekers), "members": int(members),
        "reminders": {int(chat): (state, claimed_by) for chat, state, claimed_by in rows},
    }


def worker_pid(claimed_by: str | None) -> int | None:
    """The process id in an outbox worker id (`host:pid:random`, scheduler.reminders.Sender)."""
    parts = (claimed_by or "").split(":")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None


def tally(answered: Counter[str], unanswered: Counter[str], records: dict[str, Any],
          staff: int) -> dict[str, int]:
    """Lost and doubled steps, and forms begun but not saved, from what the users saw and what
    the database holds: each 저장 answered is one record, each join one member."""
    saved = answered["opening_saved"] + answered["seeker_saved"]
    stored = records["openings"] + records["seekers"]
    joins = answered["join"]
    return {
        "lost": sum(unanswered.values()) + max(0, saved - stored)
        + max(0, joins - records["members"]),
        "doubled": max(0, stored - saved) + max(0, records["members"] - joins),
        "unfinished": answered["opening"] + answered["seeker"] - saved,
        "not_joined": staff - records["members"],
    }


async def webhook2_phase(profile: bench.Profile, workdir: Path, quiet: bool) -> dict[str, Any]:
    sub = workdir / "webhook2"
    sub.mkdir(parents=True, exist_ok=True)
    async with scratch_database("webhook2") as url:
        return await _webhook2(profile, sub, url, quiet)


async def _webhook2(
    profile: bench.Profile, workdir: Path, url: str, quiet: bool
) -> dict[str, Any]:
    bench.log(f"[webhook2] two `itda webhook` processes on one PostgreSQL database: "
              f"{profile.pairs} pairs of one-process and two-process rounds, zero API delay",
              quiet=quiet)
    staff = bench.sim_users(5_000_000, profile.concurrency)
    reminder_chats = [REMINDER_CHAT + i for i in range(min(60, max(10, profile.fanout_chats)))]
    await bench.prepare_itda_db(workdir, staff, [], url)
    api = FakeBotAPI(bench.TOKEN)
    await api.start()
    for user in staff:
        api.add_user(user.user_id, user.name)
    for chat in reminder_chats:
        api.add_user(chat, f"staff{chat}")
    reminder_calls: list[Call] = []
    chats = set(reminder_chats)
    all_reminded = asyncio.Event()

    def note_reminder(call: Call) -> None:
        ok = call.response is not None and call.response.get("ok")
        if call.method == "sendMessage" and ok and call.chat_id in chats:
            reminder_calls.append(call)
            if len({c.chat_id for c in reminder_calls}) == len(chats):
                all_reminded.set()

    api.call_listeners.append(note_reminder)
    forwarder = Forwarder()
    hook_url = await forwarder.start()
    zone = daytime_zone()
    children = [
        bench.Child(
            name, ["-m", "bot.cli", "webhook", "--listen", "127.0.0.1", "--port", str(port)],
            bench.child_env(
                TELEGRAM_API_URL=api.url, BOT_TOKEN=bench.TOKEN, ADMIN_IDS=str(bench.ADMIN_ID),
                ITDA_DATA_DIR=str(workdir / "itda"), DATABASE_URL=url,
                WEBHOOK_URL=f"https://bench.invalid{HOOK_PATH}", WEBHOOK_SECRET=SECRET,
                REMINDER_INTERVAL="1", TIMEZONE=zone,
            ),
            workdir,
        )
        for name, port in (("webhook-a", free_port()), ("webhook-b", free_port()))
    ]
    backends = [f"http://127.0.0.1:{child.args[-1]}{HOOK_PATH}" for child in children]
    pusher = Pusher(api, hook_url)
    driver = TallyDriver(api, reply_timeout=profile.reply_timeout)
    result: dict[str, Any] = {}
    try:
        for child in children:  # one after the other: each upgrades the schema first
            await child.start(api, ready="setWebhook")
        await pusher.start()
        loop = load.ClosedLoop(driver, staff, scenarios.ITDA_SCENARIOS)
        pairs: list[tuple[float, float]] = []
        cpu: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for n in range(profile.pairs):
            warmup = profile.warmup if n == 0 else bench.PAUSE_WARMUP
            ups = []
            for count in (1, 2):
                forwarder.backends = backends[:count]
                meter = RoundCpu(children)
                ups.append(await loop.window(duration=profile.pair_seconds, warmup=warmup))
                cpu[count].append(meter.read())
            pairs.append((ups[0], ups[1]))
            bench.log(f"      pair {n + 1}: one process {ups[0]:.0f}/s, two {ups[1]:.0f}/s",
                      quiet=quiet)
        # Both processes up: reminders fall due while the users finish their forms.
        await add_reminders(url, workdir, reminder_chats)
        await loop.finish()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_reminded.wait(), REMINDER_WAIT)
        await asyncio.sleep(1.5)  # a second pass of either process would show now
        records = await database_counts(url, workdir, [u.user_id for u in staff], reminder_chats)
        result.update(_figures(pairs, driver, forwarder, pusher, records, reminder_calls,
                               children, len(staff)))
        result["webhook2"]["rss_mb"] = [child.peak_rss_mb() for child in children]
        result["webhook2"]["cpu_pct"] = {"one": median_cpu(cpu[1]), "two": median_cpu(cpu[2])}
        result["webhook2"]["zone"] = zone
    finally:
        driver.close()
        with contextlib.suppress(Exception):
            await pusher.stop()
        codes = [await child.stop() for child in children]
        await forwarder.stop()
        await api.stop()
    result["webhook2"]["exit_codes"] = codes
    result["webhook2"]["errors_logged"] = [child.errors_logged() for child in children]
    return result


def _figures(
    pairs: Sequence[tuple[float, float]], driver: TallyDriver, forwarder: Forwarder,
    pusher: Pusher, records: dict[str, Any], reminder_calls: Sequence[Call],
    children: Sequence[bench.Child], staff: int,
) -> dict[str, Any]:
    ratios = [two / one for one, two in pairs if one > 0]
    counted = tally(driver.answered, driver.unanswered, records, staff)
    lost = counted["lost"] + forwarder.failed + pusher.failed
    names = {child.pid: child.name for child in children}
    per_chat = Counter(call.chat_id for call in reminder_calls)
    senders: Counter[str] = Counter()
    for chat in per_chat:
        _, claimed_by = records["reminders"].get(chat, (None, None))
        pid = worker_pid(claimed_by)
        senders[names.get(pid, f"pid {pid}") if pid is not None else "unknown"] += per_chat[chat]
    return {
        "webhook2_speedup": statistics.median(ratios) if ratios else None,
        "webhook2_lost": lost,
        "webhook2_doubled": counted["doubled"],
        "webhook2_unfinished": counted["unfinished"],
        "webhook2_reminder_senders": len(senders),
        "webhook2": {
            "one_process_ups": [one for one, _ in pairs],
            "two_process_ups": [two for _, two in pairs],
            "speedup_pairs": ratios,
            "steps_answered": dict(sorted(driver.answered.items())),
            "steps_unanswered": dict(sorted(driver.unanswered.items())),
            "unanswered_causes": dict(sorted(driver.causes.items())),
            "records": {k: records[k] for k in ("openings", "seekers", "members")},
            "not_joined": counted["not_joined"],
            "updates_by_process": {children[i].name: n for i, n in forwarder.by_backend.items()},
            "alternated": forwarder.switches / forwarder.follows if forwarder.follows else None,
            "push_failed": pusher.failed + forwarder.failed,
            "reminders_due": len(records["reminders"]),
            "reminders_sent": len(reminder_calls),
            "reminders_doubled": sum(n - 1 for n in per_chat.values() if n > 1),
            "reminders_by_process": dict(senders),
        },
    }


def webhook2_rows(r: dict[str, Any]) -> list[bench.Row]:
    w, speedup = r["webhook2"], r["webhook2_speedup"]
    return [
        (f"webhook2: throughput two processes / one (median of {len(w['speedup_pairs'])})",
         bench.num(speedup, 2), f">= {SPEEDUP_GOAL}",
         bench.goal(None if speedup is None else speedup >= SPEEDUP_GOAL)),
        ("webhook2: lost steps", bench.num(r["webhook2_lost"]), "0",
         bench.goal(r["webhook2_lost"] == 0)),
        ("webhook2: doubled steps", bench.num(r["webhook2_doubled"]), "0",
         bench.goal(r["webhook2_doubled"] == 0)),
        ("webhook2: forms begun and not saved", bench.num(r["webhook2_unfinished"]), "0",
         bench.goal(r["webhook2_unfinished"] == 0)),
        *[(f"webhook2: CPU % of a core, {label} (bench / bots / PostgreSQL; total)",
           _cpu_text(w.get("cpu_pct", {}).get(key, {})), "", "")
          for key, label in (("one", "one process"), ("two", "two processes"))],
        (f"webhook2: processes that sent the {w['reminders_due']} reminders",
         bench.num(r["webhook2_reminder_senders"]), "1",
         bench.goal(r["webhook2_reminder_senders"] == 1)),
    ]


def _cpu_text(used: dict[str, float]) -> str:
    if not used:
        return "-"
    bots = [used[name] for name in used if name.startswith("webhook-")]
    return (f"{used['bench']:.0f} / {' + '.join(f'{b:.0f}' for b in bots)} / "
            f"{used['postgres']:.0f}; {used['total']:.0f}")
