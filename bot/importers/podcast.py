"""Podcasting 2.0 JSON transcripts to cues: segments[{speaker, startTime, endTime, body}]."""

from __future__ import annotations

from pathlib import Path

from bot.importers.cues import Cue, clean_markup
from bot.importers.jsonutil import entries, load_json, number, text_field


def parse_podcast(path: Path, text: str) -> list[Cue]:
    """One cue per segment, with its speaker when given."""
    out: list[Cue] = []
    for index, segment in enumerate(entries(path, load_json(path, text), "segments")):
        where = f"segments[{index}]"
        body = clean_markup(text_field(segment, "body"))
        if body:
            start, end = number(path, segment, "startTime", where), number(path, segment, "endTime", where)
            out.append(Cue(start, end, body, text_field(segment, "speaker").strip() or None, where))
    return out
