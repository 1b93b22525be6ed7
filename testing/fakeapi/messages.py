"""Sending, editing and deleting messages, and the helpers that build and store them."""

from __future__ import annotations

import copy
import time
from typing import Final

from testing.fakeapi.common import (
    JSON,
    as_bool,
    as_int,
    bad_request,
    require_int,
)
from testing.fakeapi.entities import PARSERS, ParseError, strip_text
from testing.fakeapi.state import FakeState

MAX_TEXT_LENGTH: Final = 4096

MAX_CAPTION_LENGTH: Final = 1024

MAX_CALLBACK_DATA_BYTES: Final = 64

NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class MessagesMixin(FakeState):
    """sendMessage, editMessage*, deleteMessage(s) and building, storing and editing messages."""

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._writable_chat(params)
        text, entities = self._formatted(params, "text", "entities", MAX_TEXT_LENGTH, True)
        markup = self._inline_markup(params)
        message = self._new_message(chat, params, markup)
        message["text"] = text
        if entities:
            message["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            message["link_preview_options"] = params["link_preview_options"]
        return self._store_sent(message)

    async def _edit_message_text(self, params: JSON) -> JSON:
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(params, "text", "entities", MAX_TEXT_LENGTH, True)
        markup = self._inline_markup(params)
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        if isinstance(params.get("link_preview_options"), dict):
            message["link_preview_options"] = params["link_preview_options"]
        return self._store_edit(message)

    async def _edit_message_caption(self, params: JSON) -> JSON:
        message = self._editable(params)
        if "photo" not in message and "document" not in message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._formatted(
            params, "caption", "caption_entities", MAX_CAPTION_LENGTH, False
        )
        markup = self._inline_markup(params)
        if (
            caption == message.get("caption", "")
            and entities == message.get("caption_entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        for key in ("caption", "caption_entities", "reply_markup"):
            message.pop(key, None)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        return self._store_edit(message)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._editable(params)
        markup = self._inline_markup(params)
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        return self._store_edit(message)

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._chat(params)
        key = (chat["id"], require_int(params, "message_id"))
        if key not in self._messages:
            raise bad_request("message to delete not found")
        del self._messages[key]
        self.deleted.add(key)
        return True

    async def _delete_messages(self, params: JSON) -> bool:
        chat = self._chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message_ids is empty")
        for message_id in ids:
            key = (chat["id"], int(message_id))
            if self._messages.pop(key, None) is not None:
                self.deleted.add(key)
        return True

    def _formatted(
        self, params: JSON, text_key: str, entities_key: str, limit: int, required: bool
    ) -> tuple[str, list[JSON]]:
        raw = params.get(text_key)
        if raw is None or raw == "":
            if required:
                raise bad_request("message text is empty")
            return "", []
        text = str(raw)
        entities = params.get(entities_key)
        if entities is not None:
            if not isinstance(entities, list):
                raise bad_request(f"can't parse {entities_key} JSON object")
            parsed: tuple[str, list[JSON]] = (text, [dict(e) for e in entities])
        else:
            mode = params.get("parse_mode")
            if mode:
                parser = PARSERS.get(str(mode).lower())
                if parser is None:
                    raise bad_request(f"unsupported parse_mode {mode!r}")
                try:
                    parsed = parser(text)
                except ParseError as err:
                    raise bad_request(f"can't parse entities: {err}") from err
            else:
                parsed = (text, [])
        text, found = strip_text(*parsed)
        if not text and required:
            raise bad_request("message text is empty")
        if len(text) > limit:
            raise bad_request(
                "message is too long" if text_key == "text" else "message caption is too long"
            )
        return text, found

    def _inline_markup(self, params: JSON) -> JSON | None:
        """Validate ``reply_markup``; return it if inline (other keyboards are not kept)."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request("can't parse inline keyboard button: text is empty")
                    data = button.get("callback_data")
                    if data is not None:
                        size = len(str(data).encode("utf-8"))
                        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                            raise bad_request("BUTTON_DATA_INVALID")
                    elif len(button) == 1:
                        raise bad_request(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
            return copy.deepcopy(markup)
        return None

    def _reply_target(self, params: JSON, chat_id: int) -> JSON | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = as_int(reply.get("message_id"))
            target_chat = as_int(reply.get("chat_id")) or chat_id
            allow_missing = as_bool(reply.get("allow_sending_without_reply", False))
        else:
            message_id = as_int(params.get("reply_to_message_id"))
            target_chat = chat_id
            allow_missing = as_bool(params.get("allow_sending_without_reply", False))
        if message_id is None:
            return None
        target = self._messages.get((target_chat, message_id))
        if target is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        replied = copy.deepcopy(target)
        replied.pop("reply_to_message", None)
        return replied

    def _new_message(self, chat: JSON, params: JSON, markup: JSON | None) -> JSON:
        chat_id = chat["id"]
        reply = self._reply_target(params, chat_id)
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": copy.deepcopy(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if reply is not None:
            message["reply_to_message"] = reply
        if as_bool(params.get("protect_content", False)):
            message["has_protected_content"] = True
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _store_sent(self, message: JSON) -> JSON:
        chat_id = message["chat"]["id"]
        self._messages[(chat_id, message["message_id"])] = message
        self._sent.setdefault(chat_id, []).append(copy.deepcopy(message))
        self._events.setdefault(chat_id, []).append(copy.deepcopy(message))
        return copy.deepcopy(message)

    def _store_edit(self, message: JSON) -> JSON:
        chat_id = message["chat"]["id"]
        message["edit_date"] = int(time.time())
        self._messages[(chat_id, message["message_id"])] = message
        self._events.setdefault(chat_id, []).append({**copy.deepcopy(message), "_edited": True})
        return copy.deepcopy(message)

    def _editable(self, params: JSON) -> JSON:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake server")
        chat = self._writable_chat(params)
        message_id = require_int(params, "message_id")
        message = self._messages.get((chat["id"], message_id))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        return copy.deepcopy(message)
