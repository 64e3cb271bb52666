"""Logging: one line per event, and no secret ever printed (tokens are redacted at every level)."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable
from typing import TextIO

REDACTED = "[redacted]"
# Telegram bot tokens (also inside Bot API URLs, plain or percent-encoded) and Discord bot tokens, even when
# they are not the configured ones (a token pasted into a query, or one from another deployment).
_TOKEN_PATTERNS = (
    re.compile(r"\d{3,20}(?::|%3[Aa])[A-Za-z0-9_-]{30,64}"),
    re.compile(r"[A-Za-z0-9_-]{20,40}\.[A-Za-z0-9_-]{5,10}\.[A-Za-z0-9_-]{25,60}"),
)
# Discord interaction tokens: in webhook and callback URLs, and in the "token" field of logged payloads.
_TOKEN_AFTER = (
    re.compile(r"(/(?:webhooks|interactions)/\d+/)[\w.-]+"),
    re.compile(r"""(["']token["']\s*:\s*["'])[^"']+"""),
)
MIN_SECRET_CHARS = 6  # shorter strings would hide innocent text
QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "aiosqlite", "asyncio")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _secret_parts(secret: str) -> Iterable[str]:
    """A secret and, for a Telegram token, its secret half (it can appear on its own, e.g. percent-encoded)."""
    yield secret
    _, colon, rest = secret.partition(":")
    if colon and rest:
        yield rest


class RedactingFilter(logging.Filter):
    """Replaces secrets in a record's message, arguments, exception text and stack with [redacted]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Redact these strings too."""
        known = set(self.secrets)
        for secret in secrets:
            if secret:
                known.update(p for p in _secret_parts(secret) if len(p) >= MIN_SECRET_CHARS)
        self.secrets = sorted(known, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every known secret and token-shaped string replaced."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(REDACTED, text)
        for pattern in _TOKEN_AFTER:
            text = pattern.sub(rf"\1{REDACTED}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (message already formatted, tracebacks as redacted text); never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: show its template and arguments, redacted
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info:
            if record.exc_info[1] is not None:
                text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
                record.exc_text = self.redact(text)
            record.exc_info = None
        elif record.exc_text:  # formatted (and cached) by a handler before this filter
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class OneLineFormatter(logging.Formatter):
    """Keeps every event on one line: tracebacks and multi-line messages are joined with ' | '."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")


_ACTIVE = RedactingFilter()


def guard_loggers(redactor: logging.Filter, prefixes: tuple[str, ...], known: Iterable[str] = (),
                  root: bool = False) -> list[logging.Logger]:
    """Put a redaction filter on every logger under these prefixes (and the named and root ones), at the
    logger itself, so records are redacted before any handler (even a library's own) sees them."""
    names = {*known, *prefixes}
    names |= {n for n in logging.root.manager.loggerDict if n.startswith(prefixes)}
    loggers = ([logging.getLogger()] if root else []) + [logging.getLogger(n) for n in sorted(names)]
    for logger in loggers:
        if redactor not in logger.filters:
            logger.addFilter(redactor)
    return loggers


def protect_handlers() -> int:
    """Put the redaction filter on every handler any logger has (libraries' own handlers, loggers that do not
    propagate, and the last-resort handler); call again after libraries are set up. Returns the handler count."""
    handlers: list[logging.Handler] = list(logging.getLogger().handlers)
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            handlers.extend(logger.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if _ACTIVE not in handler.filters:
            handler.addFilter(_ACTIVE)
    return len(handlers)


def setup_logging(level: str, secrets: Iterable[str] = (), stream: TextIO | None = None) -> RedactingFilter:
    """Configure the root logger: one line per event on stderr, secrets redacted everywhere, noisy clients quiet."""
    _ACTIVE.add(*secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_ACTIVE)
    handler.setFormatter(OneLineFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram's URLs contain the token: keep the HTTP clients at
    # WARNING (the filter would redact the token anyway; this keeps the log readable).
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.captureWarnings(True)
    protect_handlers()
    return _ACTIVE
