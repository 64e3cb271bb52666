"""Telegram's logs: no token, no message payloads, no routine tracebacks."""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.logs import RedactingFilter, guard_loggers

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
    guard_loggers(REDACTOR, GUARDED_PREFIXES, KNOWN_LOGGERS)


def token_secrets(token: str) -> tuple[str, str, str]:
    """The token and its halves (the bot's id and the secret), none of which may reach a log."""
    bot_id, _, secret = token.partition(":")
    return token, bot_id, secret
