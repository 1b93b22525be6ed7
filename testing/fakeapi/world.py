"""What tests do with the fake server: build the world, act as users, observe what the bot sent."""

from __future__ import annotations

import asyncio
import copy
import re
import time
from collections.abc import Callable
from typing import Final

from testing.fakeapi.callbacks import CallbacksMixin
from testing.fakeapi.common import (
    JSON,
    Call,
    Upload,
)
from testing.fakeapi.entities import u16
from testing.fakeapi.files import FilesMixin

_BOT_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?")


class WorldMixin(FilesMixin, CallbacksMixin):
    """Users and groups, their messages and presses, and waiting for the bot."""

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str = "ko",
    ) -> JSON:
        """Register a user and their private chat (whose id is the user id)."""
        if user_id <= 0:
            raise ValueError("user ids must be positive")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name is not None:
            user["last_name"] = chat["last_name"] = last_name
        if username is not None:
            user["username"] = chat["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        self.chats[user_id] = chat
        return copy.deepcopy(user)

    def add_group(self, chat_id: int, title: str, members: list[int] | None = None) -> JSON:
        """Register a group (ids below -10**12 become supergroups) with the bot in it."""
        if chat_id >= 0:
            raise ValueError("group chat ids must be negative")
        chat_type = "supergroup" if chat_id <= -(10**12) else "group"
        chat: JSON = {"id": chat_id, "type": chat_type, "title": title}
        self.chats[chat_id] = chat
        self.members[chat_id] = set(members or [])
        self._left_groups.discard(chat_id)
        return copy.deepcopy(chat)

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The current state of a message, or None if unknown or deleted."""
        found = self._messages.get((chat_id, message_id))
        return copy.deepcopy(found) if found is not None else None

    def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> JSON:
        """Enqueue a text message from a user (to their private chat unless ``chat_id``)."""
        message = self._user_message(user_id, chat_id)
        message["text"] = text
        match = _BOT_COMMAND_RE.match(text)
        if match:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": u16(match.group())}
            ]
        return self._enqueue({"message": message})

    def send_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """Enqueue a document message from a user; the bot can getFile/download it."""
        message = self._user_message(user_id, chat_id)
        stored = self._store_file("documents", Upload(filename, data))
        message["document"] = self._document_object(stored)
        if caption:
            message["caption"] = caption
        return self._enqueue({"message": message})

    def send_update(self, update: JSON) -> JSON:
        """Enqueue a raw update dict (an ``update_id`` is assigned when missing)."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
            self._updates.append(update)
            self._notify()
            return copy.deepcopy(update)
        return self._enqueue(update)

    def sent_to(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent (not edits) to a chat, in order, as they were sent."""
        return copy.deepcopy(self._sent.get(chat_id, []))

    async def next_message(self, chat_id: int, *, timeout: float = 30.0) -> JSON:  # noqa: ASYNC109
        """The next bot message or edit in a chat not yet returned (edits carry ``_edited``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            events = self._events.get(chat_id, [])
            cursor = self._cursor.get(chat_id, 0)
            if cursor < len(events):
                self._cursor[chat_id] = cursor + 1
                return copy.deepcopy(events[cursor])
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._describe_chat(chat_id, timeout))
            await self._wait(changed, remaining)

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        *,
        timeout: float = 30.0,  # noqa: ASYNC109
    ) -> Call:
        """The first recorded call matching ``predicate``, waiting for it if needed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checked = 0
        while True:
            changed = self._changed
            for call in self.calls[checked:]:
                if predicate(call):
                    return call
            checked = len(self.calls)
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(call.method for call in self.calls[-10:]) or "none"
                raise TimeoutError(
                    f"no matching Bot API call within {timeout}s; last calls: {recent}"
                )
            await self._wait(changed, remaining)

    def drain(self, chat_id: int) -> None:
        """Skip every message and edit seen so far in a chat (for ``next_message``)."""
        self._cursor[chat_id] = len(self._events.get(chat_id, []))

    def _describe_chat(self, chat_id: int, timeout: float) -> str:
        lines = [f"no new bot message in chat {chat_id} within {timeout}s"]
        events = self._events.get(chat_id, [])
        if not events:
            lines.append("the bot has not sent anything to this chat")
        for event in events[-5:]:
            kind = "edit" if event.get("_edited") else "sent"
            body = event.get("text") or event.get("caption") or "<media>"
            if len(body) > 120:
                body = body[:117] + "..."
            labels = [text for text, _ in self.buttons(event)]
            suffix = f" buttons={labels}" if labels else ""
            lines.append(f"  [{kind} #{event['message_id']}] {body!r}{suffix}")
        recent = [call.method for call in self.calls if call.chat_id == chat_id][-5:]
        lines.append(f"recent calls to this chat: {recent}")
        return "\n".join(lines)

    def _user_message(self, user_id: int, chat_id: int | None) -> JSON:
        user = self._user(user_id)
        target = user_id if chat_id is None else chat_id
        chat = self.chats.get(target)
        if chat is None:
            raise KeyError(f"unknown chat {target}; call add_group first")
        if target < 0:
            self.members[target].add(user_id)
        message: JSON = {
            "message_id": self._next_message_id(target),
            "from": copy.deepcopy(user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        self._messages[(target, message["message_id"])] = message
        return message
