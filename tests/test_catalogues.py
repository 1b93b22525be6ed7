"""Every user-facing string comes from the catalogues, complete in Korean and English."""

import ast
import re
import string
from pathlib import Path

from locales import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = (
    "bot", "handlers", "services", "scheduler", "models", "core", "adapters", "rendering", "demo"
)
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
SENDERS = {
    "send_message",
    "reply_text",
    "edit_message_text",
    "say",
    "answer",
    "send_document",
    "send_photo",
    "edit_text",
}
# Data modules whose Korean text is data (names of demo people, help for operators), not UI.
DATA_FILES = {"demo/seed.py", "bot/cli.py", "core/korean_input.py"}


def code_files() -> list[Path]:
    files = []
    for folder in CODE_DIRS:
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Audit actions look like keys ("invite.create") but are data, not messages; so are
        # the columns a foreign key names ("hire.id").
        actions = {
            id(part)
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            for k in n.keywords
            if k.arg in ("action", "foreign_key")
            for part in ast.walk(k.value)  # also each branch of `"a.b" if x else "a.c"`
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in actions:
                    continue
                if node.value.endswith(FILE_SUFFIXES):
                    continue
                if KEY.match(node.value) and node.value.split(".")[0] in PREFIXES:
                    keys.add(node.value)
    return keys


FILE_SUFFIXES = (".db", ".py", ".po", ".toml", ".key", ".xlsx", ".csv", ".ics", ".png", ".json")
PREFIXES = {k.split(".")[0] for k in catalogue("ko")}


def test_catalogues_have_the_same_keys_and_no_empty_text() -> None:
    ko, en = catalogue("ko"), catalogue("en")
    assert set(ko) == set(en), set(ko) ^ set(en)
    for lang in LANGUAGES:
        empty = [k for k, v in catalogue(lang).items() if not v.strip()]
        assert not empty, (lang, empty)


def test_placeholders_agree_between_languages() -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    ko, en = catalogue("ko"), catalogue("en")
    for key in ko:
        assert fields(ko[key]) == fields(en[key]), key


def test_every_key_used_in_code_exists() -> None:
    keys = used_keys()
    assert len(keys) > 50
    missing = sorted(k for k in keys if k not in catalogue("ko"))
    assert not missing, missing


def test_dynamic_keys_exist() -> None:
    for role in ("admin", "coordinator", "staff"):
        assert f"role.{role}" in catalogue("ko")
    from services.commands import COMMANDS

    for spec in COMMANDS:
        assert spec.description_key in catalogue("ko"), spec.name
        assert spec.description_key in catalogue("en"), spec.name


def test_no_korean_literals_in_code() -> None:
    offenders = []
    for path in code_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel in DATA_FILES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.split("#", 1)[0]
            if HANGUL.search(stripped) and not stripped.strip().startswith(('"""', "'''")):
                offenders.append(f"{rel}:{number}")
    # Docstrings may mention Korean terms; string constants may not.
    real = []
    for path in code_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel in DATA_FILES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and HANGUL.search(node.value)
            ):
                real.append(f"{rel}:{node.lineno}")
    assert not real, real


def test_no_literal_text_sent_to_users() -> None:
    offenders = []
    for path in code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            if name not in SENDERS:
                continue
            for arg in list(node.args) + [k.value for k in node.keywords if k.arg == "text"]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                if isinstance(arg, ast.JoinedStr):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} (f-string)")
    assert not offenders, offenders
