"""Rendering records for people: field values, statuses, reasons of a match, seeker cards."""

from __future__ import annotations

from typing import Any

from adapters.context import ItdaContext
from core.text import escape
from locales import Translator
from models.tables import JobOpening
from services.forms import REGIONS, FieldSpec
from services.matching import Reason
from services.seekers import SeekerCard

MONEY_FIELDS = frozenset({"wage_amount", "desired_wage"})
HOUR_FIELDS = frozenset({"weekly_hours", "desired_hours"})


def number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def region_name(context: ItdaContext, code: str | None) -> str:
    return context.runtime.council.region_name(code) if code else "-"


def choice_label(context: ItdaContext, spec: FieldSpec, value: Any) -> str:
    if spec.choices == REGIONS:
        return region_name(context, value)
    if isinstance(spec.choices, str):  # a form's own source: the value as it is
        return escape(str(value))
    for choice in spec.choices:
        if choice.value == value and choice.label_key:
            return context.tr(choice.label_key)
    return escape(str(value))


def value_text(context: ItdaContext, spec: FieldSpec, value: Any, *, secret: bool = True) -> str:
    """One field's value for a summary (secret values are decrypted: only the owner sees it)."""
    if value is None or value == "":
        return context.tr("records.empty")
    if spec.multi:
        return ", ".join(choice_label(context, spec, one) for one in value)
    if spec.is_choice:
        return choice_label(context, spec, value)
    if spec.secret and secret:
        return escape(context.runtime.cipher.decrypt(value))
    if spec.key in MONEY_FIELDS:
        return context.tr("records.money", amount=f"{int(value):,}")
    if spec.key in HOUR_FIELDS:
        return context.tr("records.weekly_hours", hours=number(float(value)))
    if spec.key == "interruption_years":
        return context.tr("records.years", years=number(float(value)))
    if spec.key == "positions":
        return context.tr("records.people", count=value)
    return escape(value)


def field_lines(
    context: ItdaContext, fields: tuple[FieldSpec, ...], values: dict[str, Any]
) -> list[str]:
    return [
        context.tr("records.field_line", label=context.tr(spec.label_key),
                   value=value_text(context, spec, values.get(spec.key)))
        for spec in fields
    ]


def reasons_text(context: ItdaContext, reasons: tuple[Reason, ...]) -> str:
    parts = []
    for key, values in reasons:
        values = dict(values)
        if "region" in values:
            values["region"] = region_name(context, values["region"])
        if "time" in values:
            values["time"] = context.tr(f"seeker.time.{values['time']}")
        if "words" in values:
            values["words"] = escape(values["words"])
        parts.append(context.tr(key, **values))
    return " · ".join(parts)


def opening_line(context: ItdaContext, opening: JobOpening, tr: Translator | None = None) -> str:
    """One line: #12 회사 · 직무 · 시군 · 상태 (in `tr`'s language, the reader's by default)."""
    tr = tr or context.tr
    return tr(
        "opening.line",
        id=opening.id,
        company=escape(opening.company_name),
        title=escape(opening.job_title),
        region=region_name(context, opening.region_code),
        status=tr(f"opening.status.{opening.status}"),
        flag=tr("opening.flag_mark") if opening.rule_flags else "",
    )


def seeker_line(context: ItdaContext, card: SeekerCard) -> str:
    """One line: #7 홍*동 (40대) · 시군 · 희망 직무 · 상태."""
    age = context.tr("seeker.age_band", decade=card.age_decade) if card.age_decade else "-"
    return context.tr(
        "seeker.line",
        id=card.id,
        name=escape(card.name),
        age=age,
        region=region_name(context, card.region_code),
        jobs=escape(card.desired_jobs[:30]),
        status=context.tr(f"seeker.status.{card.status}"),
    )


def seeker_detail(context: ItdaContext, card: SeekerCard) -> str:
    """The card of one seeker, as much as the viewer may see."""
    lines = [seeker_line(context, card)]
    lines.append(context.tr("seeker.detail_phone", phone=escape(card.phone)))
    if card.birth_year:
        lines.append(context.tr("seeker.detail_birth", year=card.birth_year))
    hours = number(card.desired_hours) if card.desired_hours is not None else "-"
    lines.append(context.tr("seeker.detail_hours", hours=hours,
                            time=context.tr(f"seeker.time.{card.time_of_day or 'any'}")))
    if card.desired_wage:
        lines.append(context.tr("seeker.detail_wage", amount=f"{card.desired_wage:,}"))
    if card.interruption_reason:
        years = number(card.interruption_years) if card.interruption_years is not None else "-"
        lines.append(context.tr("seeker.detail_reason",
                                reason=context.tr(f"seeker.reason.{card.interruption_reason}"),
                                years=years))
    if card.note:
        lines.append(context.tr("seeker.detail_note", note=escape(card.note)))
    lines.append(context.tr("seeker.detail_share_yes" if card.consent_share
                            else "seeker.detail_share_no"))
    if not card.unmasked:
        lines.append(context.tr("seeker.masked_hint"))
    return "\n".join(lines)
