"""Configuration: defaults, .env files, and one clear error per bad value."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Secret, load_config
from bot.model import Identity


def test_defaults_match_the_design(tmp_path: Path) -> None:
    config = load_config(env={}, dotenv=tmp_path / "missing.env")
    assert config.telegram_token is None and config.zalo_token is None
    assert config.telegram_api_url == "https://api.telegram.org"
    assert config.telegram_rate == 30
    assert config.db_path == Path("caunoi.sqlite3")
    assert str(config.tz) == "Asia/Ho_Chi_Minh"
    assert config.reminders == (timedelta(days=1), timedelta(hours=2))


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nTELEGRAM_BOT_TOKEN="1:abc"\nCAUNOI_DB=from-file.sqlite3\n', encoding="utf-8")
    config = load_config(env={"CAUNOI_DB": "env.sqlite3"}, dotenv=dotenv)
    assert config.telegram_token is not None and config.telegram_token.reveal() == "1:abc"
    assert config.db_path == Path("env.sqlite3")


def test_admins_accept_channels_and_bare_numbers(tmp_path: Path) -> None:
    config = load_config(env={"CAUNOI_ADMINS": "123, tg:456,zalo:abc"}, dotenv=tmp_path / "x")
    assert config.admins == {Identity("tg", "123"), Identity("tg", "456"), Identity("zalo", "abc")}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CAUNOI_ADMINS", "facebook:1"),
        ("CAUNOI_ADMINS", "tg:abc"),
        ("CAUNOI_ADMINS", "anna"),
        ("CAUNOI_TZ", "Mars/Olympus"),
        ("CAUNOI_CONTENT", "/no/such/folder"),
        ("CAUNOI_REMINDERS", "1w"),
        ("CAUNOI_TELEGRAM_RATE", "fast"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(env={name: value}, dotenv=tmp_path / "x")
    assert str(error.value).startswith(name)
    assert "\n" not in str(error.value)


def test_reminder_offsets_are_sorted_largest_first(tmp_path: Path) -> None:
    config = load_config(env={"CAUNOI_REMINDERS": "30m, 2h,1d"}, dotenv=tmp_path / "x")
    assert config.reminders == (timedelta(days=1), timedelta(hours=2), timedelta(minutes=30))


def test_tokens_and_secrets_never_print(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:TGVALUE", "ZALO_BOT_TOKEN": "ZALOVALUE",
           "CAUNOI_ZALO_WEBHOOK_SECRET": "HOOKVALUE"}
    config = load_config(env=env, dotenv=tmp_path / "none.env")
    shown = " ".join([repr(config), str(config), f"{config.telegram_token}", str(config.zalo_token),
                      repr(config.zalo_webhook_secret)])
    assert "VALUE" not in shown and "***" in shown
    assert config.telegram_token is not None and config.telegram_token.reveal() == "123:TGVALUE"
    assert config.zalo_webhook_secret == Secret("HOOKVALUE") and not Secret("")
