"""A fake Telegram Bot API server for end-to-end tests, the offline sandbox and benchmarks."""

from testing.fakeapi.common import DEFAULT_TOKEN, ApiError, Call, StoredFile, Upload
from testing.fakeapi.server import FakeBotAPI

__all__ = ["DEFAULT_TOKEN", "ApiError", "Call", "FakeBotAPI", "StoredFile", "Upload"]
