"""Operations commands: `itda webhook`, `itda backup`, `itda audit`, `itda purge`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.instance import sqlite_path
from core.config import ConfigError, Settings

EXIT_CHAIN_BROKEN = 1


# --- webhook -----------------------------------------------------------------------------------
def _webhook(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.logs import setup_logging
    from bot.app import build_application, freeze_startup_heap
    from bot.webhook import SECRET_RE, serve
    from bot.wiring import create_runtime, prepare_database

    token = settings.token()
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL is not set: expected the public https:// URL")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not SECRET_RE.match(secret):
        raise ConfigError(
            "WEBHOOK_SECRET is not set or malformed: expected 1-256 characters A-Z a-z 0-9 _ -"
        )
    setup_logging(token)

    async def go() -> None:
        runtime = create_runtime(settings)
        await prepare_database(runtime)
        app = build_application(runtime, token=token)
        freeze_startup_heap()
        await serve(
            app,
            public_url=settings.webhook_url or "",
            secret=secret,
            host=args.listen or settings.webhook_listen,
            port=args.port or settings.webhook_port,
        )

    asyncio.run(go())
    return 0


# --- backup ------------------------------------------------------------------------------------
PG_BACKUP_HELP = """PostgreSQL is backed up with its own tools (consistent while the bot runs):
  pg_dump --format=custom --file=itda-$(date +%Y%m%d-%H%M).dump "$DATABASE_URL_WITHOUT_+asyncpg"
restore into an empty database with:
  pg_restore --clean --if-exists --dbname=postgresql://USER@HOST/itda itda-YYYYmmdd-HHMM.dump
(use the URL of DATABASE_URL with 'postgresql+asyncpg://' written as 'postgresql://')."""


def backup_sqlite(database: Path, target: Path) -> Path:
    """SQLite's online backup: a consistent copy even while the bot writes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.effective_database_url
    database = sqlite_path(url)
    if database is None:
        print(PG_BACKUP_HELP)
        return 0
    if not database.exists():
        print(f"itda: no database at {database}", file=sys.stderr)
        return 1
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = Path(args.to) if args.to else settings.itda_data_dir / "backups" / f"itda-{stamp}.db"
    backup_sqlite(database, target)
    print(f"backup written to {target}")
    return 0


# --- audit -------------------------------------------------------------------------------------
def _month_bounds(month: str, settings: Settings) -> tuple[datetime, datetime]:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=settings.tz)
    except ValueError:
        raise ConfigError(f"--month {month!r} is malformed: expected YYYY-MM") from None
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import create_runtime, prepare_database
    from models import audit as audit_db

    start, end = _month_bounds(args.month, settings)

    async def go() -> int:
        runtime = create_runtime(settings)
        try:
            await prepare_database(runtime)
            async with runtime.session() as session:
                entries = list(await audit_db.audit_until(session=session, before=end))
        finally:
            await runtime.close()
        shown = [e for e in entries if e.at is not None and e.at >= start]
        print(f"audit log {args.month}: {len(shown)} entries")
        for e in shown:
            assert e.at is not None
            target = f"{e.entity}#{e.entity_id}" if e.entity else "-"
            detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True)
            print(
                f"#{e.id} {e.at:%Y-%m-%d %H:%M:%S} {e.action} by {e.actor_telegram_id or '-'}"
                f" (member {e.actor_member_id or '-'}) on {target} {detail}"
            )
        broken = audit_db.verify_chain(entries)
        if broken is not None:
            print(f"chain BROKEN at entry #{broken}: the log was changed after it was written")
            return EXIT_CHAIN_BROKEN
        print(f"chain intact ({len(entries)} entries checked up to the end of {args.month})")
        return 0

    return asyncio.run(go())


# --- purge -------------------------------------------------------------------------------------
def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import create_runtime, prepare_database
    from core.clock import SystemClock
    from locales import Translator
    from services import retention

    months = settings.retention_months

    async def go() -> int:
        runtime = create_runtime(settings, SystemClock(settings.tz))
        try:
            await prepare_database(runtime)
            async with runtime.session() as session:
                if args.dry_run:
                    plan = await retention.plan_purge(
                        session=session, clock=runtime.clock, months=months
                    )
                else:
                    plan = await retention.purge(
                        session=session, clock=runtime.clock, months=months,
                        pseudonym=Translator("ko")(retention.PSEUDONYM_KEY),
                    )
        finally:
            await runtime.close()
        verb = "would be destroyed" if args.dry_run else "destroyed"
        print(
            f"RETENTION_MONTHS={months}: seekers registered before {plan.cutoff:%Y-%m-%d} are due;"
            f" {len(plan.seekers)} {verb}"
        )
        for seeker in plan.seekers:  # ids only: names and numbers never go to a terminal log
            assert seeker.created_at is not None
            print(
                f"  seeker #{seeker.id} agency {seeker.agency_id} region {seeker.region_code}"
                f" registered {seeker.created_at:%Y-%m}"
            )
        return 0

    return asyncio.run(go())


def register(sub: argparse._SubParsersAction) -> None:
    webhook = sub.add_parser(
        "webhook",
        help="serve updates over a webhook (behind HTTPS); needs WEBHOOK_URL and WEBHOOK_SECRET",
    )
    webhook.add_argument("--listen", help="address to listen on (default WEBHOOK_LISTEN)")
    webhook.add_argument("--port", type=int, help="port to listen on (default WEBHOOK_PORT)")
    webhook.set_defaults(func=_webhook)
    backup = sub.add_parser("backup", help="consistent copy of the SQLite database (online)")
    backup.add_argument("--to", help="the file to write (default data/backups/itda-<time>.db)")
    backup.set_defaults(func=_backup)
    audit = sub.add_parser("audit", help="print a month of the audit log and check its chain")
    audit.add_argument("--month", required=True, help="YYYY-MM")
    audit.set_defaults(func=_audit)
    purge = sub.add_parser(
        "purge", help="destroy seekers' personal data past retention (RETENTION_MONTHS)"
    )
    purge.add_argument("--dry-run", action="store_true", help="only show what would go")
    purge.set_defaults(func=_purge)
