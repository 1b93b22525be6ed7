"""Domain errors carry a message key and values; handlers render them in the user's language."""

from __future__ import annotations

import html
from typing import Any


class DomainError(Exception):
    """A rule said no. `key` names the explanation in the catalogues."""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    @property
    def shown(self) -> dict[str, Any]:
        """The values as a message in HTML takes them: text escaped (it may be what the user
        typed, e.g. the month in '/report <b>'); numbers as they are."""
        return {k: html.escape(v, quote=False) if isinstance(v, str) else v
                for k, v in self.values.items()}


class NotAllowed(DomainError):
    """The member's role or agency does not permit this action."""
