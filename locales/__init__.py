"""User-facing text: gettext catalogues (Babel .po files) in locales/<lang>/LC_MESSAGES/*.po.

Message ids are stable keys such as ``onboarding.welcome``; the Korean catalogue is the default
and the English one is complete. Placeholders are named (``{name}``); a placeholder may carry a
Korean particle as its format spec (``{agency:이/가}``), chosen from the value's last syllable.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from locales.particles import PAIRS, attach

LOCALES_DIR = Path(__file__).resolve().parent
LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"


def N_(key: str) -> str:
    """Mark a message key used indirectly (for example in a table); returns it unchanged."""
    return key


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, merged from every .po domain file."""
    messages: dict[str, str] = {}
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    for po_file in sorted(folder.glob("*.po")):
        with po_file.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for message in catalog:
            if not message.id:
                continue
            key = str(message.id)
            if key in messages:
                raise ValueError(f"message {key!r} defined twice ({po_file.name})")
            messages[key] = str(message.string or "")
    return messages


class _ParticleFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in PAIRS:
            return attach(str(value), format_spec)
        return super().format_field(value, format_spec)


_formatter = _ParticleFormatter()


def normalize_language(code: str | None) -> str:
    """Telegram's language_code to a supported language (Korean unless English is asked for)."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def translate(lang: str, key: str, /, **values: Any) -> str:
    """The message `key` in `lang`, with placeholders filled; Korean when `lang` lacks it."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
    if not text:
        raise KeyError(f"message {key!r} is missing from the catalogues")
    if not values:
        return text
    return _formatter.vformat(text, (), values)


class Translator:
    """Translation bound to one language: ``tr("onboarding.welcome", name=...)``."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **values: Any) -> str:
        return translate(self.lang, key, **values)
