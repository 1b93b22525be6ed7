"""Inline buttons: reading them off a message, pressing them as a user and answerCallbackQuery."""

from __future__ import annotations

import copy
from typing import Final

from testing.fakeapi.common import (
    JSON,
    bad_request,
)
from testing.fakeapi.state import FakeState

MAX_CALLBACK_ANSWER_LENGTH: Final = 200


class CallbacksMixin(FakeState):
    """Buttons, button presses (callback queries) and their answers."""

    @staticmethod
    def buttons(message: JSON) -> list[tuple[str, str]]:
        """(text, callback_data) of every callback button of a message's inline keyboard."""
        markup = message.get("reply_markup") or {}
        return [
            (button["text"], button["callback_data"])
            for row in markup.get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]

    @classmethod
    def button(cls, message: JSON, text_contains: str) -> str:
        """Callback data of the first button whose text contains ``text_contains``."""
        found = cls.buttons(message)
        for text, data in found:
            if text_contains in text:
                return data
        raise LookupError(f"no button containing {text_contains!r}; buttons: {found}")

    def press(self, user_id: int, message: JSON, data: str) -> JSON:
        """Enqueue a callback query: ``user_id`` presses the button with ``data``."""
        user = self._user(user_id)
        chat_id = message["chat"]["id"]
        key = (chat_id, message["message_id"])
        current = self._messages.get(key)
        if current is None:
            state = "deleted" if key in self.deleted else "unknown"
            raise ValueError(f"message {key[1]} in chat {chat_id} is {state}")
        shown = [button_data for _, button_data in self.buttons(current)]
        if data not in shown:
            raise ValueError(f"callback data {data!r} is not on message {key[1]}: {shown}")
        self._callback_counter += 1
        query_id = str(4_300_000_000_000_000_000 + self._callback_counter)
        self._open_callbacks.add(query_id)
        query: JSON = {
            "id": query_id,
            "from": copy.deepcopy(user),
            "message": copy.deepcopy(current),
            "chat_instance": str((chat_id * 2_654_435_761) % (1 << 62)),
            "data": data,
        }
        return self._enqueue({"callback_query": query})

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.answered_callbacks.append(copy.deepcopy(params))
        return True
