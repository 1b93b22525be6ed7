"""Domain errors carry a message key and values; handlers render them in the user's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. `key` names the explanation in the catalogues."""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class NotAllowed(DomainError):
    """The member's role or agency does not permit this action."""
