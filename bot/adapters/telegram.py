"""Telegram adapter: turns Bot API updates into core requests and core replies into Telegram messages."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    TelegramError,
)
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.adapters.telegram_errors import delivery_error, describe
from bot.adapters.telegram_files import toast_text
from bot.adapters.telegram_logs import protect_logs, token_secrets
from bot.adapters.telegram_render import keyboard, parse_callback, render_reply
from bot.adapters.telegram_send import Poster, PTBApp, TelegramTuning, build_application
from bot.adapters.telegram_updates import (
    PLATFORM,
    TrackedRequest,
    chat_kind,
    chat_ref,
    command_of,
    inline_results,
    menu,
    topic_of,
    valid_command,
)
from bot.config import TelegramSettings
from bot.core.delivery import deliver
from bot.core.i18n import language_of, t
from bot.core.types import CommandInfo, Core, DeliveryError, DeliveryFailure, Reply, Request, Target

log = logging.getLogger(__name__)

T = TypeVar("T")
PTBContext = ContextTypes.DEFAULT_TYPE  # the library's callback context (not bot.core.context.Context)

ALLOWED_UPDATES = ("message", "channel_post", "callback_query", "inline_query")
# ----- the adapter ---------------------------------------------------------------------------------


class TelegramAdapter:
    """Runs a Telegram bot with python-telegram-bot: polling or webhook, rate limited, retrying where safe."""

    platform = PLATFORM

    def __init__(self, core: Core, settings: TelegramSettings, tuning: TelegramTuning | None = None) -> None:
        self._core = core
        self._settings = settings
        self._tuning = tuning or TelegramTuning()
        self._app: PTBApp | None = None
        self._requests: tuple[TrackedRequest, ...] = ()
        self._stopping = False
        self._online = False
        self._inflight: set[asyncio.Task[Any]] = set()
        self._post = Poster(core, self._tuning)
        protect_logs(*token_secrets(settings.token), settings.webhook_secret)

    async def start(self) -> None:
        """Connect, publish the command menu and start polling (or the webhook server); returns once running."""
        if self._app is not None:
            raise RuntimeError("the Telegram adapter is already running")
        protect_logs()
        app = self._build()
        try:
            try:
                await self._post.retrying(app.initialize, idempotent=True)
            except InvalidToken:  # PTB's message quotes the token
                raise InvalidToken("the Telegram bot token was rejected by the server") from None
            await self._publish_commands(app.bot)
            await self._start_updates(app)
            await app.start()
        except BaseException:
            await self._bounded(self._close(app), 2.0, "cleaning up after a failed start")
            raise
        self._app, self._online = app, True
        protect_logs()  # loggers created while starting
        mode = "webhook" if self._settings.webhook_url else "polling"
        log.info("telegram: running as @%s (%s)", app.bot.username, mode)

    async def stop(self) -> None:
        """Stop taking updates, let in-flight replies finish (within the stop timeout) and disconnect."""
        app = self._app
        if app is None or self._stopping:
            return
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._tuning.stop_timeout
        reserve = min(1.5, self._tuning.stop_timeout / 4)  # for cancelling stuck replies and disconnecting
        try:
            if app.updater is not None and app.updater.running:
                await self._bounded(app.updater.stop(), self._tuning.stop_timeout / 4, "stopping updates")
            if app.running:
                stopping = asyncio.ensure_future(app.stop())  # waits for the replies in flight
                done, _ = await asyncio.wait({stopping}, timeout=max(0.1, deadline - reserve - loop.time()))
                if not done:
                    log.warning("telegram: cancelling %d reply(ies) still running at shutdown", len(self._inflight))
                    for task in list(self._inflight):
                        task.cancel()
                    await self._bounded(stopping, reserve / 3, "stopping the application")
            await self._bounded(self._close(app), max(0.2, deadline - loop.time()), "disconnecting")
        finally:
            self._app, self._stopping, self._online = None, False, False
        log.info("telegram: stopped")

    def is_connected(self) -> bool:
        """True while running and the last Bot API exchange succeeded."""
        return self._app is not None and self._app.running and not self._stopping and self._online

    async def send(self, target: Target, reply: Reply) -> None:
        """Deliver a reply to a chat (or forum topic); raise DeliveryError when Telegram refuses or fails.

        Requests per message are bounded: a sendMessage is repeated only when Telegram's answer (5xx, 429) or a
        failed connection proves it was not posted, at most 1 + len(retry_delays) times after 5xx or unsent
        requests, each of which the rate limiter repeats at most rate_limit_retries times after a 429. A
        timeout or a dropped connection after the request went out is never repeated: DeliveryFailure.UNCERTAIN.
        """
        await deliver(self, target, reply)

    # ----- the delivery path's Courier: running, render, send_one, failure, reason -------------

    def running(self) -> bool:
        """Whether the application is up to carry a broadcast."""
        return self._app is not None

    def render(self, reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
        """The reply as HTML messages, the buttons under the last."""
        messages, markup = render_reply(reply), keyboard(reply.buttons)
        return [(text, markup if index == len(messages) - 1 else None) for index, text in enumerate(messages)]

    async def send_one(self, target: Target, message: tuple[str, InlineKeyboardMarkup | None]) -> None:
        """Post one message to the target chat (or forum topic)."""
        if self._app is None:  # stopped while sending
            raise RuntimeError("the Telegram adapter stopped")
        thread = int(target.thread_id) if target.thread_id else None
        await self._post.send_text(self._app.bot, chat_ref(target.chat_id), message[0], thread, None, message[1])

    def failure(self, exc: Exception) -> DeliveryError | None:
        """A Bot API error as a delivery failure; the bot refusing after shutdown means nothing was sent."""
        if isinstance(exc, TelegramError):
            return delivery_error(exc)
        if isinstance(exc, RuntimeError):  # shut down while sending (the bot refuses before making a request)
            return DeliveryError(DeliveryFailure.TRANSIENT, describe(exc))
        return None

    def reason(self, exc: Exception) -> str:
        """A send error in one line, without chat ids."""
        return describe(exc)

    # ----- building ----------------------------------------------------------------------------

    def _build(self) -> PTBApp:
        tuning, settings = self._tuning, self._settings
        timeouts = {
            "connect_timeout": tuning.connect_timeout,
            "read_timeout": tuning.read_timeout,
            "write_timeout": tuning.write_timeout,
            "pool_timeout": tuning.pool_timeout,
        }
        self._requests = (
            TrackedRequest(self._report_link, connection_pool_size=64, **timeouts),
            TrackedRequest(self._report_link, connection_pool_size=2, **timeouts),
        )
        app = build_application(settings, tuning, *self._requests)
        self._add_handlers(app)
        return app

    def _add_handlers(self, app: PTBApp) -> None:
        new = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        names = {n.lower() for info in self._core.commands() for n in (info.name, *info.aliases)}
        known = sorted(n for n in names if valid_command(n))
        if known:
            app.add_handler(CommandHandler(known, self._on_command, filters=new))
        app.add_handler(MessageHandler(filters.COMMAND & new, self._on_other_command))
        private_text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        app.add_handler(MessageHandler(private_text, self._on_private_text))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migration))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(InlineQueryHandler(self._on_inline))
        app.add_error_handler(self._on_error)

    async def _start_updates(self, app: PTBApp) -> None:
        settings, updater = self._settings, app.updater
        if updater is None:
            raise RuntimeError("the Telegram application has no updater")
        if settings.webhook_url:
            await updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlsplit(settings.webhook_url).path or "/",
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
                bootstrap_retries=3,
            )
        else:
            await updater.start_polling(
                timeout=self._tuning.poll_timeout,
                allowed_updates=list(ALLOWED_UPDATES),
                bootstrap_retries=3,
                error_callback=self._on_poll_error,
            )

    async def _publish_commands(self, bot: Bot) -> None:
        """Set the command menu in English (default and 'en') and Chinese ('zh'); failures are only logged."""
        infos = [c for c in self._core.commands() if valid_command(c.name) and c.offered_on(PLATFORM)]
        for commands, code in ((menu(infos, False), None), (menu(infos, False), "en"), (menu(infos, True), "zh")):
            try:
                await self._post.retrying(functools.partial(bot.set_my_commands, commands, language_code=code), True)
            except TelegramError as exc:
                log.warning("telegram: could not set the command menu (%s): %s", code or "default", describe(exc))

    async def _close(self, app: PTBApp) -> None:
        """Tear down whatever is still up: updates, the application, the HTTP connections."""
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        for request in self._requests:  # app.shutdown() skips them when initialize() failed half-way
            await request.shutdown()

    # ----- incoming updates --------------------------------------------------------------------

    async def _on_command(self, update: Update, context: PTBContext) -> None:
        """A known command (PTB's CommandHandler has already dropped /cmd@OtherBot)."""
        message = update.effective_message
        if message is not None and message.text:
            name, _, args = command_of(message.text)
            await self._respond(context.bot, message, update.effective_user, name, args)

    async def _on_other_command(self, update: Update, context: PTBContext) -> None:
        """An unknown command: answered in private chats, in groups only when addressed to this bot."""
        message = update.effective_message
        if message is None or not message.text:
            return
        name, addressee, args = command_of(message.text)
        if addressee is not None and addressee.lower() != (context.bot.username or "").lower():
            return
        if message.chat.type == ChatType.PRIVATE or addressee is not None:
            await self._respond(context.bot, message, update.effective_user, name, args)

    async def _on_private_text(self, update: Update, context: PTBContext) -> None:
        """Plain text in a private chat is a question."""
        message = update.effective_message
        if message is None or not message.text or not message.text.strip():
            return
        if message.via_bot is not None and message.via_bot.id == context.bot.id:
            return  # a passage the user just posted from inline mode, not a question
        await self._respond(context.bot, message, update.effective_user, "ask", message.text.strip())

    async def _on_migration(self, update: Update, context: PTBContext) -> None:
        """A group became a supergroup: tell the core so subscriptions follow it."""
        message = update.effective_message
        if message is not None and message.migrate_to_chat_id:
            await self._core.chat_migrated(PLATFORM, str(message.chat.id), str(message.migrate_to_chat_id))
        elif message is not None and message.migrate_from_chat_id:
            await self._core.chat_migrated(PLATFORM, str(message.migrate_from_chat_id), str(message.chat.id))

    async def _on_callback(self, update: Update, context: PTBContext) -> None:
        """A button press: run its command for the presser, post the answer, and always answer the query."""
        query = update.callback_query
        if query is None:
            return
        with self._tracked():
            toast: str | None = None  # a failure below still answers the query, just without a text
            try:
                toast = await self._run_button(context.bot, query)
            finally:
                await self._post.answer_query(query, toast)

    async def _run_button(self, bot: Bot, query: CallbackQuery) -> str | None:
        """Answer a button's command in its chat; the toast to show instead ("expired", or an ephemeral reply)."""
        parsed, message = parse_callback(query.data), query.message
        lang = language_of(query.from_user.language_code, self._core.default_language)
        if parsed is None or message is None:
            return t(lang, "stale_button")
        thread = topic_of(message) if isinstance(message, Message) else None
        request = await self._request(message.chat, query.from_user, *parsed, thread, None)
        reply = await self._core.handle(request)
        if reply.outcome == "bad_input":
            return t(lang, "stale_button")
        if reply.ephemeral:  # only for the presser: a toast, not a message in the chat
            return toast_text(reply)
        reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
        await self._post.answer(bot, message.chat, reply, thread, reply_to)
        return None

    async def _on_inline(self, update: Update, context: PTBContext) -> None:
        """Inline mode: passages matching the query (today's picks when it is empty)."""
        query = update.inline_query
        if query is None:
            return
        with self._tracked():
            results = await inline_results(self._core, query)
            call = functools.partial(
                context.bot.answer_inline_query,
                query.id,
                results,
                cache_time=self._tuning.inline_cache_time,
                is_personal=False,
            )
            await self._post.retrying(call, idempotent=True)

    async def _on_error(self, update: object, context: PTBContext) -> None:
        """Log an error from a handler in one line; the traceback only at DEBUG."""
        exc = context.error
        if exc is None:
            return
        if isinstance(exc, Forbidden | BadRequest | ChatMigrated):
            level = logging.INFO
        else:
            level = logging.WARNING if isinstance(exc, TelegramError) else logging.ERROR
        log.log(level, "telegram: update not answered: %s", describe(exc))
        log.debug("telegram: traceback of the error above", exc_info=exc)

    def _on_poll_error(self, exc: TelegramError) -> None:
        """Polling failed (PTB keeps retrying): one line, no traceback."""
        self._online = False
        log.warning("telegram: polling failed, retrying: %s", describe(exc))

    # ----- answering ---------------------------------------------------------------------------

    async def _respond(self, bot: Bot, message: Message, user: User | None, command: str, args: str) -> None:
        """Ask the core and post its reply (as a reply to the message outside private chats)."""
        with self._tracked():
            thread = topic_of(message)
            request = await self._request(message.chat, user, command, args, thread, message)
            reply = await self._post.with_typing(bot, message.chat, thread, self._core.handle(request))
            reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
            await self._post.answer(bot, message.chat, reply, thread, reply_to)

    async def _request(
        self, chat: Chat, user: User | None, command: str, args: str, thread: int | None, message: Message | None
    ) -> Request:
        sender = user or (message.sender_chat if message else None) or chat
        return Request(
            platform=PLATFORM,
            chat_id=str(chat.id),
            user_id=str(sender.id),
            command=command,
            args=args,
            locale=user.language_code if user else None,
            chat_kind=chat_kind(chat.type),
            thread_id=str(thread) if thread is not None else None,
            can_manage_chat=await self._can_manage(chat, user, command, args, message),
        )

    async def _can_manage(
        self, chat: Chat, user: User | None, command: str, args: str, message: Message | None
    ) -> bool:
        """Whether the sender manages the chat; asked of Telegram only in groups, for commands that need it."""
        info = self._info(command)
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or info is None or not info.needs_rights(args):
            return True
        return await self._post.is_admin(chat, user, message)

    def _info(self, command: str) -> CommandInfo | None:
        for info in self._core.commands():
            if command == info.name or command in info.aliases:
                return info
        return None

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        """Mark the current handler as in flight, so a late stop() can cancel it."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    def _report_link(self, ok: bool) -> None:
        self._online = ok

    @staticmethod
    async def _bounded(work: Awaitable[Any], seconds: float, what: str) -> None:
        try:
            await asyncio.wait_for(work, timeout=seconds)
        except TimeoutError:
            log.warning("telegram: %s took longer than %.1fs; going on", what, seconds)
        except Exception as exc:
            log.warning("telegram: %s failed: %s", what, describe(exc))


__all__ = ["TelegramAdapter", "TelegramTuning"]
