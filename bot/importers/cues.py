"""Timed cues, the one shape every format parser returns, and reading an input file safely."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from bot.content.times import format_time

MAX_INPUT_BYTES = 20_000_000  # a 10-hour SubRip file is about 1.5 MB; anything near this is not captions
JITTER = 1.0  # a cue starting up to this much before the one above it is moved up to it (ASR word timings)
MAX_SECONDS = 24 * 3600.0  # a cue later than a day into the recording is a broken time, not a long talk
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&quot;": '"', "&#39;": "'", "&lrm;": "",
             "&rlm;": ""}


class ImportFailure(ValueError):
    """An input file cannot be imported: str() is 'file: where: problem' on one line."""

    def __init__(self, path: Path | str, problem: str, where: str = "") -> None:
        super().__init__(f"{path}: {where + ': ' if where else ''}{problem}")
        self.path = str(path)
        self.where = where
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Cue:
    """A stretch of speech: start and end in seconds (None when untimed), its text and who says it."""

    start: float | None
    end: float | None
    text: str
    speaker: str | None = None
    where: str = ""  # the cue or line in the input, for messages


def clean_markup(text: str) -> str:
    """Caption text without tags and entities, on one line."""
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        for entity, char in _ENTITIES.items():
            text = text.replace(entity, char)
    return " ".join(text.split())


def decode(path: Path, data: bytes) -> str:
    """The text of an input file: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030/GBK."""
    if not data.strip():
        raise ImportFailure(path, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFailure(path, "starts with a UTF-16 mark but is not valid UTF-16") from None
    head = data[:4096]
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 20:
        raise ImportFailure(path, "is a binary file, not captions or text (expected SRT, VTT, JSON, TSV or text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("gb18030")  # Chinese subtitles saved by older Windows tools (GBK is a subset)
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        raise ImportFailure(path, "is neither UTF-8, UTF-16 nor GBK text; save it as UTF-8",
                            f"line {line}") from None


def read_input(path: Path) -> str:
    """Read a regular file of at most MAX_INPUT_BYTES and decode it; ImportFailure otherwise."""
    try:
        if not path.is_file():
            raise ImportFailure(path, "is not a regular file" if path.exists() else "no such file")
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise ImportFailure(path, f"is {size / 1e6:.0f} MB; caption files over "
                                      f"{MAX_INPUT_BYTES // 1_000_000} MB are refused (split the recording)")
        with path.open("rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise ImportFailure(path, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise ImportFailure(path, f"is over {MAX_INPUT_BYTES // 1_000_000} MB; refused")
    return decode(path, data).replace("\r\n", "\n").replace("\r", "\n")


def check_times(path: Path | str, cues: list[Cue]) -> list[Cue]:
    """Cues in order with sane times: backwards or impossible times fail; overlaps are accepted, and a start
    slightly before the cue above (speech recognisers' word timings) is moved up to it."""
    out: list[Cue] = []
    previous: Cue | None = None
    for cue in cues:
        start, end = cue.start, cue.end
        if start is None or end is None:
            out.append(cue)
            continue
        if start < 0 or end < start:
            raise ImportFailure(path, f"ends before it starts ({stamp(start)} → {stamp(end)})", cue.where)
        if end > MAX_SECONDS:
            raise ImportFailure(path, f"time {stamp(end)} is past 24 hours", cue.where)
        before = previous.start if previous is not None else None
        if before is not None and 0 < before - start <= JITTER:
            start, end = before, max(end, before)  # word-timing jitter
            cue = replace(cue, start=start, end=end)
        if before is not None and start < before:
            raise ImportFailure(path, f"starts at {stamp(start)}, before the cue before it "
                                      f"({stamp(before)}): times go backwards", cue.where)
        out.append(cue)
        previous = cue
    return out


def stamp(seconds: float) -> str:
    """Seconds as m:ss or h:mm:ss, for messages."""
    return format_time(seconds)


def _cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef" or (
        "\u3000" <= char <= "\u303f")


def join_text(left: str, right: str) -> str:
    """Two pieces of text joined: no space beside Chinese, one space between words."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    return left + right if _cjk(left[-1]) or _cjk(right[0]) else f"{left} {right}"
