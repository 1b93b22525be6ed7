"""Command line of the benchmark, light to import: `itda` registers it on every start."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick", action="store_true", help="15 s realistic phase, shorter throughput windows"
    )
    mode.add_argument(
        "--smoke", action="store_true",
        help="a few seconds, tiny sizes: checks the machinery, not the speed",
    )
    parser.add_argument("--json-only", action="store_true", help="print only the JSON line")
    parser.add_argument("--sizes", help="season sizes for /status, like 1000,10000,100000")
    parser.add_argument(
        "--phases", metavar="LIST",
        help="run only these phases, like itda or echo,itda (echo, itda, status, fanout, plan, "
        "import, export, pg, webhook2); itda includes the realistic phase; pg and webhook2 need "
        "PostgreSQL",
    )
    parser.add_argument(
        "--database", choices=("sqlite", "postgres"), default="sqlite",
        help="postgres: a run of every phase also runs pg and webhook2, on databases created "
        "on 127.0.0.1:5432 (user postgres) and dropped; with --phases, name them "
        "(docs/PERFORMANCE.md)",
    )
    parser.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="record the bots with py-spy (raw collapsed stacks) into DIR",
    )


def execute(args: argparse.Namespace) -> int:
    from bench.run import execute as run_bench

    return run_bench(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench", description="ITDA's benchmark (see docs/PERFORMANCE.md)."
    )
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return execute(build_parser().parse_args(argv))


def register(sub: argparse._SubParsersAction) -> None:
    """`itda bench`, through bot.cli.EXTENSIONS."""
    parser = sub.add_parser("bench", help="run the benchmark (docs/PERFORMANCE.md)")
    add_arguments(parser)
    parser.set_defaults(func=lambda args, settings: execute(args))
