"""Settings from the environment or `.env` (pydantic-settings).

A missing or malformed setting is turned into one clear line by `load_settings`, which raises
`ConfigError`; the command line prints it and exits with status 2.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COUNCIL_FILE = PROJECT_ROOT / "council.toml"

# What each setting expects, for the one-line error message.
EXPECTED = {
    "BOT_TOKEN": "the bot token from @BotFather, like 123456789:AA...",
    "TELEGRAM_API_URL": "an http(s) URL of the Bot API server root, like https://api.telegram.org",
    "DATABASE_URL": "an async SQLAlchemy URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://…",
    "ITDA_DATA_DIR": "a folder path the bot may write to",
    "ADMIN_IDS": "comma-separated numeric Telegram user ids, like 1111,2222",
    "TIMEZONE": "an IANA time zone name, like Asia/Seoul",
    "COUNCIL_FILE": "the path of the council data file (TOML)",
    "INVITE_DAYS": "a whole number of days between 1 and 90",
    "DEFAULT_LANGUAGE": "ko or en",
    "ITDA_SECRET_KEY": "a random secret of 16+ characters (or unset: kept in the data folder)",
    "REMINDER_INTERVAL": "seconds between two reminder passes (0 turns the job off), like 30",
    "REQUEST_TIMEOUT": "seconds to wait for a Bot API answer, between 1 and 120",
    "RETENTION_MONTHS": "months after the programme year before seekers' data is destroyed",
    "WEBHOOK_URL": "the public https:// URL Telegram posts updates to",
    "WEBHOOK_SECRET": "1-256 characters A-Z a-z 0-9 _ - (Telegram's secret token)",
    "WEBHOOK_LISTEN": "the address the webhook server listens on, like 127.0.0.1",
    "WEBHOOK_PORT": "the port the webhook server listens on, like 8443",
    "STARTUP_WAIT": "seconds to keep trying to reach Telegram at start, between 0 and 3600",
    "ITDA_NOW": "an ISO timestamp with its offset, like 2026-09-01T10:00:00+09:00 (or unset)",
}


# The token `.env.example` ships with: a copied example that was never filled in is refused.
PLACEHOLDER_TOKEN = "123456789:replace-with-your-token"
SQLITE_PREFIX = "sqlite+aiosqlite:///"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (relative paths from the working folder); None for
    PostgreSQL and for an in-memory database."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    path = url[len(SQLITE_PREFIX) :].split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    return Path(path)


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = Field(default=None, alias="BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    itda_data_dir: Path = Field(default=Path("./data"), alias="ITDA_DATA_DIR")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="ADMIN_IDS")
    timezone: str = Field(default="Asia/Seoul", alias="TIMEZONE")
    council_file: Path = Field(default=DEFAULT_COUNCIL_FILE, alias="COUNCIL_FILE")
    invite_days: int = Field(default=7, ge=1, le=90, alias="INVITE_DAYS")
    default_language: str = Field(default="ko", pattern="^(ko|en)$", alias="DEFAULT_LANGUAGE")
    # Encrypts seekers' personal data; unset, a key is generated into ITDA_DATA_DIR/secret.key.
    itda_secret_key: SecretStr | None = Field(default=None, alias="ITDA_SECRET_KEY")
    reminder_interval: float = Field(default=30.0, ge=0, le=3600, alias="REMINDER_INTERVAL")
    # Operations (retention, Telegram timeouts, webhook deployment).
    request_timeout: float = Field(default=15.0, ge=1, le=120, alias="REQUEST_TIMEOUT")
    # How long `itda run` keeps trying an unreachable Telegram at start before it exits (1).
    startup_wait: float = Field(default=60.0, ge=0, le=3600, alias="STARTUP_WAIT")
    retention_months: int = Field(default=12, ge=0, le=120, alias="RETENTION_MONTHS")
    webhook_url: str | None = Field(default=None, pattern=r"^https://\S+$", alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    webhook_listen: str = Field(default="127.0.0.1", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, alias="WEBHOOK_PORT")
    # Demonstrations, training and tests: the bot's clock starts at this moment and runs on in
    # real time (core.clock.StartedClock). Unset in production: the wall clock.
    itda_now: datetime | None = Field(default=None, alias="ITDA_NOW")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            return [int(p) for p in parts]
        return value

    @field_validator("itda_secret_key")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < 16:
            raise ValueError("secret too short")
        return value

    @field_validator("itda_now", mode="before")
    @classmethod
    def _parse_now(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            parsed = datetime.fromisoformat(value.strip())  # ValueError: the one-line message
            if parsed.tzinfo is None:
                raise ValueError("no offset")
            return parsed
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("unsupported database URL")
        return value

    # Derived values -----------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def bot_base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.itda_data_dir / 'itda.db').resolve()}"

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(f"BOT_TOKEN is not set: expected {EXPECTED['BOT_TOKEN']}")
        value = self.bot_token.get_secret_value().strip()
        if value == PLACEHOLDER_TOKEN:
            raise ConfigError(
                "BOT_TOKEN is still the placeholder of .env.example: expected "
                + EXPECTED["BOT_TOKEN"]
            )
        if ":" not in value or not value.split(":", 1)[0].isdigit():
            raise ConfigError(f"BOT_TOKEN is malformed: expected {EXPECTED['BOT_TOKEN']}")
        return value


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into a one-line `ConfigError`."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err.get("loc") or ("?",)
        name = str(loc[0]).upper()
        expected = EXPECTED.get(name, "a valid value")
        raise ConfigError(f"{name} is malformed: expected {expected}") from None
    try:
        settings.itda_data_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise ConfigError(
            f"ITDA_DATA_DIR cannot be created: expected {EXPECTED['ITDA_DATA_DIR']}"
        ) from None
    database = sqlite_file(settings.effective_database_url)
    if database is not None and not database.parent.is_dir():
        raise ConfigError(
            f"DATABASE_URL points into a folder that does not exist ({database.parent}): "
            "create the folder or correct the path"
        )
    if not settings.council_file.is_file():
        raise ConfigError(f"COUNCIL_FILE not found: expected {EXPECTED['COUNCIL_FILE']}")
    return settings
