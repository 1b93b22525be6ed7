"""Chats and their members: getChat, getChatMember, leaveChat and sendChatAction."""

from __future__ import annotations

import copy
from typing import Final

from testing.fakeapi.common import (
    JSON,
    bad_request,
    require_int,
)
from testing.fakeapi.state import FakeState

CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class ChatsMixin(FakeState):
    """Chats, members and chat actions."""

    async def _get_chat(self, params: JSON) -> JSON:
        chat = self._chat(params)
        info: JSON = {
            **copy.deepcopy(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat["type"] != "private":
            info["permissions"] = {"can_send_messages": True}
        return info

    async def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._chat(params)
        user_id = require_int(params, "user_id")
        if user_id == self.bot_id:
            user = self.bot_user
            present = chat["id"] not in self._left_groups
        else:
            found = self.users.get(user_id)
            if found is None:
                raise bad_request("user not found")
            user = found
            if chat["type"] == "private":
                present = chat["id"] == user_id
            else:
                present = user_id in self.members.get(chat["id"], set())
        return {"status": "member" if present else "left", "user": copy.deepcopy(user)}

    async def _leave_chat(self, params: JSON) -> bool:
        chat = self._chat(params)
        if chat["type"] == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self._left_groups.add(chat["id"])
        return True

    async def _send_chat_action(self, params: JSON) -> bool:
        self._writable_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True
