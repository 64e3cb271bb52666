"""Reading owner-supplied files safely: regular files only, never more than a stated number of bytes."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 5_000_000  # documented in the README: a talk or caption file is at most 5 MB


class FileRefused(ValueError):
    """A file cannot be used: str() is one line saying why (no path; the caller adds it)."""


def is_side_file(name: str) -> bool:
    """Hidden, editor and OS side files: '.*' (also '._*' and Emacs '.#*' locks), '*~' and '#*#'."""
    return name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file (a symbolic link to one is fine), refusing anything else or more than limit.

    A FIFO, a device or a socket is refused without blocking on it (the file is opened non-blocking and
    checked on the open descriptor, so it cannot be swapped in between), and at most limit + 1 bytes are read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO or socket with no writer on some systems
            raise FileRefused("is not a regular file") from None
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise FileRefused("is a folder, not a file")
            raise FileRefused("is not a regular file (a pipe, device or socket); only plain files are read")
        if info.st_size > limit:
            raise FileRefused(f"is larger than {_size(limit)}; split it into several files")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # it grew while being read
            raise FileRefused(f"is larger than {_size(limit)}; split it into several files")
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _size(limit: int) -> str:
    return f"{limit // 1_000_000} MB" if limit >= 1_000_000 and limit % 1_000_000 == 0 else f"{limit} bytes"
