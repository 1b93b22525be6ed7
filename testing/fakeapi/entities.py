"""Telegram's ``parse_mode`` markup: HTML, MarkdownV2 and legacy Markdown into text and entities.

Hand-written on purpose: Telegram's dialects (its tag set, its escaping rules, its error messages
with byte offsets) are not what any general HTML or Markdown library implements, and none is a
dependency of the project. Every parser returns the plain text and its entities (offsets and
lengths in UTF-16 code units) or raises ``ParseError`` with Telegram's description.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from testing.fakeapi.common import JSON


class ParseError(Exception):
    """Malformed ``parse_mode`` markup."""


def u16(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


@dataclass
class _Open:
    name: str
    type: str | None
    offset: int  # UTF-16 offset in the output text
    begin: int  # index in the source
    out_index: int  # index in the output parts list
    extra: JSON = field(default_factory=dict)


class _Output:
    """Accumulates parsed text and its entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[JSON] = []

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.pos += u16(text)

    def add(self, type_: str | None, offset: int, extra: JSON | None = None) -> None:
        length = self.pos - offset
        if type_ is None or length <= 0:
            return
        entity: JSON = {"type": type_, "offset": offset, "length": length}
        entity.update(extra or {})
        self.entities.append(entity)

    def result(self) -> tuple[str, list[JSON]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


_HTML_ENTITY_RE: Final = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z]{2,8});")
_HTML_NAMED: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_SIMPLE_TAGS: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "pre": "pre",
}
_HTML_TAGS: Final = frozenset(_HTML_SIMPLE_TAGS) | {"a", "code", "span", "tg-emoji", "blockquote"}


def _html_entity(src: str, index: int) -> tuple[str, int]:
    """Decode the HTML entity at ``src[index]`` (an ``&``); unknown ones stay verbatim."""
    match = _HTML_ENTITY_RE.match(src, index)
    if match:
        name = match.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), match.end() - index
        elif name in _HTML_NAMED:
            return _HTML_NAMED[name], match.end() - index
    return "&", 1


def _html_unescape(value: str) -> str:
    parts: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            text, used = _html_entity(value, i)
            parts.append(text)
            i += used
        else:
            parts.append(value[i])
            i += 1
    return "".join(parts)


def _html_attributes(src: str, index: int, tag: str, begin: int) -> tuple[JSON, int]:
    """Parse attributes from ``src[index]`` up to the closing ``>``; return them and the end."""
    attrs: JSON = {}
    n = len(src)
    unclosed = f"Unclosed start tag at byte offset {_byte_offset(src, begin)}"
    while True:
        while index < n and src[index].isspace():
            index += 1
        if index >= n:
            raise ParseError(unclosed)
        if src[index] == ">":
            return attrs, index + 1
        start = index
        while index < n and not src[index].isspace() and src[index] not in "=>":
            index += 1
        name = src[start:index].lower()
        while index < n and src[index].isspace():
            index += 1
        if index >= n:
            raise ParseError(unclosed)
        if src[index] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            raise ParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(src, begin)}"
            )
        index += 1
        while index < n and src[index].isspace():
            index += 1
        if index >= n:
            raise ParseError(unclosed)
        if src[index] in "\"'":
            end = src.find(src[index], index + 1)
            if end < 0:
                raise ParseError(unclosed)
            value = src[index + 1 : end]
            index = end + 1
        else:
            start = index
            while index < n and not src[index].isspace() and src[index] != ">":
                index += 1
            value = src[start:index]
        attrs[name] = _html_unescape(value)


def _parse_html(src: str) -> tuple[str, list[JSON]]:
    out = _Output()
    stack: list[_Open] = []
    i, n = 0, len(src)
    while i < n:
        char = src[i]
        if char == "&":
            text, used = _html_entity(src, i)
            out.emit(text)
            i += used
            continue
        if char != "<":
            out.emit(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and src[i] == "/":
            end = src.find(">", i)
            if end < 0:
                raise ParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            name = src[i + 1 : end].strip().lower()
            if not stack:
                raise ParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            top = stack.pop()
            if name and name != top.name:
                raise ParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            out.add(top.type, top.offset, top.extra)
            i = end + 1
            continue
        end = i
        while end < n and not src[end].isspace() and src[end] != ">":
            end += 1
        if end >= n:
            raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        name = src[i:end].lower()
        if name not in _HTML_TAGS:
            raise ParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, begin)}'
            )
        attrs, i = _html_attributes(src, end, name, begin)
        type_: str | None
        extra: JSON = {}
        if name in _HTML_SIMPLE_TAGS:
            type_ = _HTML_SIMPLE_TAGS[name]
        elif name == "a":
            href = attrs.get("href", "")
            type_ = "text_link" if href else None
            extra = {"url": href} if href else {}
        elif name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise ParseError('Tag "span" must have class "tg-spoiler"')
            type_ = "spoiler"
        elif name == "tg-emoji":
            emoji_id = attrs.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise ParseError('Tag "tg-emoji" must have attribute "emoji-id"')
            type_, extra = "custom_emoji", {"custom_emoji_id": emoji_id}
        elif name == "blockquote":
            type_ = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        else:  # code
            language = attrs.get("class", "")
            if stack and stack[-1].name == "pre" and language.startswith("language-"):
                stack[-1].extra["language"] = language.removeprefix("language-")
                type_ = None
            else:
                type_ = "code"
        stack.append(_Open(name, type_, out.pos, begin, len(out.parts), extra))
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


_MDV2_RESERVED: Final = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES: Final = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _mdv2_escaped(src: str, i: int) -> bool:
    return src[i] == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) <= 126


def _mdv2_is_end(top: str, src: str, i: int) -> bool:
    char = src[i]
    nxt = src[i + 1] if i + 1 < len(src) else ""
    return {
        "bold": char == "*",
        "italic": char == "_" and nxt != "_",
        "code": char == "`",
        "pre": src.startswith("```", i),
        "text_link": char == "]",
        "custom_emoji": char == "]",
        "underline": src.startswith("__", i),
        "strikethrough": char == "~",
        "spoiler": src.startswith("||", i),
    }[top]


def _mdv2_url(src: str, i: int, begin: int) -> tuple[str, int]:
    """Read ``(url)`` starting at ``src[i] == "("``; return the url and the index after it."""
    i += 1
    url: list[str] = []
    while i < len(src) and src[i] != ")":
        if _mdv2_escaped(src, i):
            url.append(src[i + 1])
            i += 2
            continue
        url.append(src[i])
        i += 1
    if i >= len(src):
        raise ParseError(f"Can't find end of a URL at byte offset {_byte_offset(src, begin)}")
    return "".join(url), i + 1


def _parse_markdown_v2(src: str) -> tuple[str, list[JSON]]:
    out = _Output()
    stack: list[_Open] = []
    quote_start: int | None = None
    i, n = 0, len(src)
    while i < n:
        char = src[i]
        if _mdv2_escaped(src, i):
            out.emit(src[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1].type in ("code", "pre")
        if char == "\n" and quote_start is not None and not src.startswith(">", i + 1):
            out.add("blockquote", quote_start)
            quote_start = None
        if char not in ("`" if in_code else _MDV2_RESERVED):
            out.emit(char)
            i += 1
            continue
        if char == ">" and not in_code and (i == 0 or src[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if stack and _mdv2_is_end(stack[-1].type or "", src, i):
            top = stack.pop()
            type_ = top.type or ""
            i += {"underline": 2, "spoiler": 2, "pre": 3}.get(type_, 1)
            extra = top.extra
            if type_ in ("text_link", "custom_emoji"):
                if i < n and src[i] == "(":
                    url, i = _mdv2_url(src, i, top.begin)
                elif type_ == "text_link":
                    url = "".join(out.parts[top.out_index :])
                else:
                    raise ParseError("Custom emoji entity must contain a tg://emoji URL")
                if type_ == "text_link":
                    extra = {"url": url} if url else {}
                    if not url:
                        type_ = ""
                else:
                    emoji_id = url.removeprefix("tg://emoji?id=")
                    if emoji_id == url or not emoji_id.isdigit():
                        raise ParseError("Custom emoji URL must have an emoji identifier")
                    extra = {"custom_emoji_id": emoji_id}
            out.add(type_ or None, top.offset, extra)
            continue
        begin = i
        extra = {}
        nxt = src[i + 1] if i + 1 < n else ""
        if char == "_" and nxt == "_":
            type_, i = "underline", i + 2
        elif char == "_":
            type_, i = "italic", i + 1
        elif char == "*":
            type_, i = "bold", i + 1
        elif char == "~":
            type_, i = "strikethrough", i + 1
        elif char == "|" and nxt == "|":
            type_, i = "spoiler", i + 2
        elif char == "[":
            type_, i = "text_link", i + 1
        elif char == "!" and nxt == "[":
            type_, i = "custom_emoji", i + 2
        elif src.startswith("```", i):
            type_, i = "pre", i + 3
            end = i
            while end < n and not src[end].isspace() and src[end] != "`":
                end += 1
            if end != i and end < n and src[end] != "`":
                extra["language"] = src[i:end]
                i = end
            if src.startswith("\r\n", i) or src.startswith("\n\r", i):
                i += 2
            elif i < n and src[i] in "\r\n":
                i += 1
        elif char == "`":
            type_, i = "code", i + 1
        else:
            raise ParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        stack.append(_Open(char, type_, out.pos, begin, len(out.parts), extra))
    if stack:
        top = stack[-1]
        raise ParseError(
            f"Can't find end of {_MDV2_NAMES[top.type or 'bold']} entity at byte offset "
            f"{_byte_offset(src, top.begin)}"
        )
    if quote_start is not None:
        out.add("blockquote", quote_start)
    return out.result()


def _parse_markdown(src: str) -> tuple[str, list[JSON]]:
    """Legacy Markdown: bold, italic, code and pre spans plus ``[text](url)`` links."""
    out = _Output()
    i, n = 0, len(src)
    simple = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        char = src[i]
        if char == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.emit(src[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.emit(char)
            i += 1
            continue
        missing = f"Can't find end of the entity starting at byte offset {_byte_offset(src, i)}"
        start = out.pos
        if char == "[":
            end = src.find("]", i + 1)
            if end < 0:
                raise ParseError(missing)
            out.emit(src[i + 1 : end])
            i = end + 1
            if i < n and src[i] == "(":
                close = src.find(")", i + 1)
                if close < 0:
                    raise ParseError(missing)
                url = src[i + 1 : close]
                i = close + 1
                if url:
                    out.add("text_link", start, {"url": url})
        elif src.startswith("```", i):
            end = src.find("```", i + 3)
            if end < 0:
                raise ParseError(missing)
            content = src[i + 3 : end]
            extra: JSON = {}
            first, newline, rest = content.partition("\n")
            if newline and first and not any(c.isspace() for c in first):
                extra["language"] = first
                content = rest
            out.emit(content)
            out.add("pre", start, extra)
            i = end + 3
        else:
            end = src.find(char, i + 1)
            if end < 0:
                raise ParseError(missing)
            out.emit(src[i + 1 : end])
            out.add(simple[char], start)
            i = end + 1
    return out.result()


PARSERS: Final[dict[str, Callable[[str], tuple[str, list[JSON]]]]] = {
    "html": _parse_html,
    "markdownv2": _parse_markdown_v2,
    "markdown": _parse_markdown,
}


def strip_text(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Trim surrounding whitespace like Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = u16(text[: len(text) - len(text.lstrip())])
    size = u16(stripped)
    kept: list[JSON] = []
    for entity in entities:
        begin = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > begin:
            kept.append({**entity, "offset": begin, "length": end - begin})
    return stripped, kept
