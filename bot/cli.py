"""The `itda` command: run the bot, manage the database, load data, open the sandbox."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.export_cli import add_export
from core.config import ConfigError, Settings, load_settings
from services.council import CouncilFileError

EXIT_CONFIG = 2

Command = Callable[[argparse.Namespace, Settings], int]


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from telegram import Update
    from telegram.ext import Application

    from adapters.logs import setup_logging
    from bot.app import (
        StartupProblem,
        build_application,
        check_telegram,
        freeze_startup_heap,
        on_startup,
    )
    from bot.instance import EXIT_ALREADY_RUNNING, InstanceLock
    from bot.wiring import clock_warning, create_runtime

    token = settings.token()
    setup_logging(token)
    if warning := clock_warning(settings):
        logging.getLogger("itda").warning(warning)
    lock = InstanceLock(settings.effective_database_url, token)
    refusal = lock.acquire_file()
    if refusal is None:
        try:  # Telegram first: a wrong token or server is told before any database work
            asyncio.run(check_telegram(settings, token))
        except StartupProblem as problem:
            asyncio.run(lock.release())
            print(f"itda: {problem}", file=sys.stderr)
            return problem.exit_code
        asyncio.run(_prepare(settings))
        runtime = create_runtime(settings)
        app = build_application(runtime, token=token)

        async def startup(application: Application) -> None:
            problem = await lock.acquire_database(runtime.engine)
            if problem is not None:
                runtime.extras["refusal"] = problem
                application.stop_running()
                return
            await on_startup(application)
            freeze_startup_heap()

        app.post_init = startup
        # Stops on SIGTERM/SIGINT: finishes the updates in hand and saves the state first.
        app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
        refusal = runtime.extras.get("refusal")  # type: ignore[assignment]
    asyncio.run(lock.release())
    if refusal:
        print(f"itda: {refusal}", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    return 0


async def _prepare(settings: Settings) -> None:
    from bot.wiring import create_runtime, prepare_database

    runtime = create_runtime(settings)
    try:
        await prepare_database(runtime)
    finally:
        await runtime.close()


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_prepare(settings))
    print("database is up to date")
    return 0


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    async def go() -> str:
        from bot.wiring import create_runtime, prepare_database
        from demo.seed import seed_demo

        runtime = create_runtime(settings)
        try:
            await prepare_database(runtime)
            message = (
                f"council loaded: {len(runtime.council.regions)} regions, "
                f"{len(runtime.council.agencies)} agencies"
            )
            if args.demo:
                async with runtime.session() as session:
                    users = await seed_demo(
                        session=session, clock=runtime.clock, cipher=runtime.cipher
                    )
                message += f"; demo season loaded ({users} demo users)"
            return message
        finally:
            await runtime.close()

    print(asyncio.run(go()))
    return 0


def _sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sandbox import run_sandbox

    if args.at is not None:
        at = args.at if args.at.tzinfo else args.at.replace(tzinfo=settings.tz)
        settings = settings.model_copy(update={"itda_now": at})
    return run_sandbox(settings, fresh=args.fresh)


def _moment(value: str) -> datetime:
    """`--at`: an ISO date and time; without an offset it is in the TIMEZONE setting's zone
    (attached by the clock)."""
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date and time like 2026-09-01T10:00, not {value!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itda",
        description="ITDA (잇다): the Telegram bot of the Chungnam part-time jobs council.",
        epilog="Settings come from the environment or .env: BOT_TOKEN, TELEGRAM_API_URL, "
        "DATABASE_URL, ITDA_DATA_DIR, ADMIN_IDS, TIMEZONE (see README).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("run", help="run the bot (long polling); needs BOT_TOKEN").set_defaults(
        func=_run
    )
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="create or upgrade the schema").set_defaults(
        func=_db_upgrade
    )
    seed = sub.add_parser("seed", help="load the council data file (idempotent)")
    seed.add_argument("--demo", action="store_true", help="also load a demo season")
    seed.set_defaults(func=_seed)
    sandbox = sub.add_parser(
        "sandbox", help="the whole bot offline on a fake Telegram, with a terminal chat"
    )
    sandbox.add_argument(
        "--fresh", action="store_true",
        help="start from an empty sandbox database (without it, the last run's data is kept)",
    )
    sandbox.add_argument(
        "--at", type=_moment, metavar="WHEN",
        help="the sandbox's clock starts at this moment and runs on, like 2026-09-01T10:00 "
        "(default: ITDA_NOW if set, else now)",
    )
    sandbox.set_defaults(func=_sandbox)
    for extend in EXTENSIONS:
        extend(sub)
    return parser


def _ops(sub: argparse._SubParsersAction) -> None:
    from bot.ops import register

    register(sub)


# Feature modules register further subcommands (export, reminders, audit, ...) here.
EXTENSIONS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_export,
    _ops,
]


def _extensions() -> None:
    from bot import cli_reminders

    EXTENSIONS.append(cli_reminders.add_parser)


_extensions()


def _bench(sub: argparse._SubParsersAction) -> None:
    """`itda bench` (docs/PERFORMANCE.md); absent where the bench folder is not shipped."""
    try:
        from bench.cli import register
    except ImportError:
        return
    register(sub)


EXTENSIONS.append(_bench)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        return int(args.func(args, settings))
    except (ConfigError, CouncilFileError) as exc:
        print(f"itda: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
