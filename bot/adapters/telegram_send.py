"""Posting to Telegram: one message at a time, retried only where that cannot post it twice."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    ChatMember,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    User,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.adapters.telegram_errors import describe, may_retry
from bot.adapters.telegram_files import send_document
from bot.adapters.telegram_render import keyboard, render_reply, strip_html
from bot.config import TelegramSettings
from bot.core.types import Core, Reply

log = logging.getLogger("bot.adapters.telegram")

T = TypeVar("T")
ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class TelegramTuning:
    """Timeouts, retries and limits; the defaults suit production, tests shorten them."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_timeout: float = 3.0
    poll_timeout: int = 10  # seconds a getUpdates long poll may wait on the server
    # backoff after 5xx answers and unsent requests: a sendMessage is repeated only when it was not posted
    retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0)
    rate_limit_retries: int = 3  # 429s waited out per request (so at most 4 x 4 requests per message)
    overall_rate: float = 30.0  # messages per second, whole bot
    group_rate: float = 20.0  # messages per minute, per group
    concurrent_updates: int = 32
    stop_timeout: float = 7.5  # stop() returns within this
    typing_after: float = 0.5  # show "typing…" when the core takes longer than this
    inline_cache_time: int = 30


PTBApp = Application[Any, Any, Any, Any, Any, Any]  # the library's application (not bot.app.App)


def build_application(settings: TelegramSettings, tuning: TelegramTuning, requests: HTTPXRequest,
                      updates: HTTPXRequest) -> PTBApp:
    """The library's application: our transports, the rate limiter, the Bot API base URL if one is set."""
    builder = ApplicationBuilder().token(settings.token)
    if settings.base_url:
        base = settings.base_url.rstrip("/")
        builder = builder.base_url(base)
        if base.endswith("/bot"):
            builder = builder.base_file_url(base.removesuffix("/bot") + "/file/bot")
    limiter = AIORateLimiter(
        overall_max_rate=tuning.overall_rate,
        group_max_rate=tuning.group_rate,
        max_retries=tuning.rate_limit_retries,
    )
    app: PTBApp = (
        builder.request(requests)
        .get_updates_request(updates)
        .rate_limiter(limiter)
        .concurrent_updates(tuning.concurrent_updates)
        .job_queue(None)
        .build()
    )
    return app


class Poster:
    """Sends replies and answers for the adapter: typing indicator, migrations, HTML fallback, safe retries."""

    def __init__(self, core: Core, tuning: TelegramTuning) -> None:
        self._core = core
        self._tuning = tuning

    async def with_typing(self, bot: Bot, chat: Chat, thread: int | None, work: Awaitable[Reply]) -> Reply:
        """Await the core; if it is slow, show 'typing…' meanwhile (never delaying the answer)."""
        task = asyncio.ensure_future(work)
        typing: asyncio.Task[None] | None = None
        try:
            done, _ = await asyncio.wait({task}, timeout=self._tuning.typing_after)
            if not done:
                typing = asyncio.create_task(self.show_typing(bot, chat.id, thread))
            return await task
        finally:
            task.cancel()
            if typing is not None:
                typing.cancel()

    @staticmethod
    async def show_typing(bot: Bot, chat_id: int, thread: int | None) -> None:
        with contextlib.suppress(Exception):  # cosmetic: a failure here must not matter
            await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread)

    async def answer(self, bot: Bot, chat: Chat, reply: Reply, thread: int | None, reply_to: int | None) -> None:
        """Send a reply to an update; when the group has become a supergroup, tell the core and resend there."""
        try:
            await self.deliver(bot, chat.id, reply, thread=thread, reply_to=reply_to)
        except ChatMigrated as exc:
            await self._core.chat_migrated("telegram", str(chat.id), str(exc.new_chat_id))
            await self.deliver(bot, exc.new_chat_id, reply, thread=None, reply_to=None)

    async def deliver(
        self, bot: Bot, chat_id: int | str, reply: Reply, *, thread: int | None, reply_to: int | None
    ) -> None:
        """Send a reply's messages in order with the buttons under the last one."""
        messages = render_reply(reply)
        markup = keyboard(reply.buttons)
        for index, text in enumerate(messages):
            last = index == len(messages) - 1
            first_reply_to = reply_to if index == 0 else None
            await self.send_text(bot, chat_id, text, thread, first_reply_to, markup if last else None)
        if reply.attachment is not None:
            await send_document(bot, chat_id, reply.attachment, thread, self.retrying)

    async def send_text(
        self,
        bot: Bot,
        chat_id: int | str,
        text: str,
        thread: int | None,
        reply_to: int | None,
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        """Send one message, retrying only where that cannot post it twice; plain text if Telegram rejects the HTML."""
        reply_parameters = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None

        def call(body: str, mode: str | None) -> Callable[[], Awaitable[Message]]:
            return functools.partial(
                bot.send_message,
                chat_id,
                body,
                parse_mode=mode,
                link_preview_options=NO_PREVIEW,
                message_thread_id=thread,
                reply_parameters=reply_parameters,
                reply_markup=markup,
            )

        try:
            await self.retrying(call(text, ParseMode.HTML), idempotent=False)
        except BadRequest as exc:
            if "can't parse entities" not in str(exc).lower():
                raise
            log.warning("telegram: HTML rejected, sending plain text instead: %s", describe(exc))
            await self.retrying(call(strip_html(text), None), idempotent=False)

    async def answer_query(self, query: CallbackQuery, text: str | None) -> None:
        try:
            await self.retrying(functools.partial(query.answer, text=text), idempotent=True)
        except TelegramError as exc:
            log.info("telegram: could not answer a button press: %s", describe(exc))

    async def retrying(self, call: Callable[[], Awaitable[T]], idempotent: bool) -> T:
        """Run a Bot API call, repeating it with backoff where may_retry() says that is safe."""
        delays = self._tuning.retry_delays
        attempt = 0
        while True:
            try:
                return await call()
            except TelegramError as exc:
                if attempt >= len(delays) or not may_retry(exc, idempotent):
                    raise
                log.info("telegram: %s; retrying in %.1fs", describe(exc), delays[attempt])
                await asyncio.sleep(delays[attempt])
                attempt += 1

    async def is_admin(self, chat: Chat, user: User | None, message: Message | None) -> bool:
        """Whether the sender administers the group (an anonymous administrator does); unknown rights mean no."""
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous administrator
        if user is None:
            return False
        try:
            member = await self.retrying(functools.partial(chat.get_member, user.id), idempotent=True)
        except Exception as exc:  # unknown rights mean no rights; the command is still answered
            log.warning("telegram: could not check admin rights: %s", describe(exc))
            return False
        return member.status in ADMIN_STATUSES
