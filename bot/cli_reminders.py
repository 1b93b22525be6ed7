"""`itda reminders plan --from DATE --to DATE`: print the reminders the bot would send.

One line per planned message group, starting with the KST ISO timestamp, then the kind, then
the recipient agency (or `group` / `coordinators`), then the occurrence and how many chats get
it. The plan uses today's figures (targets, progress, reports, RSVPs) from the database.
A round that no chat would receive (an agency without an active member, no council group, no
coordinator) ends with `NOBODY: ...`, so the operator can invite someone before it is due.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, time, timedelta

from core.config import Settings


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def plan_lines(settings: Settings, start: date, end: date) -> list[str]:
    async def go() -> list[str]:
        from bot.wiring import create_runtime, prepare_database
        from services import reminders as planner

        runtime = create_runtime(settings)
        try:
            await prepare_database(runtime)
            tz = runtime.clock.tz
            first = datetime.combine(start, time(0, 0), tzinfo=tz)
            last = datetime.combine(end, time(0, 0), tzinfo=tz) + timedelta(days=1, seconds=-1)
            async with runtime.session() as session:
                data = await planner.load_plan_data(session=session, start=first, end=last)
            names = {a.id: a.short_name for a in data.agencies}
            lines = []
            for n in planner.plan(data, start=first, end=last):
                who = names.get(n.agency_id or 0) if n.agency_id is not None else None
                if who is None:
                    who = n.audience
                line = (f"{n.due_at.astimezone(tz).isoformat()} {n.kind} {who}"
                        f"  [{n.occurrence}; {len(set(n.chat_ids))} chats]")
                if not n.chat_ids:
                    line += f"  NOBODY: {_nobody(n.audience)}"
                lines.append(line)
            return lines
        finally:
            await runtime.close()

    return asyncio.run(go())


def _nobody(audience: str) -> str:
    """Why a planned round reaches no chat."""
    from services import reminders as planner

    return {
        planner.AUDIENCE_AGENCY: "no active member of this agency would receive it",
        planner.AUDIENCE_HOSTS: "no active member of the hosting agency would receive it",
        planner.AUDIENCE_GROUP: "no council group is registered (/register_group)",
        planner.AUDIENCE_COORDINATORS: "no active coordinator would receive it",
    }.get(audience, "nobody would receive it")


def _plan(args: argparse.Namespace, settings: Settings) -> int:
    if args.end < args.start:
        print("itda: --to is before --from", file=sys.stderr)
        return 2
    for line in plan_lines(settings, args.start, args.end):
        print(line)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    reminders = sub.add_parser("reminders", help="reminders: see the plan")
    actions = reminders.add_subparsers(dest="reminders_command", metavar="ACTION", required=True)
    plan = actions.add_parser("plan", help="print the reminders planned between two dates")
    plan.add_argument("--from", dest="start", type=_day, required=True, help="YYYY-MM-DD")
    plan.add_argument("--to", dest="end", type=_day, required=True, help="YYYY-MM-DD")
    plan.set_defaults(func=_plan)
