"""Telegram extras for replies: a file sent as a document, and a reply shown as a button-press toast."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import Bot, Message

from bot.core.types import Attachment, Reply

TOAST_LIMIT = 200  # characters Telegram shows in a callback answer
Retrying = Callable[[Callable[[], Awaitable[Any]], bool], Awaitable[Any]]


def toast_text(reply: Reply) -> str:
    """A reply as the short text of a callback answer."""
    text = " ".join(reply.plain_text.split())
    return text if len(text) <= TOAST_LIMIT else text[: TOAST_LIMIT - 1] + "…"


async def send_document(bot: Bot, chat_id: int | str, attachment: Attachment, thread: int | None,
                        retrying: Retrying) -> Message:
    """Upload a reply's file with sendDocument (repeated only where that cannot post it twice)."""
    data = await asyncio.to_thread(Path(attachment.path).read_bytes)
    call = functools.partial(bot.send_document, chat_id, data, filename=attachment.filename,
                             message_thread_id=thread, disable_content_type_detection=True)
    message: Message = await retrying(call, False)
    return message
