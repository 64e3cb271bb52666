"""Translations between Telegram's updates and the core's terms, and the HTTP transport that watches the link."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import BotCommand, InlineQuery, InlineQueryResultArticle, InputTextMessageContent, Message
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.request import HTTPXRequest, RequestData

from bot.adapters.telegram_errors import describe
from bot.adapters.telegram_render import render_reply
from bot.adapters.telegram_send import NO_PREVIEW
from bot.core.textsplit import clip
from bot.core.types import ChatKind, CommandInfo, Core, Request

log = logging.getLogger("bot.adapters.telegram")

PLATFORM = "telegram"
INLINE_RESULTS = 10  # asked of the core; Telegram allows at most 50


def chat_kind(chat_type: str | None) -> ChatKind:
    """Telegram's chat type as the core's chat kind."""
    if chat_type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return "group"
    return "channel" if chat_type == ChatType.CHANNEL else "private"


def chat_ref(chat_id: str) -> int | str:
    """A stored chat id as the Bot API wants it: a number, or an @username."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


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
        commands.append(BotCommand(info.name, clip(text, 256)))
    return commands[:100]


async def inline_results(core: Core, query: InlineQuery) -> list[InlineQueryResultArticle]:
    """Inline mode's answer: the core's suggestions as articles (none when the core fails)."""
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
        suggestions = (await core.suggest(request, limit=INLINE_RESULTS))[:INLINE_RESULTS]
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
