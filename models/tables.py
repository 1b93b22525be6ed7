"""All tables of ITDA, in one place (SQLModel). Queries live beside them in models/<concept>.py.

Columns are filled in by the features that own them (openings, seekers, meetings, reports,
reminders); indexes cover what `/status` aggregates: records per agency, status, region and
creation time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.statuses import OpeningStatus, Role, SeekerStatus
from models.types import AwareDateTime


def _dt(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None, sa_type=AwareDateTime, nullable=nullable, index=index
    )


# --- Council structure -------------------------------------------------------------------------
class Region(SQLModel, table=True):
    """A 시군 of 충청남도."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    name: str = Field(max_length=40)
    neighbours: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=60)
    name: str = Field(max_length=120)
    short_name: str = Field(max_length=60)
    kind: str = Field(max_length=30, index=True)
    mou_party: bool = False
    active: bool = True


class AgencyRegion(SQLModel, table=True):
    """Which 시군 an agency serves (a 새일센터 gets new openings of these regions)."""

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    region_code: str = Field(primary_key=True, max_length=40, index=True)


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=BigInteger, unique=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    role: str = Field(default=Role.STAFF, max_length=20)
    display_name: str = Field(max_length=60)
    username: str | None = Field(default=None, max_length=64)
    language: str = Field(default="ko", max_length=5)
    active: bool = Field(default=True, index=True)
    joined_at: datetime | None = _dt()
    deactivated_at: datetime | None = _dt()
    blocked_at: datetime | None = _dt()


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    role: str = Field(default=Role.STAFF, max_length=20)
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime | None = _dt(nullable=False)
    expires_at: datetime | None = _dt(nullable=False)
    used_at: datetime | None = _dt()
    used_by: int | None = Field(default=None, foreign_key="member.id")
    revoked_at: datetime | None = _dt()


class GroupChat(SQLModel, table=True):
    """The council's group chat(s), registered by a coordinator."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, unique=True)
    title: str = Field(default="", max_length=255)
    registered_by: int | None = Field(default=None, foreign_key="member.id")
    registered_at: datetime | None = _dt()
    active: bool = True


# --- Records -----------------------------------------------------------------------------------
class JobOpening(SQLModel, table=True):
    __table_args__ = (
        Index("ix_opening_agency_status", "agency_id", "status"),
        Index("ix_opening_region_status", "region_code", "status"),
        # /status counts live openings by agency over the season from this index alone.
        Index("ix_opening_live_agency_created", "deleted_at", "agency_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    company_name: str = Field(max_length=120)
    business_number: str | None = Field(default=None, max_length=12)
    industry: str = Field(default="", max_length=60)
    job_title: str = Field(max_length=120)
    duties: str = Field(default="", max_length=1000)
    region_code: str = Field(max_length=40)
    employment_type: str = Field(default="regular_part_time", max_length=30)
    weekly_hours: float | None = None
    work_days: str = Field(default="", max_length=60)
    work_time: str = Field(default="", max_length=60)
    wage_type: str = Field(default="hourly", max_length=10)
    wage_amount: int | None = None
    positions: int = 1
    positions_filled: int = 0
    subsidy_approved: bool = False
    small_firm: bool = True
    deadline: date | None = None
    contact: str = Field(default="", max_length=120)
    status: str = Field(default=OpeningStatus.OPEN, max_length=20)
    rule_flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _dt(nullable=False, index=True)
    updated_at: datetime | None = _dt()
    closed_at: datetime | None = _dt()
    deleted_at: datetime | None = _dt()


class JobSeeker(SQLModel, table=True):
    __table_args__ = (
        Index("ix_seeker_agency_status", "agency_id", "status"),
        Index("ix_seeker_region_status", "region_code", "status"),
        # /status counts live seekers by agency over the season from this index alone.
        Index("ix_seeker_live_agency_created", "deleted_at", "agency_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    name: str = Field(max_length=255)
    phone: str = Field(max_length=255)
    phone_key: str = Field(max_length=128, unique=True)
    birth_year: int | None = None
    region_code: str = Field(max_length=40)
    desired_jobs: str = Field(default="", max_length=255)
    desired_hours: float | None = None
    time_of_day: str = Field(default="", max_length=30)
    desired_wage: int | None = None
    interruption_reason: str = Field(default="", max_length=30)
    interruption_years: float | None = None
    note: str = Field(default="", max_length=1000)
    status: str = Field(default=SeekerStatus.SEEKING, max_length=20)
    consent_collect_at: datetime | None = _dt()
    consent_share_at: datetime | None = _dt()
    followup: bool = False
    created_at: datetime | None = _dt(nullable=False, index=True)
    updated_at: datetime | None = _dt()
    deleted_at: datetime | None = _dt()
    purged_at: datetime | None = _dt()


class Meeting(SQLModel, table=True):
    """A council meeting (실무자협의회) or a regional meeting day (만남의 날)."""

    __table_args__ = (Index("ix_meeting_host_kind", "host_agency_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # council | meeting_day
    host_agency_id: int = Field(foreign_key="agency.id")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    title: str = Field(default="", max_length=200)
    starts_at: datetime | None = _dt(nullable=False, index=True)
    ends_at: datetime | None = _dt()
    place: str = Field(default="", max_length=200)
    online_link: str = Field(default="", max_length=500)
    agenda: str = Field(default="", max_length=2000)
    region_code: str | None = Field(default=None, max_length=40)
    capacity: int | None = None
    contact: str = Field(default="", max_length=120)
    status: str = Field(default="scheduled", max_length=20)  # scheduled | held | cancelled
    notes: str = Field(default="", max_length=4000)
    created_at: datetime | None = _dt(nullable=False)
    updated_at: datetime | None = _dt()


class Attendance(SQLModel, table=True):
    """One participant of a meeting: a member, a company (opening) or a seeker."""

    __table_args__ = (UniqueConstraint("meeting_id", "participant_key"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    participant_key: str = Field(max_length=40)  # m:<member id> | o:<opening id> | s:<seeker id>
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    opening_id: int | None = Field(default=None, foreign_key="jobopening.id")
    seeker_id: int | None = Field(default=None, foreign_key="jobseeker.id")
    rsvp: str | None = Field(default=None, max_length=10)  # yes | no | maybe
    rsvp_at: datetime | None = _dt()
    present: bool | None = None
    mode: str = Field(default="onsite", max_length=10)  # onsite | written
    waitlisted: bool = False
    interviews: int = 0
    result: str | None = Field(default=None, max_length=20)
    checked_in_at: datetime | None = _dt()


class Hire(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("seeker_id", "opening_id"),
        # /status counts live hires by agency over the season from this index alone.
        Index("ix_hire_live_agency_hired", "deleted_at", "agency_id", "hired_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="jobseeker.id", index=True)
    opening_id: int = Field(foreign_key="jobopening.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    hired_on: date
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime | None = _dt(nullable=False)
    deleted_at: datetime | None = _dt()


class FollowUp(SQLModel, table=True):
    """One follow-up point (사후관리) of a hire: N months after its start, the seeker's centre
    says whether she is still working. Rows outlive a purged seeker (no personal data here)."""

    __table_args__ = (
        UniqueConstraint("hire_id", "months"),
        Index("ix_followup_agency_state_due", "agency_id", "state", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hire_id: int = Field(foreign_key="hire.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")  # the centre that follows her up
    months: int
    due_on: date
    state: str = Field(default="due", max_length=20)  # core.statuses.FollowUpState
    asks: int = 0  # times the centre answered 나중에
    ask_on: date | None = None  # after 나중에: the business day it is asked again
    left_on: date | None = None
    left_reason: str | None = Field(default=None, max_length=20)  # core.statuses.LeaveReason
    answered_at: datetime | None = _dt()
    answered_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime | None = _dt(nullable=False)


class Tally(SQLModel, table=True):
    """The summary's counts kept where they change (models/tally.py): live openings and seekers
    by creation month, held meeting days by start month, live hires by hire month, per agency,
    with months taken in `zone` (the TIMEZONE setting when the row was written). /status sums
    at most 12 rows per agency and metric instead of counting records."""

    zone: str = Field(primary_key=True, max_length=60)
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    agency_id: int = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=20)  # a name of models.stats.METRICS
    n: int = 0


class MonthlyReport(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agency_id", "month", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    version: int = 1
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    corrections: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    reason: str = Field(default="", max_length=500)
    late: bool = False
    submitted_by: int | None = Field(default=None, foreign_key="member.id")
    submitted_at: datetime | None = _dt()


class ProgrammeStep(SQLModel, table=True):
    """One of the six steps of the programme calendar, per year."""

    __table_args__ = (UniqueConstraint("year", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    number: int
    owner: str = Field(default="", max_length=120)
    starts_on: date | None = None
    due_on: date
    completed_on: date | None = None


class Target(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agency_id", "year", "metric"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    year: int
    metric: str = Field(max_length=20)  # openings | seekers | meeting_days | hires
    value: int


class ReminderLog(SQLModel, table=True):
    """The reminders outbox: one row per (kind, recipient, occurrence), sent at most once."""

    __table_args__ = (Index("ix_reminder_state_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=40)
    chat_id: int = Field(sa_type=BigInteger)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    occurrence: str = Field(max_length=60)
    due_at: datetime | None = _dt(nullable=False)
    state: str = Field(default="pending", max_length=10)
    attempts: int = 0
    last_error: str = Field(default="", max_length=300)
    claimed_by: str | None = Field(default=None, max_length=60)
    claimed_at: datetime | None = _dt()
    sent_at: datetime | None = _dt()
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ReminderClock(SQLModel, table=True):
    """When the reminder passes ran (one row): the first pass the database ever saw (what fell
    due before it is skipped, not missed) and the latest one (a long silence since is a stop)."""

    id: int = Field(default=1, primary_key=True)
    first_pass_at: datetime | None = _dt(nullable=False)
    last_pass_at: datetime | None = _dt(nullable=False)


class AuditLog(SQLModel, table=True):
    """Who did what to which record; hash-chained so tampering shows."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _dt(nullable=False, index=True)
    actor_telegram_id: int | None = Field(default=None, sa_type=BigInteger)
    actor_member_id: int | None = Field(default=None, foreign_key="member.id")
    action: str = Field(max_length=60, index=True)
    entity: str = Field(default="", max_length=40)
    entity_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


# --- Bot plumbing ------------------------------------------------------------------------------
class ConversationState(SQLModel, table=True):
    """python-telegram-bot conversation states (persistence in the same database)."""

    name: str = Field(primary_key=True, max_length=60)
    key: str = Field(primary_key=True, max_length=100)
    state: str = Field(max_length=2000)


class BotData(SQLModel, table=True):
    """python-telegram-bot user_data / chat_data / bot_data, one JSON document per owner."""

    kind: str = Field(primary_key=True, max_length=10)  # user | chat | bot | callback
    owner_id: int = Field(primary_key=True, sa_type=BigInteger)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ProcessedUpdate(SQLModel, table=True):
    update_id: int = Field(primary_key=True, sa_type=BigInteger)
    at: datetime | None = _dt(nullable=False, index=True)


class SaveReceipt(SQLModel, table=True):
    """A form's draft token and the record its 저장 created, written in the record's transaction:
    a 저장 repeated after a crash (the first reply never reached the user) finds the record
    instead of creating a second one."""

    token: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=30)
    record_id: int
    created_at: datetime | None = _dt(nullable=False, index=True)


# Keeps `Tally` right in the transaction of every ORM write to the records it counts; imported
# here so that no session can write a record without it (models/tally.py imports this module).
import models.tally  # noqa: E402, F401
