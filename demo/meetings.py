"""Demo season for meetings: a held council meeting with attendance and notes, two held meeting
days with attendance and results (hires through the hires service), and one coming meeting day
with a waiting list. The texts live in demo/data/meetings.toml. Idempotent."""

from __future__ import annotations

import tomllib
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.statuses import AttendanceMode, MeetingKind, MeetingResult, MeetingStatus, Rsvp
from models import council as council_db
from models import meetings as meetings_db
from models import members as members_db
from models.tables import Attendance, JobOpening, JobSeeker, Meeting, Member
from services import hires
from services.crypto import Cipher
from services.meetings import COUNCIL_LENGTH, MEETING_DAY_LENGTH
from services.membership import Actor
from services.seekers import phone_key

DATA_FILE = Path(__file__).resolve().parent / "data" / "meetings.toml"
COORDINATOR_ID = 900002  # the demo coordinator (demo.DEMO_USERS)


def _data() -> dict[str, Any]:
    with DATA_FILE.open("rb") as fh:
        return tomllib.load(fh)


async def _agency_id(session: AsyncSession, code: str) -> int:
    agency = await council_db.get_agency_by_code(session=session, code=code)
    assert agency is not None and agency.id is not None, code
    return agency.id


async def _openings(
    session: AsyncSession, now: datetime, data: list[dict[str, Any]]
) -> dict[str, JobOpening]:
    """Existing open openings of each region, topped up with demo ones where there are too few."""
    found: dict[str, JobOpening] = {}
    for region in dict.fromkeys(o["region"] for o in data):
        existing = list(await meetings_db.open_openings_in(session=session, region_codes=[region]))
        mine = [o for o in data if o["region"] == region]
        if len(existing) < len(mine):
            for item in mine[len(existing) :]:
                opening = JobOpening(
                    agency_id=await _agency_id(session, item["agency"]),
                    company_name=item["company"],
                    job_title=item["title"],
                    region_code=region,
                    weekly_hours=20,
                    wage_amount=11000,
                    positions=item["positions"],
                    subsidy_approved=item["subsidy"],
                    created_at=now,
                )
                existing.append(opening)
            await meetings_db.save(session=session, rows=existing)
        for item, opening in zip(mine, existing, strict=False):
            found[item["key"]] = opening
    return found


async def _seekers(
    session: AsyncSession, cipher: Cipher, now: datetime, data: list[dict[str, Any]]
) -> dict[str, JobSeeker]:
    """Existing seekers of each centre, topped up with demo ones (encrypted) where too few."""
    found: dict[str, JobSeeker] = {}
    for agency_code in dict.fromkeys(s["agency"] for s in data):
        agency_id = await _agency_id(session, agency_code)
        existing = list(await meetings_db.active_seekers_of(session=session, agency_id=agency_id))
        mine = [s for s in data if s["agency"] == agency_code]
        if len(existing) < len(mine):
            for item in mine[len(existing) :]:
                existing.append(
                    JobSeeker(
                        agency_id=agency_id,
                        name=cipher.encrypt(item["name"]),
                        phone=cipher.encrypt(item["phone"]),
                        phone_key=phone_key(cipher, item["phone"]),
                        region_code=item["region"],
                        consent_collect_at=now,
                        created_at=now,
                    )
                )
            await meetings_db.save(session=session, rows=existing)
        for item, seeker in zip(mine, existing, strict=False):
            found[item["key"]] = seeker
    return found


async def demo_step(session: AsyncSession, clock: Clock, cipher: Cipher) -> None:
    """The entry in demo.DEMO_STEPS."""
    await seed(session=session, clock=clock, cipher=cipher)


async def seed(*, session: AsyncSession, clock: Clock, cipher: Cipher) -> None:
    province_id = await _agency_id(session, "chungnam-province")
    if await meetings_db.any_meeting(
        session=session, kind=MeetingKind.COUNCIL, host_agency_id=province_id
    ):
        return
    data = _data()
    now = clock.now()
    await _council(session, clock, province_id, data["council"])
    openings = await _openings(session, now, data["openings"])
    seekers = await _seekers(session, cipher, now, data["seekers"])
    for day in data["meeting_days"]:
        await _meeting_day(session, clock, day, openings, seekers)


async def _add_meeting(
    session: AsyncSession,
    kind: MeetingKind,
    host_id: int,
    author_telegram_id: int,
    start: datetime,
    length: timedelta,
    **columns: Any,
) -> tuple[Meeting, Member | None]:
    """A demo meeting hosted by `host_id`, created by the demo member with that Telegram id
    (returned with it)."""
    author = await members_db.get_member_by_telegram_id(
        session=session, telegram_id=author_telegram_id
    )
    meeting = await meetings_db.add_meeting(
        session=session,
        meeting=Meeting(kind=kind, host_agency_id=host_id,
                        created_by=author.id if author else None, starts_at=start,
                        ends_at=start + length, **columns),
    )
    return meeting, author


async def _council(
    session: AsyncSession, clock: Clock, province_id: int, item: dict[str, Any]
) -> None:
    now = clock.now()
    start = datetime(now.year, item["month"], item["day"], item["hour"], tzinfo=clock.tz)
    if start >= now:
        start = datetime.combine(now.date() - timedelta(days=7), time(item["hour"]), clock.tz)
    meeting, _ = await _add_meeting(
        session, MeetingKind.COUNCIL, province_id, COORDINATOR_ID, start, COUNCIL_LENGTH,
        place=item["place"], agenda=item["agenda"], notes=item["notes"],
        status=MeetingStatus.HELD, created_at=start - timedelta(days=10),
        updated_at=start + COUNCIL_LENGTH,
    )
    absent = {await _agency_id(session, code) for code in item["absent"]}
    rows = []
    for member in await members_db.list_members(session=session):
        if member.agency_id is None:
            continue
        here = member.agency_id not in absent
        rows.append(
            Attendance(
                meeting_id=meeting.id or 0,
                participant_key=f"m:{member.id}",
                agency_id=member.agency_id,
                member_id=member.id,
                rsvp=Rsvp.YES if here else Rsvp.NO,
                rsvp_at=start - timedelta(days=3),
                present=here,
                checked_in_at=start if here else None,
            )
        )
    await meetings_db.save(session=session, rows=rows)


async def _meeting_day(
    session: AsyncSession,
    clock: Clock,
    item: dict[str, Any],
    openings: dict[str, JobOpening],
    seekers: dict[str, JobSeeker],
) -> None:
    now = clock.now()
    host_id = await _agency_id(session, item["host"])
    day = now.date() + timedelta(days=item["days"])
    start = datetime.combine(day, time(item["hour"]), clock.tz)
    held = start < now
    meeting, host = await _add_meeting(
        session, MeetingKind.MEETING_DAY, host_id, item["host_user"], start, MEETING_DAY_LENGTH,
        place=item["venue"], region_code=item["region"], capacity=item["capacity"],
        contact=item["contact"], status=MeetingStatus.HELD if held else MeetingStatus.SCHEDULED,
        created_at=start - timedelta(days=14),
    )
    assert meeting.id is not None
    region = item["region"]
    company_rows = {
        key: Attendance(
            meeting_id=meeting.id,
            participant_key=f"o:{o.id}",
            agency_id=o.agency_id,
            opening_id=o.id,
            present=True if held else None,
            mode=AttendanceMode.WRITTEN if key in item["written"] else AttendanceMode.ONSITE,
        )
        for key, o in openings.items()
        if o.region_code == region
    }
    seeker_rows: dict[str, Attendance] = {}
    for index, (key, s) in enumerate(
        (k, s) for k, s in seekers.items() if s.region_code == region
    ):
        seeker_rows[key] = Attendance(
            meeting_id=meeting.id,
            participant_key=f"s:{s.id}",
            agency_id=s.agency_id,
            seeker_id=s.id,
            waitlisted=index >= item["capacity"],
            present=True if held else None,
        )
    await meetings_db.save(session=session, rows=[*company_rows.values(), *seeker_rows.values()])
    if not held:
        return
    for seeker_key, opening_key in item["interviews"]:
        seeker_rows[seeker_key].interviews += 1
        company_rows[opening_key].interviews += 1
    for seeker_key, opening_key in item["in_progress"]:
        seeker_rows[seeker_key].result = MeetingResult.IN_PROGRESS
        seeker_rows[seeker_key].interviews += 1
        company_rows[opening_key].result = MeetingResult.IN_PROGRESS
        company_rows[opening_key].interviews += 1
    assert host is not None
    for seeker_key, opening_key in item["hired"]:
        await hires.record_hire(
            session=session,
            clock=clock,
            actor=Actor(host.telegram_id, host),
            seeker_id=seekers[seeker_key].id or 0,
            opening_id=openings[opening_key].id or 0,
            hired_on=day,
            meeting_id=meeting.id,
        )
        seeker_rows[seeker_key].result = company_rows[opening_key].result = MeetingResult.HIRED
        seeker_rows[seeker_key].interviews += 1
        company_rows[opening_key].interviews += 1
    for key, row in seeker_rows.items():
        if row.result != MeetingResult.HIRED:
            row.result = row.result or MeetingResult.NOT_HIRED
            seekers[key].followup = True
    await meetings_db.save(
        session=session,
        rows=[*company_rows.values(), *seeker_rows.values(), *seekers.values()],
    )
