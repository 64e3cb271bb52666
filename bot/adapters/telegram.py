"""Telegram adapter: turns Bot API updates into core requests and core replies into Telegram messages."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    Chat,
    ChatMember,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest, RequestData

from bot.adapters.telegram_files import send_document, toast_text
from bot.adapters.telegram_render import keyboard, parse_callback, render_reply, strip_html
from bot.config import TelegramSettings
from bot.core.types import ChatKind, CommandInfo, Core, DeliveryError, DeliveryFailure, Reply, Request, Target
from bot.logs import RedactingFilter

log = logging.getLogger(__name__)

T = TypeVar("T")
App = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE

PLATFORM = "telegram"
ALLOWED_UPDATES = ("message", "channel_post", "callback_query", "inline_query")
INLINE_RESULTS = 10  # asked of the core; Telegram allows at most 50
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
EXPIRED = {
    "en": "This button has expired — please ask again.",
    "zh": "这个按钮已过期，请重新提问。",
}
# Bot API error phrases meaning the chat (or topic) can no longer be reached.
GONE_PHRASES = (
    "chat not found",
    "message thread not found",
    "topic_deleted",
    "topic_closed",
    "bot was kicked",
    "bot is not a member",
    "user is deactivated",
    "group chat was deactivated",
    "have no rights to send",
    "not enough rights to send",
    "need administrator rights",
)
# PTB debug messages whose argument at the given position is a raw payload (ids, texts): never logged.
PAYLOAD_MESSAGES = {
    "Calling Bot API endpoint `%s` with parameters `%s`": 1,
    "Call to Bot API endpoint `%s` finished with return value `%s`": 1,
    "Processing update %s": 0,
    "Webhook received data: %s": 0,
    "Dropping pending update: %s": 0,
}
QUIET_LOGGERS = ("httpx", "httpcore")
GUARDED_PREFIXES = ("telegram", "httpx", "httpcore", "tornado", "asyncio", "bot.adapters.telegram")
KNOWN_LOGGERS = (
    "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.socks",
    "tornado.access", "tornado.application", "tornado.general",
)  # fmt: skip


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


# ----- logs: no token, no payloads, no routine tracebacks --------------------------------------------


class Redactor(RedactingFilter):
    """The shared redaction, plus: message payloads omitted and expected API errors kept to one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        position = PAYLOAD_MESSAGES.get(record.msg) if isinstance(record.msg, str) else None
        if position is not None and isinstance(record.args, tuple) and len(record.args) > position:
            record.args = (*record.args[:position], "<payload omitted>", *record.args[position + 1 :])
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TelegramError) and not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            try:
                message = record.getMessage()
            except Exception:  # a malformed record: the shared filter shows it as it is
                return super().filter(record)
            record.msg, record.args = f"{message} ({type(exc).__name__}: {exc})", None  # expected: one line
            record.exc_info, record.exc_text = None, None
        return super().filter(record)


REDACTOR = Redactor()


def protect_logs(*secrets: str | None) -> None:
    """Quiet the HTTP loggers and guard every logger that could see the token or a payload."""
    REDACTOR.add(*secrets)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    names = {*KNOWN_LOGGERS, *GUARDED_PREFIXES}
    names |= {n for n in logging.root.manager.loggerDict if n.startswith(GUARDED_PREFIXES)}
    for name in names:
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)


def token_secrets(token: str) -> tuple[str, str, str]:
    """The token and its halves (the bot's id and the secret), none of which may reach a log."""
    bot_id, _, secret = token.partition(":")
    return token, bot_id, secret


# ----- errors --------------------------------------------------------------------------------------


def describe(exc: BaseException) -> str:
    """One short line about an error, without chat ids."""
    if isinstance(exc, ChatMigrated):
        return "group migrated to a supergroup"
    if isinstance(exc, RetryAfter):
        return f"rate limited: {exc}"
    return f"{type(exc).__name__}: {exc}"


def may_retry(exc: TelegramError, idempotent: bool) -> bool:
    """Whether repeating a call is safe: always if it never reached Telegram or Telegram answered 5xx."""
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return idempotent or isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout)
    if type(exc) is NetworkError:  # not BadRequest; no cause (or a parse error) means a 5xx answer
        return idempotent or cause is None or isinstance(cause, TelegramError | httpx.ConnectError)
    return False


def is_gone(exc: TelegramError) -> bool:
    """Whether a send error means the chat is gone for good (blocked, kicked, deleted)."""
    text = str(exc).lower()
    return isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and any(p in text for p in GONE_PHRASES))


def not_posted(exc: TelegramError) -> bool:
    """Whether a failed sendMessage certainly posted nothing: Telegram answered with an error (4xx, 429, 5xx),
    or the request never left (no connection, no free connection, the HTTP client already closed).

    A timeout or a dropped connection after the request went out, or an answer that could not be read, may
    hide a posted message: False.
    """
    if isinstance(exc, BadRequest | Forbidden | ChatMigrated | RetryAfter | InvalidToken | Conflict):
        return True
    if type(exc) is NetworkError and isinstance(exc.__cause__, RuntimeError):  # the client was closed: not sent
        return True
    return may_retry(exc, idempotent=False)


def delivery_error(exc: TelegramError, partly_posted: bool = False) -> DeliveryError:
    """Translate a Bot API error from a send into what the scheduler acts on.

    UNCERTAIN when the message may have been posted (or an earlier part of the reply was): the scheduler never
    sends those again. Every other kind means nothing (more) was posted.
    """
    if partly_posted:
        return DeliveryError(DeliveryFailure.UNCERTAIN, f"posted in part, then {describe(exc)}")
    if isinstance(exc, ChatMigrated):
        return DeliveryError(DeliveryFailure.MIGRATED, describe(exc), new_chat_id=str(exc.new_chat_id))
    if is_gone(exc):
        return DeliveryError(DeliveryFailure.GONE, describe(exc))
    if not not_posted(exc):
        return DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {describe(exc)}")
    return DeliveryError(DeliveryFailure.TRANSIENT, describe(exc))


# ----- small translations --------------------------------------------------------------------------


def chat_kind(chat_type: str | None) -> ChatKind:
    """Telegram's chat type as the core's chat kind."""
    if chat_type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return "group"
    return "channel" if chat_type == ChatType.CHANNEL else "private"


def chat_ref(chat_id: str) -> int | str:
    """A stored chat id as the Bot API wants it: a number, or an @username."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def language(code: str | None, default: str) -> str:
    """'zh' or 'en' for a Telegram language code."""
    if not code:
        return default if default in EXPIRED else "en"
    return "zh" if code.lower().startswith("zh") else "en"


def topic_of(message: Message) -> int | None:
    """The forum topic a message belongs to, if any."""
    return message.message_thread_id if message.is_topic_message else None


def command_of(text: str) -> tuple[str, str | None, str]:
    """(command, bot it is addressed to or None, text after it) of a message that starts with a command."""
    head, *rest = text.strip().split(maxsplit=1) or [""]
    name, _, addressee = head[1:].partition("@")
    return name.lower(), addressee or None, rest[0].strip() if rest else ""


def result_id(value: str) -> str:
    """A short stable id for an inline result."""
    return hashlib.blake2s(value.encode("utf-8"), digest_size=16).hexdigest()


def valid_command(name: str) -> bool:
    """Whether Telegram accepts this as a command name."""
    return 1 <= len(name) <= 32 and all(c.isascii() and (c.isalnum() or c == "_") for c in name) and name.islower()


def menu(infos: list[CommandInfo], chinese: bool) -> list[BotCommand]:
    """The command menu in one language (at most 100 commands, descriptions of 1-256 characters)."""
    commands = []
    for info in infos:
        text = " ".join(((info.help_zh or info.help_en) if chinese else info.help_en).split()) or info.name
        commands.append(BotCommand(info.name, text if len(text) <= 256 else text[:255] + "…"))
    return commands[:100]


class TrackedRequest(HTTPXRequest):
    """HTTPX transport that reports whether the Bot API answered, for the health heartbeat."""

    def __init__(self, report: Callable[[bool], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._report = report

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send the request and note whether the server answered below 500."""
        try:
            code, payload = await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        except TelegramError:
            self._report(False)
            raise
        self._report(code < 500)
        return code, payload


# ----- the adapter ---------------------------------------------------------------------------------


class TelegramAdapter:
    """Runs a Telegram bot with python-telegram-bot: polling or webhook, rate limited, retrying where safe."""

    platform = PLATFORM

    def __init__(self, core: Core, settings: TelegramSettings, tuning: TelegramTuning | None = None) -> None:
        self._core = core
        self._settings = settings
        self._tuning = tuning or TelegramTuning()
        self._app: App | None = None
        self._requests: tuple[TrackedRequest, ...] = ()
        self._stopping = False
        self._online = False
        self._inflight: set[asyncio.Task[Any]] = set()
        protect_logs(*token_secrets(settings.token), settings.webhook_secret)

    async def start(self) -> None:
        """Connect, publish the command menu and start polling (or the webhook server); returns once running."""
        if self._app is not None:
            raise RuntimeError("the Telegram adapter is already running")
        protect_logs()
        app = self._build()
        try:
            try:
                await self._retrying(app.initialize, idempotent=True)
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
        if target.platform != PLATFORM:
            raise ValueError(f"not a Telegram target: {target.platform}")
        app = self._app
        if app is None:
            raise DeliveryError(DeliveryFailure.TRANSIENT, "the Telegram adapter is not running")
        thread = int(target.thread_id) if target.thread_id else None
        messages = render_reply(reply)
        markup = keyboard(reply.buttons)
        posted = 0
        try:
            for index, text in enumerate(messages):
                last = index == len(messages) - 1
                await self._send_text(app.bot, chat_ref(target.chat_id), text, thread, None, markup if last else None)
                posted += 1
        except TelegramError as exc:
            raise delivery_error(exc, partly_posted=posted > 0) from None
        except RuntimeError as exc:  # shut down while sending (the bot refuses before making a request)
            failure = DeliveryFailure.UNCERTAIN if posted else DeliveryFailure.TRANSIENT
            raise DeliveryError(failure, describe(exc)) from None

    # ----- building ----------------------------------------------------------------------------

    def _build(self) -> App:
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
        app: App = (
            builder.request(self._requests[0])
            .get_updates_request(self._requests[1])
            .rate_limiter(limiter)
            .concurrent_updates(tuning.concurrent_updates)
            .job_queue(None)
            .build()
        )
        self._add_handlers(app)
        return app

    def _add_handlers(self, app: App) -> None:
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

    async def _start_updates(self, app: App) -> None:
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
        infos = [c for c in self._core.commands() if valid_command(c.name)]
        for commands, code in ((menu(infos, False), None), (menu(infos, False), "en"), (menu(infos, True), "zh")):
            try:
                await self._retrying(functools.partial(bot.set_my_commands, commands, language_code=code), True)
            except TelegramError as exc:
                log.warning("telegram: could not set the command menu (%s): %s", code or "default", describe(exc))

    async def _close(self, app: App) -> None:
        """Tear down whatever is still up: updates, the application, the HTTP connections."""
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        for request in self._requests:  # app.shutdown() skips them when initialize() failed half-way
            await request.shutdown()

    # ----- incoming updates --------------------------------------------------------------------

    async def _on_command(self, update: Update, context: Context) -> None:
        """A known command (PTB's CommandHandler has already dropped /cmd@OtherBot)."""
        message = update.effective_message
        if message is not None and message.text:
            name, _, args = command_of(message.text)
            await self._respond(context.bot, message, update.effective_user, name, args)

    async def _on_other_command(self, update: Update, context: Context) -> None:
        """An unknown command: answered in private chats, in groups only when addressed to this bot."""
        message = update.effective_message
        if message is None or not message.text:
            return
        name, addressee, args = command_of(message.text)
        if addressee is not None and addressee.lower() != (context.bot.username or "").lower():
            return
        if message.chat.type == ChatType.PRIVATE or addressee is not None:
            await self._respond(context.bot, message, update.effective_user, name, args)

    async def _on_private_text(self, update: Update, context: Context) -> None:
        """Plain text in a private chat is a question."""
        message = update.effective_message
        if message is None or not message.text or not message.text.strip():
            return
        if message.via_bot is not None and message.via_bot.id == context.bot.id:
            return  # a passage the user just posted from inline mode, not a question
        await self._respond(context.bot, message, update.effective_user, "ask", message.text.strip())

    async def _on_migration(self, update: Update, context: Context) -> None:
        """A group became a supergroup: tell the core so subscriptions follow it."""
        message = update.effective_message
        if message is not None and message.migrate_to_chat_id:
            await self._core.chat_migrated(PLATFORM, str(message.chat.id), str(message.migrate_to_chat_id))
        elif message is not None and message.migrate_from_chat_id:
            await self._core.chat_migrated(PLATFORM, str(message.migrate_from_chat_id), str(message.chat.id))

    async def _on_callback(self, update: Update, context: Context) -> None:
        """A button press: run its command for the presser, post the answer, and always answer the query."""
        query = update.callback_query
        if query is None:
            return
        with self._tracked():
            toast: str | None = None  # a failure below still answers the query, just without a text
            try:
                toast = await self._run_button(context.bot, query)
            finally:
                await self._answer_query(query, toast)

    async def _run_button(self, bot: Bot, query: CallbackQuery) -> str | None:
        """Answer a button's command in its chat; the toast to show instead ("expired", or an ephemeral reply)."""
        parsed, message = parse_callback(query.data), query.message
        lang = language(query.from_user.language_code, self._core.default_language)
        if parsed is None or message is None:
            return EXPIRED[lang]
        thread = topic_of(message) if isinstance(message, Message) else None
        request = await self._request(message.chat, query.from_user, *parsed, thread, None)
        reply = await self._core.handle(request)
        if reply.outcome == "bad_input":
            return EXPIRED[lang]
        if reply.ephemeral:  # only for the presser: a toast, not a message in the chat
            return toast_text(reply)
        reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
        await self._answer(bot, message.chat, reply, thread, reply_to)
        return None

    async def _on_inline(self, update: Update, context: Context) -> None:
        """Inline mode: passages matching the query (today's picks when it is empty)."""
        query = update.inline_query
        if query is None:
            return
        with self._tracked():
            results = await self._inline_results(query)
            call = functools.partial(
                context.bot.answer_inline_query,
                query.id,
                results,
                cache_time=self._tuning.inline_cache_time,
                is_personal=False,
            )
            await self._retrying(call, idempotent=True)

    async def _inline_results(self, query: InlineQuery) -> list[InlineQueryResultArticle]:
        user = query.from_user
        request = Request(
            platform=PLATFORM,
            chat_id=str(user.id),
            user_id=str(user.id),
            command="inline",
            args=query.query.strip(),
            locale=user.language_code,
            chat_kind=chat_kind(query.chat_type),
        )
        try:
            suggestions = (await self._core.suggest(request, limit=INLINE_RESULTS))[:INLINE_RESULTS]
        except Exception as exc:  # an empty answer beats a spinner that never stops
            log.error("telegram: inline suggestions failed: %s", describe(exc))
            suggestions = []
        results: dict[str, InlineQueryResultArticle] = {}
        for s in suggestions:
            rendered, rid = render_reply(s.reply), result_id(s.value)
            if rendered and rid not in results:
                content = InputTextMessageContent(rendered[0], ParseMode.HTML, link_preview_options=NO_PREVIEW)
                title = s.title.strip()[:100] or "…"
                results[rid] = InlineQueryResultArticle(rid, title, content, description=s.description[:200])
        return list(results.values())

    async def _on_error(self, update: object, context: Context) -> None:
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
            reply = await self._with_typing(bot, message.chat, thread, self._core.handle(request))
            reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
            await self._answer(bot, message.chat, reply, thread, reply_to)

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
        """Whether the sender may change the chat's settings; only checked for '/daily <args>' in groups."""
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or not args or self._canonical(command) != "daily":
            return True
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous administrator
        if user is None:
            return False
        try:
            member = await self._retrying(functools.partial(chat.get_member, user.id), idempotent=True)
        except Exception as exc:  # unknown rights mean no rights; the command is still answered
            log.warning("telegram: could not check admin rights: %s", describe(exc))
            return False
        return member.status in ADMIN_STATUSES

    def _canonical(self, command: str) -> str:
        for info in self._core.commands():
            if command == info.name or command in info.aliases:
                return info.name
        return command

    async def _with_typing(self, bot: Bot, chat: Chat, thread: int | None, work: Awaitable[Reply]) -> Reply:
        """Await the core; if it is slow, show 'typing…' meanwhile (never delaying the answer)."""
        task = asyncio.ensure_future(work)
        typing: asyncio.Task[None] | None = None
        try:
            done, _ = await asyncio.wait({task}, timeout=self._tuning.typing_after)
            if not done:
                typing = asyncio.create_task(self._show_typing(bot, chat.id, thread))
            return await task
        finally:
            task.cancel()
            if typing is not None:
                typing.cancel()

    @staticmethod
    async def _show_typing(bot: Bot, chat_id: int, thread: int | None) -> None:
        with contextlib.suppress(Exception):  # cosmetic: a failure here must not matter
            await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread)

    async def _answer(self, bot: Bot, chat: Chat, reply: Reply, thread: int | None, reply_to: int | None) -> None:
        """Send a reply to an update; when the group has become a supergroup, tell the core and resend there."""
        try:
            await self._deliver(bot, chat.id, reply, thread=thread, reply_to=reply_to)
        except ChatMigrated as exc:
            await self._core.chat_migrated(PLATFORM, str(chat.id), str(exc.new_chat_id))
            await self._deliver(bot, exc.new_chat_id, reply, thread=None, reply_to=None)

    async def _deliver(
        self, bot: Bot, chat_id: int | str, reply: Reply, *, thread: int | None, reply_to: int | None
    ) -> None:
        """Send a reply's messages in order with the buttons under the last one."""
        messages = render_reply(reply)
        markup = keyboard(reply.buttons)
        for index, text in enumerate(messages):
            last = index == len(messages) - 1
            first_reply_to = reply_to if index == 0 else None
            await self._send_text(bot, chat_id, text, thread, first_reply_to, markup if last else None)
        if reply.attachment is not None:
            await send_document(bot, chat_id, reply.attachment, thread, self._retrying)

    async def _send_text(
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
            await self._retrying(call(text, ParseMode.HTML), idempotent=False)
        except BadRequest as exc:
            if "can't parse entities" not in str(exc).lower():
                raise
            log.warning("telegram: HTML rejected, sending plain text instead: %s", describe(exc))
            await self._retrying(call(strip_html(text), None), idempotent=False)

    async def _answer_query(self, query: CallbackQuery, text: str | None) -> None:
        try:
            await self._retrying(functools.partial(query.answer, text=text), idempotent=True)
        except TelegramError as exc:
            log.info("telegram: could not answer a button press: %s", describe(exc))

    # ----- helpers -----------------------------------------------------------------------------

    async def _retrying(self, call: Callable[[], Awaitable[T]], idempotent: bool) -> T:
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
