"""Masking a seeker's personal data for anyone outside the centre that registered them.

홍길동 → 홍*동, 010-1234-5678 → 010-****-5678, born 1983 → 40대 (the decade; the handler
renders it through the catalogue). Employer associations see contacts only when the seeker
gave the 제17조 consent to share them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.statuses import AgencyKind, Role
from models.tables import JobSeeker
from services.crypto import Cipher


def clear_contacts(seeker: JobSeeker, cipher: Cipher) -> tuple[str, str]:
    """A seeker's name and phone number in clear. After the retention purge there is nothing to
    decrypt: the name is the pseudonym the purge wrote and the phone number is gone ("")."""
    if seeker.purged_at is not None:
        return seeker.name, ""
    return cipher.decrypt(seeker.name), cipher.decrypt(seeker.phone) if seeker.phone else ""


def mask_name(name: str) -> str:
    """Keep the first and last character: 홍길동 → 홍*동, 이수 → 이*, 남궁민수 → 남**수."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """010-1234-5678 → 010-****-5678 (any other shape keeps only its last four digits)."""
    parts = phone.split("-")
    if len(parts) == 3:
        return f"{parts[0]}-{'*' * len(parts[1])}-{parts[2]}"
    digits = [c for c in phone if c.isdigit()]
    return "***-****-" + "".join(digits[-4:])


def age_decade(birth_year: int | None, year: int) -> int | None:
    """The age band (20, 30, 40, …) of someone born in `birth_year`, in `year`."""
    if birth_year is None:
        return None
    age = max(0, year - birth_year)
    return (age // 10) * 10


@dataclass(frozen=True)
class Visibility:
    """What a viewer may see of one seeker."""

    owner: bool  # the registering centre: everything
    contacts: bool  # name and phone in clear
    internal: bool  # career-interruption reason and notes (never to employers)

    @property
    def unmasked(self) -> bool:
        return self.contacts


def visibility(
    seeker: JobSeeker, *, viewer_agency_id: int | None, viewer_agency_kind: str | None,
    viewer_role: str | None,
) -> Visibility:
    if viewer_agency_id is not None and viewer_agency_id == seeker.agency_id:
        return Visibility(owner=True, contacts=True, internal=True)
    if (
        viewer_role == Role.STAFF
        and viewer_agency_kind == AgencyKind.EMPLOYER_ASSOCIATION
        and seeker.consent_share_at is not None
    ):
        return Visibility(owner=False, contacts=True, internal=False)
    return Visibility(owner=False, contacts=False, internal=False)
