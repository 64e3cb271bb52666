"""Logging: one line per event, and no secret ever printed (tokens are redacted at every level)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"
# Telegram bot tokens (also inside Bot API URLs) and Discord bot tokens, even when not configured here.
_TOKEN_PATTERNS = (
    re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,64}"),
    re.compile(r"[A-Za-z0-9_-]{20,40}\.[A-Za-z0-9_-]{5,10}\.[A-Za-z0-9_-]{25,60}"),
)
QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "aiosqlite", "asyncio")


class RedactingFilter(logging.Filter):
    """Replaces secrets in a record's message, arguments and exception text with [redacted]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every known secret and token-shaped string replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = self.redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class OneLineFormatter(logging.Formatter):
    """Keeps every event on one line: tracebacks and multi-line messages are joined with ' | '."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")


def setup_logging(level: str, secrets: Iterable[str] = (), stream: object = None) -> RedactingFilter:
    """Configure the root logger: one line per event on stderr, secrets redacted, noisy clients quiet."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram's URLs contain the token: keep it at WARNING.
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redactor
