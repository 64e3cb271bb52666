"""Bot API faults: rate limits, blocked users, migrations, 5xx, slow answers, and send()'s error mapping."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_errors import delivery_error
from bot.core.delivery import posted_in_part
from bot.core.types import Block, DeliveryError, DeliveryFailure, Reply, Request, Target
from tests.fakes.telegram_api import (
    FAST,
    Call,
    FakeTelegramAPI,
    Fault,
    StubCore,
    assert_valid_telegram_html,
    running_adapter,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

GROUP = -1001234567890
USER = 111
REPLY = Reply((Block("title", "Quote of the day"), Block("quote", "Data is the fossil fuel of AI & <more>.")))


@pytest.fixture
def core() -> StubCore:
    return StubCore()


@pytest.fixture
async def bot(core: StubCore, api: FakeTelegramAPI) -> AsyncIterator[TelegramAdapter]:
    async with running_adapter(core, api) as adapter:
        yield adapter


def send_attempts(api: FakeTelegramAPI) -> list[float]:
    """When sendMessage was called, answered or not."""
    return [c.at for c in api.calls if c.method == "sendMessage"]


async def test_429_is_waited_out_and_delivered_once(bot: TelegramAdapter, api: FakeTelegramAPI) -> None:
    api.rate_limit("sendMessage", retry_after=1)
    api.private_text("/quote")
    (sent,) = await api.wait_sent(1)
    first, second = send_attempts(api)
    assert second - first >= 1.0
    assert_valid_telegram_html(sent.params["text"])


async def test_502_is_retried_and_delivered_once(bot: TelegramAdapter, api: FakeTelegramAPI) -> None:
    api.bad_gateway("sendMessage", times=2)
    api.private_text("/quote")
    await api.wait_sent(1)
    assert len(send_attempts(api)) == 3 and len(api.sent()) == 1


async def test_a_slow_answer_within_the_timeout_is_not_repeated(bot: TelegramAdapter, api: FakeTelegramAPI) -> None:
    api.slow("sendMessage", 0.6)
    api.private_text("/quote")
    await api.wait_sent(1)
    assert len(send_attempts(api)) == 1


async def test_a_blocked_user_costs_one_log_line(
    bot: TelegramAdapter, api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.adapters.telegram")
    api.forbidden("sendMessage", chat_id=USER)
    api.private_text("/quote", user_id=USER)
    await api.wait_for("sendMessage", 1, lambda c: c.status == 403)
    api.private_text("/help", user_id=222)  # the bot carries on
    await api.wait_sent(1, 222)
    lines = [r for r in caplog.records if "not answered" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO and lines[0].exc_info is None
    assert "Forbidden" in lines[0].getMessage() and str(USER) not in lines[0].getMessage()
    assert bot.is_connected()


class FailingCore(StubCore):
    """A core that breaks its promise never to raise."""

    async def handle(self, request: Request) -> Reply:
        raise RuntimeError("database is locked")


async def test_a_crashing_handler_is_logged_in_one_line(
    api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.adapters.telegram")
    async with running_adapter(FailingCore(), api) as adapter:
        api.private_text("/quote")
        message = api.group_text("text")
        api.press("context:t/1", message)
        (answered,) = await api.wait_for("answerCallbackQuery")  # a button press is answered even then
        assert "text" not in answered.params  # but not called "expired": it was not
        assert adapter.is_connected()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info is None and "database is locked" in r.getMessage() for r in errors)


async def test_rejected_html_falls_back_to_plain_text(api: FakeTelegramAPI) -> None:
    api.fail("sendMessage", 400, "Bad Request: can't parse entities: unsupported start tag")
    async with running_adapter(StubCore(), api) as adapter:
        await adapter.send(Target("telegram", str(USER)), REPLY)
    (sent,) = api.sent()
    assert "parse_mode" not in sent.params and "fossil fuel of AI & <more>." in sent.params["text"]


# ----- send() ---------------------------------------------------------------------------------------


async def test_send_delivers_to_a_chat_and_a_forum_topic(bot: TelegramAdapter, api: FakeTelegramAPI) -> None:
    await bot.send(Target("telegram", str(GROUP)), REPLY)
    await bot.send(Target("telegram", str(GROUP), thread_id="42"), REPLY)
    await bot.send(Target("telegram", "@some_channel"), REPLY)
    plain, topic, channel = api.sent()
    assert plain.params["chat_id"] == GROUP and "message_thread_id" not in plain.params
    assert topic.params["message_thread_id"] == 42
    assert channel.params["chat_id"] == "@some_channel"
    assert "reply_parameters" not in plain.params
    assert_valid_telegram_html(plain.params["text"])


@pytest.mark.parametrize(
    ("inject", "failure", "new_chat_id"),
    [
        (lambda api: api.forbidden("sendMessage"), DeliveryFailure.GONE, None),
        (lambda api: api.chat_not_found("sendMessage"), DeliveryFailure.GONE, None),
        (lambda api: api.fail("sendMessage", 400, "Bad Request: message thread not found"), DeliveryFailure.GONE, None),
        (lambda api: api.migrate("sendMessage", -1007770000), DeliveryFailure.MIGRATED, "-1007770000"),
        (lambda api: api.bad_gateway("sendMessage", times=10), DeliveryFailure.TRANSIENT, None),
        (lambda api: api.fail("sendMessage", 400, "Bad Request: something new"), DeliveryFailure.TRANSIENT, None),
    ],
)
async def test_send_maps_errors(
    bot: TelegramAdapter,
    api: FakeTelegramAPI,
    core: StubCore,
    inject: object,
    failure: DeliveryFailure,
    new_chat_id: str | None,
) -> None:
    inject(api)  # type: ignore[operator]
    with pytest.raises(DeliveryError) as caught:
        await bot.send(Target("telegram", str(GROUP)), REPLY)
    assert caught.value.failure is failure and caught.value.new_chat_id == new_chat_id
    assert str(GROUP) not in caught.value.reason
    assert core.migrations == []  # moving subscriptions is the scheduler's call when send() reports it


async def test_send_gives_up_on_a_lasting_rate_limit(api: FakeTelegramAPI) -> None:
    api.rate_limit("sendMessage", retry_after=1, times=2)
    async with running_adapter(StubCore(), api, replace(FAST, rate_limit_retries=1)) as adapter:
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(Target("telegram", str(USER)), REPLY)
    assert caught.value.failure is DeliveryFailure.TRANSIENT and len(send_attempts(api)) == 2


async def test_send_never_repeats_a_message_that_may_have_arrived(api: FakeTelegramAPI) -> None:
    """A read timeout after sending: the message may be there, so no retry (a duplicate is worse), and the
    scheduler is told it may have been posted (UNCERTAIN), so it does not send it again either."""
    api.slow("sendMessage", 1.5)
    async with running_adapter(StubCore(), api, replace(FAST, read_timeout=0.5)) as adapter:
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(Target("telegram", str(USER)), REPLY)
        assert caught.value.failure is DeliveryFailure.UNCERTAIN and caught.value.may_have_posted
        await api.wait_for("sendMessage")  # the fake finishes the slow call
    assert len(send_attempts(api)) == 1


class DroppingBotAPI(FakeTelegramAPI):
    """The fake Bot API, closing the connection without an answer on the next `drops` sendMessage calls (after
    reading the request: the message may or may not have been posted)."""

    def __init__(self) -> None:
        super().__init__()
        self.drops = 0

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["method"].lower() == "sendmessage" and self.drops > 0:
            self.drops -= 1
            self.calls.append(Call("sendMessage", await self._params(request), 0.0, status=-1))
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=200)
        return await super()._serve(request)


async def test_a_dropped_connection_after_sending_is_uncertain_and_not_repeated() -> None:
    async with DroppingBotAPI() as api, running_adapter(StubCore(), api) as adapter:
        api.drops = 1
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(Target("telegram", str(USER)), REPLY)
        assert caught.value.failure is DeliveryFailure.UNCERTAIN
        assert str(USER) not in caught.value.reason
        assert len(send_attempts(api)) == 1  # never repeated
        await adapter.send(Target("telegram", str(USER)), REPLY)  # the next send is normal
        assert len(api.sent(USER)) == 1


async def test_a_5xx_answer_is_retried_a_bounded_number_of_times(bot: TelegramAdapter, api: FakeTelegramAPI) -> None:
    """A 5xx is an answer (nothing was posted): retried with backoff, at most 1 + len(retry_delays) requests."""
    api.bad_gateway("sendMessage", times=100)
    with pytest.raises(DeliveryError) as caught:
        await bot.send(Target("telegram", str(USER)), REPLY)
    assert caught.value.failure is DeliveryFailure.TRANSIENT and not caught.value.may_have_posted
    assert len(send_attempts(api)) == 1 + len(FAST.retry_delays)


class SecondMessageFails(FakeTelegramAPI):
    """The fake Bot API answering 502 from the second sendMessage on."""

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        if method.lower() == "sendmessage" and sum(c.method == "sendMessage" for c in self.calls) >= 2:
            return Fault(502, "Bad Gateway")
        return super()._take_fault(method, params)


async def test_a_reply_posted_in_part_is_uncertain() -> None:
    """The first of two messages went out, the second failed: sending the reply again would repeat the first."""
    long = Reply(tuple(Block("text", f"Paragraph {n}. " + "word " * 300) for n in range(6)))
    async with SecondMessageFails() as api, running_adapter(StubCore(), api) as adapter:
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(Target("telegram", str(USER)), long)
        assert caught.value.failure is DeliveryFailure.UNCERTAIN and "part" in caught.value.reason
        assert len(api.sent(USER)) == 1


def caused(exc: TelegramError, cause: BaseException | None) -> TelegramError:
    exc.__cause__ = cause
    return exc


REQUEST = httpx.Request("POST", "https://api.telegram.org/bot/sendMessage")


@pytest.mark.parametrize(("error", "failure"), [
    # the request went out, no answer: it may have been posted
    (caused(TimedOut(), httpx.ReadTimeout("read", request=REQUEST)), DeliveryFailure.UNCERTAIN),
    (caused(TimedOut(), httpx.WriteTimeout("write", request=REQUEST)), DeliveryFailure.UNCERTAIN),
    (caused(NetworkError("httpx.RemoteProtocolError: Server disconnected"),
            httpx.RemoteProtocolError("Server disconnected", request=REQUEST)), DeliveryFailure.UNCERTAIN),
    (caused(NetworkError("httpx.ReadError: reset"), httpx.ReadError("reset", request=REQUEST)),
     DeliveryFailure.UNCERTAIN),
    (caused(TelegramError("Invalid server response"), ValueError("not JSON")), DeliveryFailure.UNCERTAIN),
    # it never left, or Telegram answered with an error: not posted
    (caused(TimedOut(), httpx.ConnectTimeout("connect", request=REQUEST)), DeliveryFailure.TRANSIENT),
    (caused(TimedOut(), httpx.PoolTimeout("pool", request=REQUEST)), DeliveryFailure.TRANSIENT),
    (caused(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused", request=REQUEST)),
     DeliveryFailure.TRANSIENT),
    (caused(NetworkError("Unknown error in HTTP implementation"), RuntimeError("client has been closed")),
     DeliveryFailure.TRANSIENT),
    (NetworkError("Bad Gateway"), DeliveryFailure.TRANSIENT),
    (NetworkError("Internal Server Error (500)"), DeliveryFailure.TRANSIENT),
    (RetryAfter(30), DeliveryFailure.TRANSIENT),
    (BadRequest("Bad Request: something new"), DeliveryFailure.TRANSIENT),
    (Forbidden("Forbidden: bot was blocked by the user"), DeliveryFailure.GONE),
    (ChatMigrated(-1001), DeliveryFailure.MIGRATED),
])
def test_delivery_error_tells_posted_from_not_posted(error: TelegramError, failure: DeliveryFailure) -> None:
    assert delivery_error(error).failure is failure
    assert posted_in_part(delivery_error(error).reason).failure is DeliveryFailure.UNCERTAIN


async def test_idempotent_calls_are_retried_after_a_timeout(api: FakeTelegramAPI) -> None:
    api.slow("setMyCommands", 1.0)
    async with running_adapter(StubCore(), api, replace(FAST, read_timeout=0.4)):
        pass
    assert len([c for c in api.calls if c.method == "setMyCommands"]) == 4


async def test_send_when_not_running(api: FakeTelegramAPI) -> None:
    adapter = TelegramAdapter(StubCore(), api.settings(), FAST)
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Target("telegram", str(USER)), REPLY)
    assert caught.value.failure is DeliveryFailure.TRANSIENT
    with pytest.raises(ValueError, match="discord"):
        await adapter.send(Target("discord", "1"), REPLY)
