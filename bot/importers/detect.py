"""Which format a file is in, told from its content (the extension only breaks a tie)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.importers.cues import Cue, ImportFailure
from bot.importers.plaintext import parse_text
from bot.importers.podcast import parse_podcast
from bot.importers.subtitles import parse_srt, parse_vtt
from bot.importers.whisper import parse_whisper_json, parse_whisper_tsv
from bot.importers.youtube_json3 import parse_json3

Parser = Callable[[Path, str], list[Cue]]
_SRT_TIMING = re.compile(r"^\s*\d+\s*\n\s*(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}\s*-->", re.M)
FORMATS: dict[str, Parser] = {
    "webvtt": parse_vtt,
    "srt": parse_srt,
    "whisper-json": parse_whisper_json,
    "whisper-tsv": parse_whisper_tsv,
    "youtube-json3": parse_json3,
    "podcast-json": parse_podcast,
    "text": parse_text,
}


def detect(path: Path, text: str) -> str:
    """The format name of a file's text (a key of FORMATS)."""
    head = text.lstrip("\ufeff \t\n")[:4096]
    if head.startswith("WEBVTT"):
        return "webvtt"
    if head.startswith(("{", "[")):
        if '"events"' in text[:200_000] and "tStartMs" in text[:200_000]:
            return "youtube-json3"
        if "startTime" in text[:200_000] and '"body"' in text[:200_000]:
            return "podcast-json"
        if '"segments"' in text[:200_000]:
            return "whisper-json"
        if head.startswith("{") and path.suffix.lower() == ".json":
            raise ImportFailure(path, "is JSON, but neither Whisper (segments), YouTube json3 (events) nor a "
                                      "Podcasting 2.0 transcript (segments with startTime and body)")
    if head.split("\n", 1)[0].strip().lower().replace(" ", "") == "start\tend\ttext".replace(" ", ""):
        return "whisper-tsv"
    if _SRT_TIMING.search(head):
        return "srt"
    if "-->" in head and path.suffix.lower() == ".vtt":
        raise ImportFailure(path, "looks like WebVTT but does not start with 'WEBVTT'", "line 1")
    if "-->" in head and path.suffix.lower() == ".srt":
        return "srt"
    return "text"


def parse_file(path: Path, text: str) -> tuple[str, list[Cue]]:
    """The format and the cues of a file's text."""
    name = detect(path, text)
    return name, FORMATS[name](path, text)
