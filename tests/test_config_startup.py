"""Startup validation: every bad setting stops `run` with one line naming the variable, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import (
    VARIABLES,
    ConfigError,
    check_content_dir,
    check_database_path,
    check_startup,
    load_settings,
    unknown_variables,
)

from .conftest import REPO

TELEGRAM_TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-bs"
DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


def run_cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
            stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    environment.update({"BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"), **(env or {})})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, env=environment, timeout=60)


def assert_one_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("transcript-bot: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_the_tokens_used_here_are_well_formed() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "DISCORD_BOT_TOKEN": DISCORD_TOKEN})
    assert settings.telegram is not None and settings.discord is not None
    assert TELEGRAM_TOKEN in settings.secrets and DISCORD_TOKEN in settings.secrets


@pytest.mark.parametrize(("env", "variable", "expected"), [
    ({"TELEGRAM_BOT_TOKEN": "123:abc"}, "TELEGRAM_BOT_TOKEN", "expected a token"),
    ({"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN + " extra"}, "TELEGRAM_BOT_TOKEN", "expected a token"),
    ({"DISCORD_BOT_TOKEN": "not-a-token"}, "DISCORD_BOT_TOKEN", "expected a bot token"),
    ({"DISCORD_BOT_TOKEN": DISCORD_TOKEN.replace(".", "")}, "DISCORD_BOT_TOKEN", "three dot-separated"),
    ({"BOT_DEFAULT_TIMEZONE": "Mars/Olympus_Mons"}, "BOT_DEFAULT_TIMEZONE", "IANA time zone"),
    ({"BOT_DEFAULT_TIMEZONE": "../../etc/passwd"}, "BOT_DEFAULT_TIMEZONE", "IANA time zone"),
    ({"BOT_LANGUAGE": "fr"}, "BOT_LANGUAGE", "zh or en"),
    ({"BOT_LOG_LEVEL": "LOUD"}, "BOT_LOG_LEVEL", "DEBUG"),
    ({"BOT_LOG_RETENTION_DAYS": "-1"}, "BOT_LOG_RETENTION_DAYS", "whole number"),
    ({"BOT_DAILY_GRACE_HOURS": "nan"}, "BOT_DAILY_GRACE_HOURS", "0 to 23"),
    ({"BOT_CONSOLE": "maybe"}, "BOT_CONSOLE", "1 or 0"),
    ({"BOT_HASH_SALT": "short"}, "BOT_HASH_SALT", "at least 16"),
    ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg"}, "TELEGRAM_WEBHOOK_URL", "TELEGRAM_BOT_TOKEN is not"),
    ({"DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_COUNT", "DISCORD_BOT_TOKEN is not"),
    ({"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_LISTEN": "0.0.0.0; rm"}, "TELEGRAM_WEBHOOK_LISTEN",
     "address"),
    ({"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_PORT": "70000"}, "TELEGRAM_WEBHOOK_PORT", "1 to 65535"),
    ({"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg"},
     "TELEGRAM_WEBHOOK_SECRET", "required in webhook mode"),
    ({"DISCORD_BOT_TOKEN": DISCORD_TOKEN, "DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"},
     "DISCORD_SHARD_IDS", "0 to 1"),
])
def test_bad_variables_are_named_with_what_is_expected(env: dict[str, str], variable: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert message.startswith(variable) and expected in message and "\n" not in message


def test_a_rejected_token_is_not_repeated_in_the_error() -> None:
    token = "123456789:" + "x" * 29  # one character short
    with pytest.raises(ConfigError) as info:
        load_settings({"TELEGRAM_BOT_TOKEN": token})
    assert token not in str(info.value)


def test_good_values_pass() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_LISTEN": "::",
                              "BOT_DEFAULT_TIMEZONE": "Asia/Shanghai", "BOT_HASH_SALT": "0123456789abcdef"})
    assert settings.telegram is not None and settings.telegram.webhook_listen == "::"
    assert settings.default_timezone == "Asia/Shanghai"


def test_unknown_variables_are_reported() -> None:
    env = {"BOT_LOGLEVEL": "DEBUG", "BOT_LOG_LEVEL": "INFO", "TELEGRAM_TOKEN": "x", "PATH": "/bin", "BOT_X": " "}
    assert unknown_variables(env) == ["BOT_LOGLEVEL", "TELEGRAM_TOKEN"]
    assert unknown_variables(dict.fromkeys(VARIABLES, "1")) == []


def test_content_folder_must_exist_and_hold_talks(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^BOT_CONTENT_DIR=.*does not exist"):
        check_content_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("# Talks\n")
    with pytest.raises(ConfigError, match=r"^BOT_CONTENT_DIR=.*holds none"):
        check_content_dir(tmp_path / "empty")
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(ConfigError, match=r"^BOT_CONTENT_DIR=.*is a file"):
        check_content_dir(tmp_path / "file.md")
    check_content_dir(REPO / "content")


def test_database_path_must_be_creatable_and_writable(tmp_path: Path) -> None:
    check_database_path(tmp_path / "a" / "b" / "bot.sqlite3")
    assert (tmp_path / "a" / "b").is_dir() and not list((tmp_path / "a" / "b").iterdir())
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    with pytest.raises(ConfigError, match=r"^BOT_DATABASE=.*cannot create folder"):
        check_database_path(blocker / "bot.sqlite3")
    with pytest.raises(ConfigError, match=r"^BOT_DATABASE=.*it is a folder"):
        check_database_path(tmp_path / "a")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not bind root")
def test_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match=r"^BOT_DATABASE=.*cannot write in folder"):
            check_database_path(folder / "bot.sqlite3")
    finally:
        folder.chmod(0o700)


def test_no_platform_and_no_console_is_refused(tmp_path: Path) -> None:
    settings = load_settings({"BOT_CONSOLE": "0", "BOT_DATABASE": str(tmp_path / "bot.sqlite3")})
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN / DISCORD_BOT_TOKEN: expected at least one"):
        check_startup(settings)


# ----- the same through `transcript-bot run`: one line, exit code 2, nothing started ----------------


@pytest.mark.parametrize(("env", "needles"), [
    ({"TELEGRAM_BOT_TOKEN": "123456:short"}, ("TELEGRAM_BOT_TOKEN", "expected a token")),
    ({"DISCORD_BOT_TOKEN": "abc.def.ghi"}, ("DISCORD_BOT_TOKEN", "expected a bot token")),
    ({"BOT_DEFAULT_TIMEZONE": "Europe/Atlantis"}, ("BOT_DEFAULT_TIMEZONE", "IANA time zone")),
    ({"BOT_CONSOLE": "0"}, ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "at least one platform token")),
])
def test_run_stops_with_one_line(tmp_path: Path, env: dict[str, str], needles: tuple[str, ...]) -> None:
    assert_one_line(run_cli(tmp_path, "run", env=env, stdin="/help\n"), *needles)
    assert not (tmp_path / "data" / "bot.sqlite3").exists()


def test_run_with_missing_or_empty_content_names_bot_content_dir(tmp_path: Path) -> None:
    missing = run_cli(tmp_path, "run", env={"BOT_CONTENT_DIR": str(tmp_path / "nope")}, stdin="/help\n")
    assert_one_line(missing, "BOT_CONTENT_DIR=", "does not exist")
    (tmp_path / "empty").mkdir()
    empty = run_cli(tmp_path, "run", env={"BOT_CONTENT_DIR": str(tmp_path / "empty")}, stdin="/help\n")
    assert_one_line(empty, "BOT_CONTENT_DIR=", "holds none")


def test_run_with_unwritable_database_path_names_bot_database(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    result = run_cli(tmp_path, "run", env={"BOT_DATABASE": str(tmp_path / "blocker" / "bot.sqlite3")},
                     stdin="/help\n")
    assert_one_line(result, "BOT_DATABASE=", "cannot create folder")
    result = run_cli(tmp_path, "run", env={"BOT_DATABASE": str(tmp_path)}, stdin="/help\n")
    assert_one_line(result, "BOT_DATABASE=", "it is a folder")


def test_run_warns_about_unknown_variables_and_still_starts(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", env={"BOT_LOGLEVEL": "DEBUG"}, stdin="/help\n")
    assert result.returncode == 0, result.stderr
    assert "BOT_LOGLEVEL is set but is not a setting of this bot" in result.stderr
