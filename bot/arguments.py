"""Command-line arguments checked before anything runs: valid text, numbers in range."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from bot.config import ConfigError
from bot.storage.store import clean_text

MAX_LIMIT = 1000
MAX_DAYS = 36_600  # a hundred years


def check_arguments(args: argparse.Namespace) -> None:
    """ConfigError for an argument that is not valid text (undecodable bytes) or a number out of range."""
    for name, value in vars(args).items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and clean_text(text) != text:
                shown = clean_text(text)[:40]
                option = name if name in ("query", "path", "file", "dir") else "--" + name.replace("_", "-")
                raise ConfigError(f"{option}: {shown!r} holds bytes that are not valid text in this locale (UTF-8 "
                                  "expected)")
    limit = getattr(args, "limit", None)
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"--limit: expected a number from 1 to {MAX_LIMIT}")
    days = getattr(args, "days", None)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days: expected a positive number of days, at most {MAX_DAYS}")
    max_age = getattr(args, "max_age", None)
    if max_age is not None and not 0 < max_age < float("inf"):  # also refuses nan
        raise ConfigError("--max-age: expected a positive number of seconds")


def quiet_stdout() -> None:
    """Send further output nowhere: the interpreter's own flush at exit must not fail again."""
    with contextlib.suppress(OSError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout is closed by the interpreter at exit)
