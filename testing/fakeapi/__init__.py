"""A fake Telegram Bot API server for end-to-end tests, the offline sandbox and benchmarks.

``FakeBotAPI`` (see ``server``'s docstring for how to use it) is one class assembled from mixins
over one state, one module per job:

- ``server``: HTTP routing, the control API, the update queue, getUpdates and webhooks;
- ``state``: the simulated world, the updates and the observations, and shared helpers;
- ``world``: what tests do (add users and groups, send as a user, wait for the bot);
- ``messages``, ``files``, ``callbacks``, ``chats``, ``profile``: the Bot API methods by group;
- ``faults``: injected failures, blocked users, delays and flood limits;
- ``entities``: the ``parse_mode`` parsers (HTML, MarkdownV2, legacy Markdown);
- ``common``: records (``Call``, ``Upload``, ``StoredFile``), ``ApiError``, parameter decoding.
"""

from testing.fakeapi.common import DEFAULT_TOKEN, ApiError, Call, StoredFile, Upload
from testing.fakeapi.server import FakeBotAPI

__all__ = ["DEFAULT_TOKEN", "ApiError", "Call", "FakeBotAPI", "StoredFile", "Upload"]
