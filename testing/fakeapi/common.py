"""What all parts of the fake Bot API share: records, the error answer, parameter decoding."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

JSON = dict[str, Any]

DEFAULT_TOKEN: Final = "123456:TEST-TOKEN"

# A Bot API method: decoded parameters in, the ``result`` of the answer out.
Handler = Callable[[JSON], Awaitable[Any]]

# Parameters that are plain strings in the Bot API; every other form value is JSON-decoded.
STRING_PARAMS: Final = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "certificate",
        "custom_title",
        "data",
        "description",
        "document",
        "emoji",
        "file_id",
        "first_name",
        "foursquare_id",
        "google_place_id",
        "inline_message_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "parse_mode",
        "performer",
        "phone_number",
        "photo",
        "query",
        "secret_token",
        "short_description",
        "sticker",
        "text",
        "thumbnail",
        "title",
        "url",
        "vcard",
        "video",
        "video_note",
        "voice",
    }
)


# --------------------------------------------------------------------------------------------
# Records


@dataclass
class Call:
    """One Bot API request made by the bot.

    ``params`` are decoded (JSON-encoded form values parsed, uploaded files as ``Upload``),
    ``at`` is the ``time.monotonic()`` of arrival, ``chat_id`` the integer ``chat_id`` parameter
    if any, and ``response`` the JSON answer (None when the connection was dropped).
    """

    method: str
    params: JSON
    at: float
    chat_id: int | None
    response: JSON | None


@dataclass
class Upload:
    """A file part received in a multipart request."""

    filename: str | None
    data: bytes
    content_type: str | None = None


@dataclass
class StoredFile:
    """A file known to the fake server (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    file_path: str
    filename: str | None
    data: bytes
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)


@dataclass
class Failure:
    method: str  # lower-cased method name
    error: str
    chat_id: int | None
    times: int
    retry_after: int
    description: str | None


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class Dropped(Exception):
    """Raised to close the connection without any answer."""


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


# --------------------------------------------------------------------------------------------
# Parameter decoding


def decode_param(name: str, value: Any) -> Any:
    """Decode one form value the way Telegram reads PTB's requests."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


def require_int(params: JSON, name: str) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        raise bad_request(f"{name} is empty")
    value = as_int(raw)
    if value is None:
        raise bad_request(f"invalid {name} specified")
    return value
