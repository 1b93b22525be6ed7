"""Field specifications shared by the forms (records, meetings) and by editing a saved record.

A field is asked as free text (checked by `parse`, which raises `DomainError`), as buttons
(`choices`), or both: buttons with a `parse` are shortcuts for typing, and a tapped value goes
through `parse` as if typed. A `multi` field's buttons are toggled (all chosen at first) and its
value is the list of chosen values. Parsed values are kept JSON-safe (str, int, float, bool, None,
lists), because a draft lives in the persisted conversation until the confirm step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core import korean_input as ko
from models import receipts as receipts_db

REGIONS = "regions"  # choices filled in from the council data (the 15 시군)
# Other names in `choices` are sources a form fills in itself (FormFlow.sources), e.g. the next
# working days or the agencies to invite.


@dataclass(frozen=True)
class ParseEnv:
    today: date
    draft: dict[str, Any] = field(default_factory=dict)
    now: datetime | None = None  # timezone-aware (fields about a time of day need it)


@dataclass(frozen=True)
class Choice:
    value: str
    label_key: str = ""  # empty: the value is its own label (times, numbers)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label_key: str  # the field's name in summaries and the edit menu
    prompt_key: str  # the question
    # Typed text (or a tapped value; a multi field's list) → value; may raise DomainError.
    parse: Callable[[Any, ParseEnv], Any] | None = None
    choices: tuple[Choice, ...] | str = ()  # buttons; REGIONS or a form's source by name
    optional: bool = False  # a 건너뛰기 button stores the empty value
    empty: Any = ""
    editable: bool = True  # may be changed from /mine after saving
    secret: bool = False  # personal data: kept encrypted even in the draft
    multi: bool = False  # several choices, toggled; the value is the list of chosen values
    resets: tuple[str, ...] = ()  # fields asked again when this one is answered (a day's time)
    columns: int = 2  # buttons per row

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)

    @property
    def typed(self) -> bool:
        """Typed text is an answer (with buttons too, they are shortcuts)."""
        return self.parse is not None and not self.multi


class Also(dict[str, Any]):
    """A parser's result that also sets other fields of the draft (value under "_value")."""


def field_named(fields: tuple[FieldSpec, ...], key: str) -> FieldSpec | None:
    for spec in fields:
        if spec.key == key:
            return spec
    return None


def _key(text: str) -> str:
    """Typed text as compared with a label: no spaces, case or closing punctuation."""
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(text.split()).rstrip(".!?~")


def _names(label: str, value: Any) -> set[str]:
    """What a button may be called when typed: its label, the label without its bracket
    ("정규직" for "정규직(시간선택제)"), a region without its suffix ("천안" for "천안시") and
    the words that stand for its value ("네" for 예)."""
    full = _key(label)
    names = {full, _key(re.sub(r"\(.*?\)", "", label))}
    if len(full) >= 3 and full.endswith(ko.REGION_SUFFIXES):
        names.add(full[:-1])
    names.update(_key(word) for word in ko.CHOICE_ALIASES.get(str(value), ()))
    return {name for name in names if name}


def typed_choice(text: str, offered: Sequence[tuple[str, Any]]) -> int | None:
    """The index of the (label, value) button a typed answer names, or None when it names none
    or more than one: a label or a clear short form of it (see `_names`), else the beginning of
    exactly one label (two characters at least)."""
    typed = _key(text)
    if not typed:
        return None
    exact = [n for n, (label, value) in enumerate(offered) if typed in _names(label, value)]
    if len(exact) == 1:
        return exact[0]
    if exact or len(typed) < 2:
        return None
    begins = [n for n, (label, _) in enumerate(offered) if _key(label).startswith(typed)]
    return begins[0] if len(begins) == 1 else None


def typed_skip(text: str, skip_label: str) -> bool:
    """Does a typed answer to an optional question mean 건너뛰기 ("모름", "없음", the label)?"""
    typed = _key(text)
    return bool(typed) and (typed == _key(skip_label)
                            or typed in {_key(word) for word in ko.SKIP_WORDS})


async def saved_record(*, session: AsyncSession, token: str) -> int | None:
    """The id of the record a form's draft token saved (None when it saved nothing)."""
    return await receipts_db.record_of(session=session, token=token)
