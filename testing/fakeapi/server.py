"""An in-process fake of the Telegram Bot API HTTP server.

This module is hand-written on purpose: no maintained library offers a fake of the Bot API that
the real python-telegram-bot ``Application`` can talk to over HTTP, so end-to-end tests, the
offline sandbox chat and the benchmark all share this one implementation.

Point PTB at it with::

    api = FakeBotAPI()
    await api.start()
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
        .build()
    )

The fake keeps a small simulated world (users, groups, the messages in every chat), lets tests
act as users (``send_text``, ``press``, ``send_document``, ``send_update``), records every call
the bot makes (``calls``) and can inject failures (``fail``, ``block``) or delays and Telegram's
flood limits (``api_delay``, ``enforce_limits``). For the benchmark it notes when each update was
first handed to the bot (``delivered_at``) and calls ``call_listeners`` with every ``Call``.

Fidelity notes:

* Parameters are read from the query string, a JSON body, an urlencoded form or multipart form
  data. Form values that PTB JSON-encodes (numbers, booleans, ``reply_markup``, ``scope``,
  ``entities``...) are decoded; string parameters such as ``text`` are kept verbatim.
* ``parse_mode`` HTML, MarkdownV2 and legacy Markdown are parsed like Telegram does (markup is
  stripped, entities are returned, malformed markup gives "can't parse entities"), and text is
  trimmed of surrounding whitespace. Automatic detection of URLs, mentions and the like is not
  implemented.
* Webhooks are only stored: updates are never pushed, and ``getUpdates`` answers 409 while one
  is set, as Telegram does.
* ``press`` only allows callback data that is currently shown on the message; use
  ``send_update`` to forge anything else.

For a standalone server (``python -m testing.fakeapi``) a tiny control API is served under
``/_fake/``: ``POST /_fake/users`` (``add_user`` arguments as JSON), ``POST /_fake/send_text``
(``{"user_id", "text", "chat_id"?}``), ``POST /_fake/press``
(``{"user_id", "chat_id", "message_id", "data"}``) and ``GET /_fake/messages/{chat_id}``.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import time
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from testing.fakeapi.chats import ChatsMixin
from testing.fakeapi.common import (
    JSON,
    ApiError,
    Call,
    Dropped,
    Handler,
    Upload,
    as_bool,
    as_int,
    bad_request,
    decode_param,
)
from testing.fakeapi.faults import FaultsMixin
from testing.fakeapi.profile import ProfileMixin
from testing.fakeapi.world import WorldMixin

MAX_UPLOAD_BYTES: Final = 60 * 1024 * 1024

# Update types Telegram leaves out unless they are asked for explicitly.
OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class FakeBotAPI(WorldMixin, ProfileMixin, ChatsMixin, FaultsMixin):
    """A fake Telegram Bot API server with a simulated world. See the module docstring."""

    @functools.cached_property
    def _methods(self) -> dict[str, tuple[str, Handler]]:
        """Every Bot API method served, by lower-cased name: (its spelling, its handler)."""
        return {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("logOut", self._true),
                ("close", self._true),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("sendMessage", self._send_message),
                ("sendDocument", self._send_document),
                ("sendPhoto", self._send_photo),
                ("editMessageText", self._edit_message_text),
                ("editMessageCaption", self._edit_message_caption),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("deleteMessages", self._delete_messages),
                ("answerCallbackQuery", self._answer_callback_query),
                ("getFile", self._get_file),
                ("sendChatAction", self._send_chat_action),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("setMyDescription", self._set_my_description),
                ("getMyDescription", self._get_my_description),
                ("setMyShortDescription", self._set_my_short_description),
                ("getMyShortDescription", self._get_my_short_description),
                ("setMyName", self._set_my_name),
                ("getMyName", self._get_my_name),
                ("setChatMenuButton", self._set_chat_menu_button),
                ("getChatMenuButton", self._get_chat_menu_button),
                ("getChat", self._get_chat),
                ("getChatMember", self._get_chat_member),
                ("leaveChat", self._leave_chat),
            )
        }

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving on ``host:port`` (port 0 picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_post("/_fake/users", self._control_add_user)
        app.router.add_post("/_fake/send_text", self._control_send_text)
        app.router.add_post("/_fake/press", self._control_press)
        app.router.add_get("/_fake/messages/{chat_id}", self._control_messages)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        if ":" in bound_host:
            bound_host = f"[{bound_host}]"
        self._url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Wake every pending long poll or delayed answer and shut the server down."""
        if self._runner is None:
            return
        self._stopping = True
        self._stop_event.set()
        self._notify()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    @property
    def url(self) -> str:
        """Root URL such as ``http://127.0.0.1:43123``."""
        if self._url is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._url

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _json(self, payload: JSON, status: int = 200) -> web.Response:
        return web.json_response(payload, status=status)

    async def _read_params(self, request: web.Request) -> JSON:
        raw: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as err:
                    raise bad_request("can't parse JSON object") from err
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                raw.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[name] = Upload(
                            value.filename, value.file.read(), value.content_type
                        )
                    elif isinstance(value, bytes | bytearray):
                        raw[name] = bytes(value).decode("utf-8", "replace")
                    else:
                        raw[name] = value
        params = {name: decode_param(name, value) for name, value in raw.items()}
        for name, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                attached = uploads.pop(value.removeprefix("attach://"), None)
                if attached is not None:
                    params[name] = attached
        params.update(uploads)
        return params

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        method = request.match_info["method"]
        at = time.monotonic()
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        self.stats[name] += 1
        params: JSON = {}
        chat_id: int | None = None
        payload: JSON | None
        try:
            params = await self._read_params(request)
            chat_id = as_int(params.get("chat_id"))
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            payload = {"ok": True, "result": await self._dispatch(name, entry[1], params, chat_id)}
            status = 200
        except ApiError as err:
            if err.error_code == 429:
                self.stats["429"] += 1
            payload, status = err.payload(), err.error_code
        except (Dropped, ConnectionError):
            # ConnectionError: the client went away while its request was read (a bot killed
            # with SIGKILL mid-request); nothing was done, and the call is recorded like a
            # dropped one, so that every request counted on arrival ends in `calls`.
            payload = None
            status = 0
        call = Call(name, params, at, chat_id, payload)
        self.calls.append(call)
        if name == "getUpdates" and payload is not None and payload.get("ok"):
            sent_at = time.monotonic()
            for update in payload["result"]:
                self.delivered_at.setdefault(update["update_id"], sent_at)
        for listener in self.call_listeners:
            listener(call)
        self._notify()
        if payload is None:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=204)
        return self._json(payload, status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return self._json(ApiError(404, "Not Found").payload(), 404)

    async def _control_add_user(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        user = self.add_user(
            int(body["user_id"]),
            str(body["first_name"]),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "ko"),
        )
        return self._json({"ok": True, "result": user})

    async def _control_send_text(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        chat_id = body.get("chat_id")
        update = self.send_text(
            int(body["user_id"]),
            str(body["text"]),
            chat_id=int(chat_id) if chat_id is not None else None,
        )
        return self._json({"ok": True, "result": update})

    async def _control_press(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        message = self._messages.get((int(body["chat_id"]), int(body["message_id"])))
        if message is None:
            return self._json(ApiError(404, "Not Found: message").payload(), 404)
        update = self.press(int(body["user_id"]), message, str(body["data"]))
        return self._json({"ok": True, "result": update})

    async def _control_messages(self, request: web.Request) -> web.StreamResponse:
        chat_id = int(request.match_info["chat_id"])
        return self._json({"ok": True, "result": self._events.get(chat_id, [])})

    async def _true(self, params: JSON) -> bool:
        return True

    def _confirm_updates(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _deliverable(self, limit: int) -> list[JSON]:
        allowed = set(self._allowed_updates)
        kept: list[JSON] = []
        for update in self._updates:
            kinds = set(update) - {"update_id"}
            if (allowed and not kinds & allowed) or (not allowed and kinds <= OPT_IN_UPDATES):
                continue
            kept.append(update)
        self._updates = kept
        return copy.deepcopy(kept[:limit])

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = as_int(params.get("offset")) or 0
        limit = min(max(as_int(params.get("limit")) or 100, 1), 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        while True:
            changed = self._changed
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or self._stopping or remaining <= 0:
                return batch
            await self._wait(changed, remaining)

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self.webhook = {"url": url}
        for key in ("max_connections", "allowed_updates", "secret_token", "ip_address"):
            if key in params:
                self.webhook[key] = params[key]
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info
