"""Settings read from the environment and `.env` (every one is documented in `.env.example`)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.rules.problems import parse_due_days


class SettingsError(Exception):
    """A setting has a bad value; the message names it and what is allowed, never the value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./chibo.db"
    telegram_api_base_url: str | None = None
    telegram_api_file_url: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"

    report_deadline_day: int = Field(5, ge=1, le=28)
    report_lock_grace_days: int = Field(5, ge=0, le=60)
    draft_expiry_days: int = Field(7, ge=1, le=90)
    problem_reopen_days: int = Field(14, ge=1, le=90)
    # Handling days per problem category (codes in bot.rules.problems.CATEGORIES); default required.
    problem_due_days: str = (
        "dat_dai=30,giai_phong_mat_bang=30,giao_thong_thuy_loi=15,moi_truong=10,"
        "an_ninh_trat_tu=7,nong_thon_moi=15,chinh_sach_xa_hoi=15,xay_dung_dang=15,default=15"
    )
    reminder_days: str = "-3,0,2"
    reminder_hour: int = Field(8, ge=0, le=23)
    digest_weekday: int = Field(0, ge=0, le=6)
    summary_hour: int = Field(7, ge=0, le=23)
    escalation_delay_days: int = Field(3, ge=1, le=60)
    catch_up_hours: int = Field(24, ge=0, le=24 * 14)
    job_lease_seconds: int = Field(60, ge=3, le=3600)

    zalo_bot_token: SecretStr | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: SecretStr | None = None
    # Where this server is reached from outside (https://bot.example.org): Zalo's webhook
    # ({PUBLIC_BASE_URL}/zalo) and the signed links to charts and exports (Zalo cannot take
    # files); photos people send on Zalo are kept under FILES_DIR.
    public_base_url: str | None = None
    files_dir: str = "./files"
    file_link_hours: int = Field(72, ge=1, le=24 * 30)

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8443, ge=1, le=65535)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Asia" is a folder: OSError
            raise ValueError("must be an IANA time zone such as Asia/Ho_Chi_Minh") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("reminder_days")
    @classmethod
    def _reminder_days(cls, value: str) -> str:
        try:
            days = [int(part) for part in value.split(",") if part.strip()]
        except ValueError as exc:
            raise ValueError("must be whole days separated by commas, e.g. -3,0,2") from exc
        if not days or any(abs(day) > 27 for day in days):
            raise ValueError("must list one or more days between -27 and 27, e.g. -3,0,2")
        return value

    @field_validator("problem_due_days")
    @classmethod
    def _problem_due_days(cls, value: str) -> str:
        parse_due_days(value)
        return value

    @field_validator("zalo_api_base_url", "public_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// address")
        return value.rstrip("/") if value else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def reminder_offsets(self) -> tuple[int, ...]:
        """Days relative to the deadline day on which late cells are reminded, in order."""
        return tuple(sorted(int(part) for part in self.reminder_days.split(",") if part.strip()))

    @cached_property
    def problem_due_map(self) -> dict[str, int]:
        """Handling days for every problem category."""
        return parse_due_days(self.problem_due_days)

    def token(self) -> str:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else ""

    def zalo_token(self) -> str:
        return self.zalo_bot_token.get_secret_value() if self.zalo_bot_token else ""

    def secrets(self) -> list[str]:
        """Every secret value set (tokens, webhook secrets): never to appear in a log line."""
        values = (
            self.telegram_bot_token,
            self.zalo_bot_token,
            self.webhook_secret,
            self.zalo_webhook_secret,
        )
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a bad value raises SettingsError naming the setting, not its value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "?"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"Invalid setting {name}: {message}") from None
