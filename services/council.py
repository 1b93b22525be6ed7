"""The council data file (council.toml): regions, agencies and rules an operator can edit."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import AgencyKind
from models import council as council_db
from services.programme import DEFAULT_PROGRAMME, ProgrammeConfig, parse_programme, seed_programme
from services.targets import TargetConfig, parse_targets, seed_targets


class CouncilFileError(ValueError):
    """The council file is not usable; the message says where and why."""


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    neighbours: tuple[str, ...]


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    short_name: str
    kind: str
    mou_party: bool
    regions: tuple[str, ...]


DEFAULT_FOLLOWUP_MONTHS = (1, 3, 6)
MAX_FOLLOWUP_MONTHS = 36


@dataclass(frozen=True)
class FollowUpConfig:
    """`[followup]` of council.toml: the months after a hire's start at which its centre
    follows her up (사후관리), by the programme year of the start; `months` for other years."""

    months: tuple[int, ...] = DEFAULT_FOLLOWUP_MONTHS
    by_year: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def months_for(self, year: int) -> tuple[int, ...]:
        return self.by_year.get(year, self.months)


def parse_followup(raw: dict[str, Any]) -> FollowUpConfig:
    section = raw.get("followup", {})
    if not isinstance(section, dict):
        raise ValueError("[followup] must be a table")

    def months(value: Any, where: str) -> tuple[int, ...]:
        if (not isinstance(value, list) or not value
                or not all(isinstance(m, int) and 0 < m <= MAX_FOLLOWUP_MONTHS for m in value)):
            raise ValueError(f"{where} must be a list of months between 1 and "
                             f"{MAX_FOLLOWUP_MONTHS}, like [1, 3, 6]")
        return tuple(sorted(set(value)))

    default = months(section.get("months", list(DEFAULT_FOLLOWUP_MONTHS)), "[followup] months")
    by_year = {
        int(year): months(value, f"[followup.by_year] {year}")
        for year, value in section.get("by_year", {}).items()
    }
    return FollowUpConfig(default, by_year)


@dataclass(frozen=True)
class CouncilData:
    regions: tuple[RegionSpec, ...]
    agencies: tuple[AgencySpec, ...]
    minimum_wage: dict[int, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    programme: ProgrammeConfig = DEFAULT_PROGRAMME
    targets: TargetConfig = field(default_factory=lambda: TargetConfig({}, {}))
    followup: FollowUpConfig = field(default_factory=lambda: FollowUpConfig())

    def region_name(self, code: str) -> str:
        for region in self.regions:
            if region.code == code:
                return region.name
        return code


def load_council(path: Path) -> CouncilData:
    """Read and check the council file."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CouncilFileError(f"{path}: {exc}") from None
    regions = tuple(
        RegionSpec(r["code"], r["name"], tuple(r.get("neighbours", [])))
        for r in raw.get("regions", [])
    )
    codes = {r.code for r in regions}
    for region in regions:
        unknown = set(region.neighbours) - codes
        if unknown:
            raise CouncilFileError(
                f"{path}: region {region.code} has unknown neighbours {unknown}"
            )
    kinds = {k.value for k in AgencyKind}
    agencies = []
    seen: set[str] = set()
    for entry in raw.get("agencies", []):
        try:
            code, kind = entry["code"], entry["kind"]
            name = entry["name"]
        except KeyError as exc:
            raise CouncilFileError(f"{path}: an agency lacks {exc}") from None
        if kind not in kinds:
            raise CouncilFileError(f"{path}: agency {code} has unknown kind {kind!r}")
        if code in seen:
            raise CouncilFileError(f"{path}: agency code {code} appears twice")
        seen.add(code)
        served = entry.get("regions", [])
        if served == "all":
            served = sorted(codes, key=[r.code for r in regions].index)
        unknown = set(served) - codes
        if unknown:
            raise CouncilFileError(f"{path}: agency {code} serves unknown regions {unknown}")
        agencies.append(
            AgencySpec(
                code=code,
                name=name,
                short_name=entry.get("short_name", name),
                kind=kind,
                mou_party=bool(entry.get("mou_party", False)),
                regions=tuple(served),
            )
        )
    wages = {int(year): int(v) for year, v in raw.get("minimum_wage", {}).items()}
    try:
        programme = parse_programme(raw)
        targets = parse_targets(raw, agency_codes=seen, kinds=kinds)
        followup = parse_followup(raw)
    except (ValueError, TypeError) as exc:
        raise CouncilFileError(f"{path}: {exc}") from None
    return CouncilData(
        regions=regions, agencies=tuple(agencies), minimum_wage=wages, raw=raw,
        programme=programme, targets=targets, followup=followup,
    )


async def seed_council(*, session: AsyncSession, data: CouncilData) -> tuple[int, int]:
    """Load regions, agencies, calendar and targets idempotently; returns (regions, agencies)."""
    for region in data.regions:
        await council_db.upsert_region(
            session=session, code=region.code, name=region.name, neighbours=list(region.neighbours)
        )
    for agency in data.agencies:
        await council_db.upsert_agency(
            session=session,
            code=agency.code,
            name=agency.name,
            short_name=agency.short_name,
            kind=agency.kind,
            mou_party=agency.mou_party,
            regions=list(agency.regions),
        )
    await seed_programme(session=session, config=data.programme)
    await seed_targets(session=session, config=data.targets, years=data.programme.years)
    return len(data.regions), len(data.agencies)
