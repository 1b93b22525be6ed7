"""The closed sets of values the council's records take, in one place (stored as their values)."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    EMPLOYMENT_OFFICE = "employment_office"
    PROVINCE = "province"
    EMPLOYER_ASSOCIATION = "employer_association"
    SAEIL_CENTER = "saeil_center"
    BRANCH_OFFICE = "branch_office"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    STAFF = "staff"


class OpeningStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class SeekerStatus(StrEnum):
    SEEKING = "seeking"
    MATCHED = "matched"
    HIRED = "hired"
    STOPPED = "stopped"


# Seekers who may still be invited or matched.
ACTIVE_SEEKER_STATUSES = (SeekerStatus.SEEKING, SeekerStatus.MATCHED)


class FollowUpState(StrEnum):
    """A follow-up point (사후관리) of a hire: still to answer, or what the centre found."""

    DUE = "due"
    EMPLOYED = "employed"
    LEFT = "left"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"  # the hire was deleted


class LeaveReason(StrEnum):
    CONTRACT_END = "contract_end"
    PERSONAL = "personal"
    CONDITIONS = "conditions"
    COMPANY = "company"
    OTHER = "other"


class MeetingKind(StrEnum):
    COUNCIL = "council"  # 실무자협의회
    MEETING_DAY = "meeting_day"  # 만남의 날


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Rsvp(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


class AttendanceMode(StrEnum):
    """How a company took part in a meeting day."""

    ONSITE = "onsite"
    WRITTEN = "written"


class MeetingResult(StrEnum):
    """A meeting day's outcome for a seeker (and for a company)."""

    HIRED = "hired"
    IN_PROGRESS = "in_progress"
    NOT_HIRED = "not_hired"


class OutboxState(StrEnum):
    """Where a reminder outbox row stands (see `services.reminder_outbox`)."""

    PENDING = "pending"  # waiting to be sent (claimed_at: not before)
    CLAIMED = "claimed"  # taken by a sender; its request has not started (a crash: pending again)
    SENDING = "sending"  # its request has started: Telegram may have it (a crash: ambiguous)
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"  # not sent on its day, or past its stale time
    SKIPPED = "skipped"  # due before the bot's first pass, or before its data existed
    AMBIGUOUS = "ambiguous"  # the request may or may not have reached Telegram: never repeated
