"""Job seekers (구직자): consent, the form's fields, duplicate detection, saving with encryption,
masked or full views (every full view audited), editing, status and soft deletion.

Names and phone numbers are decrypted only here, never logged, and shown in full only to the
registering centre (and contacts to employer associations with the 제17조 consent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import SeekerStatus
from core.text import clean_text, person_name
from models import audit as audit_db
from models import council as council_db
from models import seekers as seekers_db
from models.tables import JobSeeker
from services import privacy, records
from services import validation as v
from services.access import acting_agency, require_seeker_author
from services.crypto import Cipher
from services.forms import REGIONS, Choice, FieldSpec, ParseEnv
from services.membership import Actor
from services.openings import YES_NO

TIMES_OF_DAY = ("morning", "afternoon", "evening", "any")
INTERRUPTION_REASONS = ("marriage", "pregnancy", "childcare", "education", "care", "other")
# The four items of 개인정보보호법 제15조 ②, shown before anything is asked.
CONSENT_ITEMS = ("seeker.consent.purpose", "seeker.consent.items", "seeker.consent.retention",
                 "seeker.consent.refusal")


def _name(raw: str, env: ParseEnv) -> str:
    return person_name(raw)


def _phone(raw: str, env: ParseEnv) -> str:
    return v.mobile(raw)


def _birth_year(raw: str, env: ParseEnv) -> int:
    return v.parse_birth_year(raw, today=env.today)


def _jobs(raw: str, env: ParseEnv) -> str:
    value = clean_text(raw, max_length=255)
    if not value:
        raise DomainError("valid.empty")
    if "<" in value and ">" in value:
        raise DomainError("valid.no_markup")
    return value


def _hours(raw: str, env: ParseEnv) -> float:
    return v.parse_weekly_hours(raw)


def _wage(raw: str, env: ParseEnv) -> int:
    """Won per hour; a monthly amount ('월 150만원') is converted with the 209-hour month scaled
    to the seeker's desired weekly hours (see validation.hourly_equivalent)."""
    money = v.parse_money(raw)
    if money.period == "monthly" or (money.period is None and money.amount >= 300_000):
        hourly = v.hourly_equivalent(wage_type="monthly", amount=money.amount,
                                     weekly_hours=env.draft.get("desired_hours"))
        return round(hourly)
    if not 1_000 <= money.amount <= 200_000:
        raise DomainError("valid.wage_hourly_range")
    return money.amount


def _years(raw: str, env: ParseEnv) -> float:
    return v.parse_years(raw)


def _note(raw: str, env: ParseEnv) -> str:
    return clean_text(raw, max_length=1000, multiline=True)


SEEKER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "seeker.f.name", "seeker.ask.name", _name, secret=True),
    FieldSpec("phone", "seeker.f.phone", "seeker.ask.phone", _phone, secret=True),
    FieldSpec("birth_year", "seeker.f.birth_year", "seeker.ask.birth_year", _birth_year),
    FieldSpec("region_code", "seeker.f.region_code", "seeker.ask.region_code", choices=REGIONS),
    FieldSpec("desired_jobs", "seeker.f.desired_jobs", "seeker.ask.desired_jobs", _jobs),
    FieldSpec("desired_hours", "seeker.f.desired_hours", "seeker.ask.desired_hours", _hours),
    FieldSpec("time_of_day", "seeker.f.time_of_day", "seeker.ask.time_of_day",
              choices=tuple(Choice(t, f"seeker.time.{t}") for t in TIMES_OF_DAY)),
    FieldSpec("desired_wage", "seeker.f.desired_wage", "seeker.ask.desired_wage", _wage,
              optional=True, empty=None),
    FieldSpec("interruption_reason", "seeker.f.interruption_reason",
              "seeker.ask.interruption_reason",
              choices=tuple(Choice(r, f"seeker.reason.{r}") for r in INTERRUPTION_REASONS)),
    FieldSpec("interruption_years", "seeker.f.interruption_years",
              "seeker.ask.interruption_years", _years),
    FieldSpec("consent_share", "seeker.f.consent_share", "seeker.ask.consent_share",
              choices=YES_NO),
    FieldSpec("note", "seeker.f.note", "seeker.ask.note", _note, optional=True),
)


def phone_key(cipher: Cipher, phone: str) -> str:
    return cipher.keyed_hash(phone)


async def find_duplicate(*, session: AsyncSession, cipher: Cipher, phone: str) -> None:
    """Refuse a number some centre already registered, saying which centre holds it."""
    found = await seekers_db.get_seeker_by_phone_key(
        session=session, phone_key=phone_key(cipher, phone)
    )
    if found is not None:
        agency = await council_db.get_agency(session=session, agency_id=found.agency_id)
        raise DomainError("seeker.duplicate", agency=agency.name if agency else "-")


async def create_seeker(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    cipher: Cipher,
    draft: dict[str, Any],
    consent_at: datetime,
    token: str | None = None,
) -> JobSeeker:
    """Save a confirmed draft (name and phone already encrypted in it) as one seeker.

    `token` is the draft's: a 저장 repeated after a crash returns the seeker it created (and is
    not refused as a duplicate of itself)."""
    member, agency = await require_seeker_author(session=session, actor=actor)
    saved = await records.saved_before(
        session=session, token=token, entity="seeker",
        load=lambda done: seekers_db.get_seeker(session=session, seeker_id=done),
    )
    if saved is not None:
        return saved
    await records.check_draft(session=session, draft=draft, fields=SEEKER_FIELDS)
    phone = cipher.decrypt(draft["phone"])
    await find_duplicate(session=session, cipher=cipher, phone=phone)
    now = clock.now()
    seeker = JobSeeker(
        agency_id=agency.id or 0,
        created_by=member.id,
        name=draft["name"],
        phone=draft["phone"],
        phone_key=phone_key(cipher, phone),
        birth_year=draft["birth_year"],
        region_code=draft["region_code"],
        desired_jobs=draft["desired_jobs"],
        desired_hours=draft["desired_hours"],
        time_of_day=draft["time_of_day"],
        desired_wage=draft.get("desired_wage"),
        interruption_reason=draft["interruption_reason"],
        interruption_years=draft["interruption_years"],
        note=draft.get("note") or "",
        status=SeekerStatus.SEEKING,
        consent_collect_at=consent_at,
        consent_share_at=now if draft.get("consent_share") == "yes" else None,
        created_at=now,
    )
    return await records.store_new(
        session=session, at=now, actor=actor, member=member, record=seeker, entity="seeker",
        token=token, detail={"agency_id": agency.id, "region": seeker.region_code,
                             "consent_share": seeker.consent_share_at is not None},
    )


@dataclass(frozen=True)
class SeekerCard:
    """A seeker as one viewer may see them (masked unless allowed)."""

    id: int
    agency_id: int
    name: str
    phone: str
    age_decade: int | None
    birth_year: int | None  # None unless the viewer is the owning centre
    region_code: str
    desired_jobs: str
    desired_hours: float | None
    time_of_day: str
    desired_wage: int | None
    interruption_reason: str  # "" unless internal
    interruption_years: float | None
    note: str
    status: str
    consent_share: bool
    owner: bool
    unmasked: bool


async def seeker_cards(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    cipher: Cipher,
    seekers: list[JobSeeker],
    purpose: str,
) -> list[SeekerCard]:
    """The seekers as this actor may see them; every unmasked one is audited (`purpose` says
    where it was shown: "detail", "match", ...)."""
    member, agency = await acting_agency(session=session, actor=actor)
    cards = []
    for seeker in seekers:
        seen = privacy.visibility(
            seeker,
            viewer_agency_id=agency.id if agency else None,
            viewer_agency_kind=agency.kind if agency else None,
            viewer_role=member.role,
        )
        name, phone = privacy.clear_contacts(seeker, cipher)
        if seeker.purged_at is not None:  # destroyed: the pseudonym, nothing to mask or audit
            seen = privacy.Visibility(owner=seen.owner, contacts=False, internal=False)
            phone = "-"
        elif not seen.contacts:
            name, phone = privacy.mask_name(name), privacy.mask_phone(phone)
        cards.append(
            SeekerCard(
                id=seeker.id or 0, agency_id=seeker.agency_id, name=name, phone=phone,
                age_decade=privacy.age_decade(seeker.birth_year, clock.today().year),
                birth_year=seeker.birth_year if seen.owner else None,
                region_code=seeker.region_code, desired_jobs=seeker.desired_jobs,
                desired_hours=seeker.desired_hours, time_of_day=seeker.time_of_day,
                desired_wage=seeker.desired_wage,
                interruption_reason=seeker.interruption_reason if seen.internal else "",
                interruption_years=seeker.interruption_years if seen.internal else None,
                note=seeker.note if seen.internal else "",
                status=seeker.status, consent_share=seeker.consent_share_at is not None,
                owner=seen.owner, unmasked=seen.unmasked,
            )
        )
        if seen.unmasked:
            await audit_db.append_audit(
                session=session, at=clock.now(), action="seeker.view",
                actor_telegram_id=actor.telegram_id, actor_member_id=member.id,
                entity="seeker", entity_id=seeker.id, detail={"purpose": purpose},
            )
    return cards


def draft_values(seeker: JobSeeker) -> dict[str, Any]:
    """A saved seeker as draft-shaped values (name and phone stay encrypted)."""
    values = {spec.key: getattr(seeker, spec.key, None) for spec in SEEKER_FIELDS}
    values["consent_share"] = "yes" if seeker.consent_share_at else "no"
    return values


async def editable(*, session: AsyncSession, actor: Actor, record_id: int,
                   purged_ok: bool = False) -> JobSeeker:
    """The seeker, refused (also before any question is asked) to any but the registering
    centre, and once purged unless `purged_ok`."""
    seeker = await seekers_db.get_seeker(session=session, seeker_id=record_id)
    if seeker is None:
        raise DomainError("records.not_found")
    member = actor.member
    if member is None or not member.active or member.agency_id != seeker.agency_id:
        raise NotAllowed("records.not_yours")
    if seeker.purged_at is not None and not purged_ok:
        raise DomainError("seeker.purged")  # kept for statistics only: no new personal data
    return seeker


async def update_seeker_field(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    cipher: Cipher,
    seeker_id: int,
    key: str,
    value: Any,
) -> JobSeeker:
    """Change one field (only the registering centre); a new phone is checked for duplicates.
    `value` is the parsed value in clear; name and phone are encrypted here."""
    seeker = await editable(session=session, actor=actor, record_id=seeker_id)
    records.check_field(key, SEEKER_FIELDS)
    now = clock.now()
    if key == "phone":
        new_key = phone_key(cipher, value)
        if new_key != seeker.phone_key:
            await find_duplicate(session=session, cipher=cipher, phone=value)
        seeker.phone, seeker.phone_key = cipher.encrypt(value), new_key
    elif key == "name":
        seeker.name = cipher.encrypt(value)
    elif key == "consent_share":
        seeker.consent_share_at = now if value == "yes" else None
    else:
        setattr(seeker, key, value)
    # Personal data never goes into the audit detail: only which field changed.
    return await records.store_edit(
        session=session, at=now, actor=actor, record=seeker, entity="seeker",
        detail={"field": key},
    )


async def set_seeker_status(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_id: int, status: str
) -> JobSeeker:
    seeker = await editable(session=session, actor=actor, record_id=seeker_id)
    return await records.change_status(
        session=session, clock=clock, actor=actor, record=seeker, entity="seeker",
        statuses=tuple(SeekerStatus), status=status,
    )


def _retire_phone_key(seeker: JobSeeker, now: datetime) -> None:
    """Free the number for a new registration (the old key is kept, prefixed, in the row)."""
    seeker.phone_key = f"deleted:{seeker.id}:{seeker.phone_key}"[:128]


async def delete_seeker(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_id: int
) -> JobSeeker:
    """Soft delete. The phone key is retired so the person may be registered again later."""
    seeker = await editable(session=session, actor=actor, record_id=seeker_id, purged_ok=True)
    return await records.soft_delete(
        session=session, clock=clock, actor=actor, record=seeker, entity="seeker",
        also=_retire_phone_key,
    )


async def search_seekers(
    *,
    session: AsyncSession,
    cipher: Cipher,
    agency_id: int,
    status: str | None = None,
    region_code: str | None = None,
    keyword: str | None = None,
    offset: int = 0,
    limit: int = 5,
) -> tuple[list[JobSeeker], int]:
    """One page of a centre's seekers (newest first) and the total. The keyword is looked for
    in the name (decrypted here, the centre's own records only), desired jobs and note."""
    rows = await seekers_db.list_seekers(
        session=session, agency_id=agency_id, status=status or None,
        region_codes=[region_code] if region_code else None,
    )
    found = list(rows)
    if keyword:
        needle = keyword.lower()
        found = [
            s for s in found
            if needle in privacy.clear_contacts(s, cipher)[0].lower()
            or needle in s.desired_jobs.lower()
            or needle in s.note.lower()
        ]
    return found[offset: offset + limit], len(found)
