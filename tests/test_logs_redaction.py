"""No secret reaches the log at any level: real library loggers at DEBUG, exceptions, foreign handlers."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest

from bot.logs import REDACTED, OneLineFormatter, RedactingFilter, protect_handlers, setup_logging

from .conftest import REPO

TELEGRAM_TOKEN = "987654321:AAFq3xYz_Ab-CdEfGhIjKlMnOpQrStUvWxY"
TELEGRAM_SECRET_HALF = TELEGRAM_TOKEN.split(":", 1)[1]
DISCORD_TOKEN = "OTg3NjU0MzIxMDk4NzY1NDMy.GzYxWv.QwErTyUiOpAsDfGhJkLzXcVbNm1234567890"
SALT = "pepper-0123456789-abcdef"
SECRETS = (TELEGRAM_TOKEN, TELEGRAM_SECRET_HALF, DISCORD_TOKEN, SALT)

# Runs in a fresh interpreter so the real stderr, the real root logger and the libraries' loggers are used.
SCRIPT = textwrap.dedent("""
    import asyncio, logging, sys, warnings
    from aiohttp import web
    from telegram import Bot
    import discord  # noqa: F401  (installs its NullHandler on "discord")
    from bot.logs import protect_handlers, setup_logging

    TG, DC, SALT = sys.argv[1], sys.argv[2], sys.argv[3]

    # a library that set up its own handler before us, on a logger that does not propagate
    own = logging.getLogger("vendor.early")
    own.addHandler(logging.StreamHandler(sys.stderr))
    own.propagate = False

    setup_logging("DEBUG", (TG, DC, SALT))
    print("start", file=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # undo the quieting: the filter alone must hold
    logging.getLogger("httpcore").setLevel(logging.DEBUG)

    async def get_me(request):
        if "bad" in request.path:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        return web.json_response({"ok": True, "result": {"id": 987654321, "is_bot": True, "first_name": "T",
                                                         "username": "t_bot"}})

    async def main():
        server = web.Application()
        server.router.add_route("*", "/{tail:.*}", get_me)
        runner = web.AppRunner(server)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            # httpx logs the request URL, which holds the token; python-telegram-bot logs its calls at DEBUG
            async with Bot(TG, base_url=f"http://127.0.0.1:{port}/bot") as bot:
                await bot.get_me()
            # a rejected token: python-telegram-bot's exception message quotes it
            try:
                await Bot(TG, base_url=f"http://127.0.0.1:{port}/bad/bot").initialize()
            except Exception:
                logging.getLogger("telegram.ext.Application").exception("initialize failed")
        finally:
            await runner.cleanup()

    asyncio.run(main())
    url = f"https://api.telegram.org/bot{TG}/getUpdates"
    logging.getLogger("httpx").debug("HTTP Request: POST %s", url)
    logging.getLogger("telegram.ext.Updater").debug("Network Retry Loop: polling %s", url)
    logging.getLogger("telegram.ext").info("token %s, encoded %s", TG, TG.replace(":", "%3A"))
    logging.getLogger("discord.gateway").debug("Sending IDENTIFY %s", {"op": 2, "d": {"token": DC}})
    logging.getLogger("discord.http").debug("GET %s with %s", "https://discord.com/api/v10/users/@me",
                                            {"headers": {"Authorization": "Bot " + DC}})
    logging.getLogger("discord.client").warning("bad token %s", DC.encode())
    try:
        try:
            raise KeyError(SALT)
        except KeyError as inner:
            raise RuntimeError(f"login with {DC} failed for {TG}") from inner
    except RuntimeError:
        logging.getLogger("discord.client").exception("Attempting a reconnect")
    logging.getLogger("bot").error("multi\\nline %s", TG, stack_info=True)
    own.error("early handler saw %s", TG)
    late = logging.getLogger("vendor.late")
    late.addHandler(logging.StreamHandler(sys.stderr))
    late.propagate = False
    protect_handlers()
    late.error("late handler saw %s", DC)
    orphan = logging.getLogger("vendor.orphan")
    orphan.propagate = False
    orphan.error("last resort saw %s", TG)
    warnings.warn(f"deprecated call with {TG}", DeprecationWarning, stacklevel=1)
    print("done", file=sys.stderr)
""")


@pytest.fixture(scope="module")
def debug_log() -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    result = subprocess.run([sys.executable, "-c", SCRIPT, TELEGRAM_TOKEN, DISCORD_TOKEN, SALT], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.rstrip().endswith("done") and "\nstart\n" in "\n" + result.stderr
    return result.stderr


def test_no_secret_in_the_debug_log(debug_log: str) -> None:
    for secret in SECRETS:
        assert secret not in debug_log
    assert TELEGRAM_TOKEN.replace(":", "%3A") not in debug_log


def test_the_records_were_emitted_and_redacted(debug_log: str) -> None:
    for expected in ("httpx: HTTP Request: POST http://127.0.0.1:", "telegram.ext.Updater: Network Retry Loop",
                     "discord.gateway: Sending IDENTIFY", "discord.http: GET https://discord.com",
                     "initialize failed", "InvalidToken", "Attempting a reconnect", "RuntimeError: login with",
                     "early handler saw", "late handler saw", "last resort saw", "deprecated call with"):
        assert expected in debug_log, expected
    assert debug_log.count(REDACTED) >= 15
    assert "telegram.Bot: Calling Bot API endpoint `getMe`" in debug_log  # the library's own DEBUG records


def test_events_from_our_handler_are_one_line_each(debug_log: str) -> None:
    stamped = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+: ")
    ours = [line for line in debug_log.splitlines() if stamped.match(line)]
    traceback_line = next(line for line in ours if "Attempting a reconnect" in line)
    assert "Traceback (most recent call last)" in traceback_line and "KeyError" in traceback_line
    assert any("multi | line" in line and "Stack (most recent call last)" in line for line in ours)
    foreign = {"early handler saw [redacted]", "late handler saw [redacted]", "last resort saw [redacted]",
               "done"}
    after_setup = ("\n" + debug_log).split("\nstart\n", 1)[1]  # import-time warnings precede our handler
    for line in after_setup.splitlines():
        assert stamped.match(line) or line in foreign or line.startswith("  "), line


# ----- the filter itself -------------------------------------------------------------------------


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("x", logging.DEBUG, __file__, 1, msg, args or None, info)


def test_filter_redacts_message_arguments_and_exception() -> None:
    redactor = RedactingFilter(SECRETS)
    record = _record("url %s salt %s", f"https://api.telegram.org/bot{TELEGRAM_TOKEN}/getMe", SALT)
    assert redactor.filter(record)
    assert record.getMessage() == f"url https://api.telegram.org/bot{REDACTED}/getMe salt {REDACTED}"
    try:
        raise ValueError(f"The token `{TELEGRAM_TOKEN}` was rejected")
    except ValueError as exc:
        record = _record("failed", exc=exc)
    redactor.filter(record)
    assert record.exc_info is None and record.exc_text and TELEGRAM_TOKEN not in record.exc_text
    assert f"The token `{REDACTED}` was rejected" in record.exc_text


def test_filter_redacts_tokens_it_was_not_told_about() -> None:
    redactor = RedactingFilter()
    other_telegram = "1111111111:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
    other_discord = "MTExMTExMTExMTExMTExMTEx.Gabcde.zyxwvutsrqponmlkjihgfedcba98765"
    record = _record("%s and %s", other_telegram, other_discord)
    redactor.filter(record)
    assert record.getMessage() == f"{REDACTED} and {REDACTED}"


def test_filter_redacts_cached_exception_text_and_survives_bad_records() -> None:
    redactor = RedactingFilter([SALT])
    record = _record("plain")
    record.exc_text = f"Traceback...\nKeyError: '{SALT}'"
    redactor.filter(record)
    assert SALT not in (record.exc_text or "")
    broken = _record("%d items", "not a number")
    assert redactor.filter(broken)
    assert "items" in broken.getMessage()


def test_short_secrets_are_ignored_but_halves_of_tokens_are_kept() -> None:
    redactor = RedactingFilter(["abc", TELEGRAM_TOKEN])
    assert "abc" not in redactor.secrets and TELEGRAM_SECRET_HALF in redactor.secrets
    assert redactor.redact("abc") == "abc"


def test_one_line_formatter_and_level(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    try:
        setup_logging("WARNING", [SALT], stream=stream)
        logging.getLogger("bot.test").info("hidden %s", SALT)
        logging.getLogger("bot.test").warning("shown\n%s", SALT)
        assert stream.getvalue().count("\n") == 1
        assert "shown | [redacted]" in stream.getvalue() and "hidden" not in stream.getvalue()
        assert isinstance(root.handlers[0].formatter, OneLineFormatter)
        assert protect_handlers() >= 1
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
