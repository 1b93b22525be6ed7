"""Testing aids shipped with the product: the fake Telegram Bot API (tests, sandbox, benchmark)."""
