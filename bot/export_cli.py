"""`itda export`: the workbook (or CSV files) for the November analysis, from the command line.

The workbook opens on 성과 요약 (targets, 달성률, formula totals, charts); a bad period (end
before start, over two years, a day that does not exist) is refused with the Korean message and
nothing is written.

    uv run itda export --from 2026-07-01 --to 2026-11-30 --out report.xlsx
    uv run itda export --from 2026-07-01 --to 2026-11-30 --csv out/
    uv run itda export ... --agency saeil-cheonan --unmask --reason "성과분석 명단 대조"

Seekers are masked; `--unmask` shows the named centre's own seekers only, needs `--reason`, and
is written to the audit log.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from core.config import Settings


def add_export(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="export a period to Excel (or CSV files)")
    parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, help="the .xlsx file to write")
    parser.add_argument("--csv", type=Path, metavar="DIR", help="write one CSV per sheet here")
    parser.add_argument("--lang", default="ko", choices=("ko", "en"), help="header language")
    parser.add_argument("--agency", help="the requesting centre's code (for --unmask)")
    parser.add_argument("--unmask", action="store_true",
                        help="show the requesting centre's own seekers unmasked (audited)")
    parser.add_argument("--reason", default="", help="why unmasked data is needed")
    parser.set_defaults(func=run_export)


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import create_runtime, prepare_database
    from core.errors import DomainError
    from locales import Translator
    from models import council as council_db
    from rendering import workbook
    from services import export

    if args.out is None and args.csv is None:
        print("itda export: give --out FILE.xlsx or --csv DIR", file=sys.stderr)
        return 2
    tr = Translator(args.lang)

    async def go() -> int:
        runtime = create_runtime(settings)
        try:
            await prepare_database(runtime)
            start, end = export.parse_period(args.start, args.end)
            async with runtime.session() as session:
                agency_id = None
                if args.agency:
                    agency = await council_db.get_agency_by_code(session=session, code=args.agency)
                    if agency is None:
                        print(f"itda export: unknown agency code {args.agency!r}", file=sys.stderr)
                        return 2
                    agency_id = agency.id
                data = await export.build_export(
                    session=session, clock=runtime.clock, cipher=runtime.cipher, start=start,
                    end=end, requester_agency_id=agency_id, unmask=args.unmask,
                    reason=args.reason,
                    channel="cli",
                )
            if args.out is not None:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_bytes(await asyncio.to_thread(workbook.to_xlsx, data, tr))
                print(f"wrote {args.out}")
            if args.csv is not None:
                for path in workbook.write_csv_dir(data, tr, args.csv):
                    print(f"wrote {path}")
            return 0
        except DomainError as error:
            print(f"itda export: {tr(error.key, **error.shown)}", file=sys.stderr)
            return 2
        finally:
            await runtime.close()

    return asyncio.run(go())
