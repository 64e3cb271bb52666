"""Starting and stopping, webhook mode, health, and keeping the token out of every log."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import replace

import aiohttp
import pytest
from telegram.error import InvalidToken

from bot.adapters.telegram import TelegramAdapter, TelegramTuning
from bot.adapters.telegram_logs import token_secrets
from tests.fakes.telegram_api import FAST, TOKEN, FakeTelegramAPI, StubCore, running_adapter

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

USER = 111
WEBHOOK_SECRET = "hook-Secret_4f9a1c77e2"
EVERY_LOGGER = ("", "telegram", "telegram.ext", "httpx", "httpcore", "tornado", "asyncio", "aiohttp")


def debug_everything(caplog: pytest.LogCaptureFixture) -> None:
    """DEBUG for every logger, including the HTTP clients the adapter quietens."""
    for name in EVERY_LOGGER:
        caplog.set_level(logging.DEBUG, logger=name)


def assert_no_secrets(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    """No record, argument, traceback or formatted line contains a secret."""
    assert caplog.records, "nothing was logged: the check would prove nothing"
    formatter = logging.Formatter("%(name)s %(message)s")
    for record in caplog.records:
        text = " ".join((formatter.format(record), record.getMessage(), record.exc_text or "", repr(record.args)))
        for secret in secrets:
            assert secret not in text, f"{record.name} logged a secret: {text[:300]}"


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll a condition the adapter offers no event for (the health flag)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_token_never_reaches_a_log(api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture) -> None:
    core = StubCore()
    adapter = TelegramAdapter(core, api.settings(), replace(TelegramTuning(), retry_delays=(0.05,)))
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING
    debug_everything(caplog)  # and undo that, as a careless operator might: the filter alone must hold
    await adapter.start()
    assert logging.getLogger("httpx").level == logging.WARNING
    debug_everything(caplog)
    try:
        api.rate_limit("sendMessage", retry_after=1)
        api.bad_gateway("sendMessage")
        api.private_text("/ask what is the token?")
        await api.wait_sent(1)
        api.forbidden("sendMessage")
        api.private_text("/quote")
        await api.wait_for("sendMessage", 1, lambda c: c.status == 403)
        api.inline("scaling")
        await api.wait_for("answerInlineQuery")
    finally:
        await adapter.stop()
    assert any(r.name == "httpx" for r in caplog.records)  # the request-URL lines were there, redacted
    assert any("[redacted]" in r.getMessage() for r in caplog.records)
    assert_no_secrets(caplog, *token_secrets(TOKEN))


async def test_payloads_stay_out_of_debug_logs(api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture) -> None:
    debug_everything(caplog)
    async with running_adapter(StubCore(), api):
        api.private_text("/ask my secret diary entry", user_id=987654321)
        await api.wait_sent(1)
    assert_no_secrets(caplog, "987654321", "my secret diary entry")


async def test_a_rejected_token_is_not_repeated(caplog: pytest.LogCaptureFixture) -> None:
    debug_everything(caplog)
    async with FakeTelegramAPI(token="123456789:BBHf5e_2xQk9Lm3NpRs8TuVw1XyZ0aBcDeF") as other:
        adapter = TelegramAdapter(StubCore(), other.settings(token=TOKEN))
        with pytest.raises(InvalidToken) as caught:
            await adapter.start()
    assert not any(s in str(caught.value) for s in token_secrets(TOKEN))
    assert not adapter.is_connected()
    assert_no_secrets(caplog, *token_secrets(TOKEN))


async def test_webhook_mode_checks_the_secret(api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture) -> None:
    debug_everything(caplog)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    core = StubCore()
    webhook = {"webhook_url": url, "webhook_listen": "127.0.0.1", "webhook_port": port}
    webhook["webhook_secret"] = WEBHOOK_SECRET
    async with running_adapter(core, api, FAST, **webhook) as adapter:
        assert adapter.is_connected() and not api.calls_to("getUpdates")
        (hook,) = api.calls_to("setWebhook")
        assert (hook.params["url"], hook.params["secret_token"]) == (url, WEBHOOK_SECRET)
        update = {"update_id": 1, "message": api.message("/quote", api.chat(USER), api.user(USER))}
        async with aiohttp.ClientSession() as http:
            statuses = []
            for secret in ("wrong-secret", None, WEBHOOK_SECRET):
                headers = {"Content-Type": "application/json"}
                if secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = secret
                async with http.post(url, data=json.dumps(update), headers=headers) as response:
                    statuses.append(response.status)
        assert statuses == [403, 403, 200]
        await api.wait_sent(1, USER)
        assert len(core.requests) == 1
    assert_no_secrets(caplog, WEBHOOK_SECRET, *token_secrets(TOKEN))


async def test_stop_waits_for_a_reply_in_flight(api: FakeTelegramAPI) -> None:
    core = StubCore()
    core.gate = asyncio.Event()
    adapter = TelegramAdapter(core, api.settings(), TelegramTuning(poll_timeout=30))
    await adapter.start()
    api.private_text("/ask still there?")
    await asyncio.wait_for(core.started.wait(), 5)
    started = time.monotonic()
    stopping = asyncio.create_task(adapter.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done() and not adapter.is_connected()
    core.gate.set()
    await asyncio.wait_for(stopping, 8)
    assert time.monotonic() - started < 2
    assert len(api.sent()) == 1  # the reply in flight went out
    polls = len(api.calls_to("getUpdates"))
    await asyncio.sleep(0.1)
    assert len(api.calls_to("getUpdates")) == polls  # and nothing is polled any more


async def test_stop_gives_up_on_a_stuck_reply_in_time(api: FakeTelegramAPI) -> None:
    core = StubCore()
    core.gate = asyncio.Event()  # never set
    adapter = TelegramAdapter(core, api.settings(), TelegramTuning(stop_timeout=2.0))
    await adapter.start()
    api.private_text("/ask stuck?")
    await asyncio.wait_for(core.started.wait(), 5)
    started = time.monotonic()
    await asyncio.wait_for(adapter.stop(), 8)
    assert time.monotonic() - started < 2.5
    assert TelegramTuning().stop_timeout <= 8


async def test_stop_is_quick_while_idle_and_during_a_long_poll(api: FakeTelegramAPI) -> None:
    adapter = TelegramAdapter(StubCore(), api.settings(), TelegramTuning(poll_timeout=50))
    await adapter.start()
    await asyncio.sleep(0.2)  # a long poll is now waiting on the server
    started = time.monotonic()
    await adapter.stop()
    assert time.monotonic() - started < 1
    await adapter.stop()  # a second stop is harmless


async def test_health_follows_the_connection(api: FakeTelegramAPI) -> None:
    adapter = TelegramAdapter(StubCore(), api.settings(), TelegramTuning(poll_timeout=1))
    assert not adapter.is_connected()
    await adapter.start()
    try:
        assert adapter.is_connected()
        api.bad_gateway("getUpdates")
        await until(lambda: not adapter.is_connected())
        await until(adapter.is_connected)  # PTB polls again after a second
        with pytest.raises(RuntimeError):
            await adapter.start()
    finally:
        await adapter.stop()
    assert not adapter.is_connected()


async def test_a_failed_command_menu_is_not_fatal(api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture) -> None:
    api.fail("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID", times=3)
    async with running_adapter(StubCore(), api) as adapter:
        assert adapter.is_connected()
        api.private_text("/help")
        await api.wait_sent(1)
    warnings = [r.getMessage() for r in caplog.records if "command menu" in r.getMessage()]
    assert len(warnings) == 3


async def test_the_bot_api_base_url_is_used_for_files_too(api: FakeTelegramAPI) -> None:
    async with running_adapter(StubCore(), api) as adapter:
        bot = adapter._app.bot if adapter._app else None  # the only look inside: PTB's own view of its URLs
        assert bot is not None
        assert bot.base_url == f"{api.base_url}{TOKEN}"
        assert bot.base_file_url == f"http://127.0.0.1:{api.port}/file/bot{TOKEN}"


# tornado's bind_sockets() does not close its socket when bind() fails; the process exits after a failed start.
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
async def test_a_failed_start_raises_and_leaves_nothing_running(api: FakeTelegramAPI) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        url = f"http://127.0.0.1:{port}/hook"
        settings = api.settings(webhook_url=url, webhook_listen="127.0.0.1", webhook_port=port)
        adapter = TelegramAdapter(StubCore(), settings)
        with pytest.raises(OSError):
            await adapter.start()
    assert not adapter.is_connected()
    await adapter.stop()  # nothing to stop
    async with running_adapter(StubCore(), api):  # the same fake still serves a fresh start
        api.private_text("/help")
        await api.wait_sent(1)
