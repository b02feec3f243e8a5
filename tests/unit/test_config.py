"""bot.config: defaults, the .env file, and bad values reported by name, never by value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

TOKEN = "7234567890:AAHk3_secretTOKENvalue-zz9"  # looks like a bot token; is not one


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting from the machine's environment or a .env in the working folder."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults() -> None:
    settings = load_settings()
    assert settings.token() == ""
    assert settings.telegram_bot_token is None
    assert settings.database_url == "sqlite+aiosqlite:///./chibo.db"
    assert settings.telegram_api_base_url is None and settings.telegram_api_file_url is None
    assert settings.timezone == "Asia/Ho_Chi_Minh" and settings.tz.key == "Asia/Ho_Chi_Minh"
    assert settings.default_language == "vi"
    assert settings.report_deadline_day == 5
    assert settings.report_lock_grace_days == 5
    assert settings.draft_expiry_days == 7
    assert settings.problem_reopen_days == 14
    assert settings.reminder_days == "-3,0,2" and settings.reminder_offsets == (-3, 0, 2)
    assert settings.reminder_hour == 8
    assert settings.digest_weekday == 0
    assert settings.summary_hour == 7
    assert settings.escalation_delay_days == 3
    assert settings.catch_up_hours == 24
    assert settings.webhook_url is None and settings.webhook_secret is None
    assert settings.webhook_listen == "0.0.0.0" and settings.webhook_port == 8443
    assert settings.log_level == "INFO"


EXAMPLE = Path(__file__).parents[2] / ".env.example"


def test_every_setting_is_documented_in_env_example() -> None:
    lines = EXAMPLE.read_text().splitlines()
    names = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    assert sorted(names) == sorted(name.upper() for name in Settings.model_fields)
    for index, line in enumerate(lines):
        if line and not line.startswith("#") and not lines[index - 1].startswith("#"):
            assert lines[index - 2].startswith("#"), f"{line}: no comment above it"


def test_env_example_shows_the_defaults(clean_environment: Path) -> None:
    defaults = load_settings().model_dump()
    (clean_environment / ".env").write_text(EXAMPLE.read_text())
    assert load_settings().model_dump() == defaults


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("REPORT_DEADLINE_DAY", "10")
    monkeypatch.setenv("REMINDER_DAYS", " 2, -1 ,0")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("TIMEZONE", "")  # empty means the default
    settings = load_settings()
    assert settings.token() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert settings.report_deadline_day == 10
    assert settings.reminder_offsets == (-1, 0, 2)
    assert settings.log_level == "DEBUG"
    assert settings.timezone == "Asia/Ho_Chi_Minh"


def test_dotenv_file_is_read(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_environment / ".env").write_text(
        "# a comment\n"
        f"TELEGRAM_BOT_TOKEN={TOKEN}\n"
        "DATABASE_URL=postgresql+asyncpg://chibo:pw@db.example:5432/chibo\n"
        "TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot\n"
        "DEFAULT_LANGUAGE=en\n"
        "SOMETHING_ELSE=ignored\n"
    )
    monkeypatch.setenv("DEFAULT_LANGUAGE", "vi")  # the environment wins over .env
    settings = load_settings()
    assert settings.token() == TOKEN
    assert settings.database_url == "postgresql+asyncpg://chibo:pw@db.example:5432/chibo"
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.default_language == "vi"


def test_overrides() -> None:
    assert load_settings(report_deadline_day=3).report_deadline_day == 3


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("TIMEZONE", TOKEN, "IANA time zone"),
        ("TIMEZONE", "Asia", "IANA time zone"),  # a folder of the zone database
        ("TIMEZONE", "Asia/Ho_Chi_Minh/" + TOKEN, "IANA time zone"),
        ("TIMEZONE", "../" + TOKEN, "IANA time zone"),
        ("DATABASE_URL", f"postgres://u:{TOKEN}@host/db", "postgresql+asyncpg://"),
        ("DATABASE_URL", f"sqlite:///{TOKEN}.db", "sqlite+aiosqlite://"),
        ("DEFAULT_LANGUAGE", TOKEN, "'vi' or 'en'"),
        ("LOG_LEVEL", TOKEN, "'DEBUG'"),
        ("REPORT_DEADLINE_DAY", TOKEN, "integer"),
        ("REPORT_DEADLINE_DAY", "29", "28"),
        ("REPORT_DEADLINE_DAY", "0", "1"),
        ("REPORT_LOCK_GRACE_DAYS", "-1", "0"),
        ("REMINDER_DAYS", TOKEN, "whole days"),
        ("REMINDER_DAYS", "-3,0,28", "between -27 and 27"),
        ("REMINDER_DAYS", ",", "one or more days"),
        ("REMINDER_HOUR", "24", "23"),
        ("DIGEST_WEEKDAY", "7", "6"),
        ("WEBHOOK_PORT", "70000", "65535"),
        ("WEBHOOK_PORT", TOKEN, "integer"),
        ("CATCH_UP_HOURS", "1.5", "integer"),
    ],
)
def test_bad_value_names_the_setting_not_the_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, hint: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"Invalid setting {name}: ")
    assert hint in message
    assert TOKEN not in message and "\n" not in message
    # Nothing chained either: a traceback would show the pydantic error and its input.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_bad_value_in_dotenv_is_named(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text(f"REMINDER_HOUR={TOKEN}\n")
    with pytest.raises(SettingsError, match=r"^Invalid setting REMINDER_HOUR: ") as caught:
        load_settings()
    assert TOKEN not in str(caught.value)


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(Exception, match="frozen"):
        settings.report_deadline_day = 9  # type: ignore[misc]
