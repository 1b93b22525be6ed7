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


HANG = "    "  # the indent of a bullet's further lines


def hanging(line: str) -> str:
    """A bullet line whose value spans several lines, its further lines indented under it (so
    a typed line such as "• 포장" or "- 검수" is not read as a bullet of the list)."""
    first, *rest = line.split("\n")
    return "\n".join([first, *(HANG + part.strip() for part in rest if part.strip())])


BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">", "「": "」", "『": "』", "【": "】"}


def shorten(text: str, limit: int) -> str:
    """Text for a button of at most `limit` characters: cut after a whole word, never inside a
    bracket ("사무 보조(오전 4시간)" becomes "사무 보조…", not "사무 보조(오전 4시간"), with "…"
    where something was left out; a first word longer than the limit is cut before its bracket
    or, failing that, at the limit."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - 1  # for the "…"
    kept = ""
    for word in text.split(" "):
        candidate = f"{kept} {word}" if kept else word
        if len(candidate) > room:
            break
        kept = candidate
    kept = _before_open_bracket(kept or text[:room]).rstrip(" ·,-/")
    return (kept or text[:room]) + "…"


def _before_open_bracket(text: str) -> str:
    """`text` up to its first bracket that is not closed."""
    opened: list[tuple[int, str]] = []
    for n, ch in enumerate(text):
        if ch in BRACKETS:
            opened.append((n, BRACKETS[ch]))
        elif opened and ch == opened[-1][1]:
            opened.pop()
    return text[: opened[0][0]] if opened else text
