"""Run the fake Telegram Bot API standalone: ``python -m testing.fakeapi --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from testing.fakeapi import DEFAULT_TOKEN, FakeBotAPI


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m testing.fakeapi", description="Serve a fake Telegram Bot API until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="itda_test_bot")
    parser.add_argument("--api-delay", type=float, default=0.0, help="seconds per API call")
    parser.add_argument(
        "--enforce-limits", action="store_true", help="answer 429 like Telegram's flood control"
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID:NAME",
        help="register a user (repeatable), e.g. --user 1001:Alice",
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    bot_id = int(args.token.split(":", 1)[0]) if args.token.split(":", 1)[0].isdigit() else 1
    api = FakeBotAPI(
        args.token,
        bot_username=args.bot_username,
        bot_id=bot_id,
        api_delay=args.api_delay,
        enforce_limits=args.enforce_limits,
    )
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        api.add_user(int(user_id), name or f"User {user_id}")
    await api.start(args.host, args.port)
    print(f"Fake Telegram Bot API listening on {api.url}", flush=True)
    print(f"  base_url={api.url}/bot  base_file_url={api.url}/file/bot", flush=True)
    print(f"  control API under {api.url}/_fake/ ; press Ctrl-C to stop", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await api.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
