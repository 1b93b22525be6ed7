"""The bot's own profile: getMe, commands, descriptions, name and the menu button."""

from __future__ import annotations

import copy
import json
import re
from typing import Final

from testing.fakeapi.common import (
    JSON,
    bad_request,
)
from testing.fakeapi.state import FakeState

SCOPE_TYPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")

_LANGUAGE_RE: Final = re.compile(r"[a-z]{2}")


def scope_key(scope: JSON | None) -> str:
    """Canonical JSON of a ``BotCommandScope`` dict, used as part of ``commands`` keys."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))


class ProfileMixin(FakeState):
    """getMe, set/get/deleteMyCommands, descriptions, names and menu buttons."""

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands stored by setMyCommands for a scope dict and language."""
        return copy.deepcopy(self.commands.get((scope_key(scope), language_code), []))

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None:
            if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
                raise bad_request("can't parse BotCommandScope JSON object")
            if "chat_id" in scope:
                self._chat(scope)
        language = str(params.get("language_code") or "")
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return scope_key(scope), language

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        cleaned: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", "")).removeprefix("/")
            description = str(command.get("description", "")).strip()
            if not _COMMAND_NAME_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _store_text_setting(
        self, params: JSON, key: str, store: dict[str, str], limit: int
    ) -> bool:
        value = str(params.get(key) or "")
        if len(value) > limit:
            raise bad_request(f"{key} is too long")
        language = str(params.get("language_code") or "")
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    async def _set_my_description(self, params: JSON) -> bool:
        return self._store_text_setting(params, "description", self.descriptions, 512)

    async def _get_my_description(self, params: JSON) -> JSON:
        language = str(params.get("language_code") or "")
        return {"description": self.descriptions.get(language, "")}

    async def _set_my_short_description(self, params: JSON) -> bool:
        return self._store_text_setting(params, "short_description", self.short_descriptions, 120)

    async def _get_my_short_description(self, params: JSON) -> JSON:
        language = str(params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(language, "")}

    async def _set_my_name(self, params: JSON) -> bool:
        return self._store_text_setting(params, "name", self.names, 64)

    async def _get_my_name(self, params: JSON) -> JSON:
        language = str(params.get("language_code") or "")
        return {"name": self.names.get(language, self.bot_user["first_name"])}

    async def _set_chat_menu_button(self, params: JSON) -> bool:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params)["id"]
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = copy.deepcopy(button)
        return True

    async def _get_chat_menu_button(self, params: JSON) -> JSON:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params)["id"]
        found = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return copy.deepcopy(found or {"type": "default"})
