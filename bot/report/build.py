"""Write the report file: gather the figures, render the page, write a temporary file and rename it."""

from __future__ import annotations

import contextlib
import importlib
import os
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from bot.storage.report import ReportData, collect, connect

if TYPE_CHECKING:
    from bot.report.page import PassageText


class ReportError(RuntimeError):
    """The report cannot be made; the message says why in one line."""


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


_loading: list[threading.Thread] = []


def preload_charts() -> threading.Thread:
    """Start importing the plotting library in a thread (once): SQLite lets go of the GIL while it aggregates,
    so the two overlap."""
    if not _loading:
        thread = threading.Thread(target=importlib.import_module, args=("bot.report.page",), daemon=True)
        thread.start()
        _loading.append(thread)
    return _loading[0]


def build_report(database: Path, out: Path, days: int | None = None, talk: str | None = None,
                 passage_text: PassageText | None = None, now: float | None = None) -> ReportData:
    """Make the report of a database into out (an HTML file); return its figures."""
    if not database.is_file():
        raise ReportError(f"BOT_DATABASE={database}: no database there yet (has the bot run with it?)")
    if out.is_dir():
        raise ReportError(f"--out {out}: expected a file name such as report.html; it is a folder")
    loading = preload_charts()
    try:
        db = connect(database)
        try:
            data = collect(db, days, talk, now)
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise ReportError(f"BOT_DATABASE={database}: cannot read the usage log ({exc})") from None
    loading.join()
    from bot.report.page import render
    try:
        write_atomically(out, render(data, passage_text))
    except OSError as exc:
        raise ReportError(f"--out {out}: cannot write the report ({exc.strerror or exc})") from None
    return data
