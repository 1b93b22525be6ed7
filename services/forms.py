"""Field specifications shared by the record forms and by editing a saved record.

A field is asked either as free text (checked by `parse`, which raises `DomainError`) or as
buttons (`choices`). Parsed values are kept JSON-safe (str, int, float, bool, None), because a
draft lives in the persisted conversation until the confirm step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

REGIONS = "regions"  # choices filled in from the council data (the 15 시군)


@dataclass(frozen=True)
class ParseEnv:
    today: date
    draft: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    value: str
    label_key: str


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label_key: str  # the field's name in summaries and the edit menu
    prompt_key: str  # the question
    parse: Callable[[str, ParseEnv], Any] | None = None  # free text → value (may raise)
    choices: tuple[Choice, ...] | str = ()  # buttons instead of text; REGIONS for the 시군
    optional: bool = False  # a 건너뛰기 button stores the empty value
    empty: Any = ""
    editable: bool = True  # may be changed from /mine after saving
    secret: bool = False  # personal data: kept encrypted even in the draft

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)


class Also(dict[str, Any]):
    """A parser's result that also sets other fields of the draft (value under "_value")."""


def field_named(fields: tuple[FieldSpec, ...], key: str) -> FieldSpec | None:
    for spec in fields:
        if spec.key == key:
            return spec
    return None
