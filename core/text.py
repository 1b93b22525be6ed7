"""Cleaning free text typed on a phone: control characters out, whitespace tidied, length bound."""

from __future__ import annotations

import html
import unicodedata

from core.errors import DomainError


def clean_text(text: str | None, *, max_length: int, multiline: bool = False) -> str:
    """Text without control or format characters, trimmed; raises if too long."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\n" and multiline:
            kept.append(ch)
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\u2028\u2029":
            kept.append(" " if ch in "\t\r\n\u2028\u2029" else "")
        else:
            kept.append(ch)
    lines = [" ".join(line.split()) for line in "".join(kept).split("\n")]
    result = "\n".join(lines).strip()
    if len(result) > max_length:
        raise DomainError("input.too_long", limit=max_length, length=len(result))
    return result


NAME_PUNCTUATION = frozenset(" .-'·()")


def person_name(text: str | None, *, max_length: int = 30) -> str:
    """A person's name as typed: 1..30 characters with at least one letter."""
    name = clean_text(text, max_length=max_length)
    allowed = all(ch.isalpha() or ch in NAME_PUNCTUATION for ch in name)
    if not name or not allowed or not any(ch.isalpha() for ch in name):
        raise DomainError("input.name_invalid", limit=max_length)
    return name


def escape(text: object) -> str:
    """User text made safe to put into an HTML-formatted Telegram message."""
    return html.escape(str(text), quote=False)
