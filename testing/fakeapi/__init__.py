"""A fake Telegram Bot API server for end-to-end tests, the offline sandbox and benchmarks."""

from testing.fakeapi.server import DEFAULT_TOKEN, ApiError, Call, FakeBotAPI, StoredFile, Upload

__all__ = ["DEFAULT_TOKEN", "ApiError", "Call", "FakeBotAPI", "StoredFile", "Upload"]
