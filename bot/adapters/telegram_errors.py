"""Bot API errors: what may be retried, what means the chat is gone, and what a failed send posted."""

from __future__ import annotations

import httpx
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

from bot.core.types import DeliveryError, DeliveryFailure

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


def delivery_error(exc: TelegramError) -> DeliveryError:
    """Translate a Bot API error from a send into what the scheduler acts on.

    UNCERTAIN when the message may have been posted: the scheduler never sends those again. Every other kind
    means nothing was posted (the core's delivery path makes any error after a part was posted UNCERTAIN).
    """
    if isinstance(exc, ChatMigrated):
        return DeliveryError(DeliveryFailure.MIGRATED, describe(exc), new_chat_id=str(exc.new_chat_id))
    if is_gone(exc):
        return DeliveryError(DeliveryFailure.GONE, describe(exc))
    if not not_posted(exc):
        return DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {describe(exc)}")
    return DeliveryError(DeliveryFailure.TRANSIENT, describe(exc))
