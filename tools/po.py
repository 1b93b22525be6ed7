"""Developer helper: add or update messages in a catalogue domain from a Python dict.

    uv run python -m tools.po DOMAIN messages.py   # messages.py defines MESSAGES = {key: (ko, en)}

The .po files stay the source of truth; this only saves typing and gets the escaping right.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"


def update(domain: str, messages: dict[str, tuple[str, str]]) -> None:
    for index, lang in enumerate(("ko", "en")):
        path = LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            catalog = Catalog(locale=lang, domain=domain, project="itda", charset="utf-8")
        for key, texts in messages.items():
            if key in catalog:
                del catalog[key]
            catalog.add(key, texts[index])
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, sort_output=True)


if __name__ == "__main__":
    update(sys.argv[1], runpy.run_path(sys.argv[2])["MESSAGES"])
