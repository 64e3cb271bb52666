"""Whisper output to cues: the JSON (segments, optional words and speaker fields) and the TSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.importers.cues import Cue, ImportFailure, clean_markup
from bot.importers.jsonutil import entries, load_json, number, text_field


def _speaker(entry: dict[str, Any]) -> str | None:
    name = text_field(entry, "speaker").strip()
    return name or None


def parse_whisper_json(path: Path, text: str) -> list[Cue]:
    """Whisper / WhisperX JSON: segments[{start, end, text, words?, speaker?}]."""
    out: list[Cue] = []
    for index, segment in enumerate(entries(path, load_json(path, text), "segments")):
        where = f"segments[{index}]"
        start, end = number(path, segment, "start", where), number(path, segment, "end", where)
        speaker = _speaker(segment)
        words = segment.get("words")
        timed = isinstance(words, list) and words and all(
            isinstance(w, dict) and isinstance(w.get("start"), int | float) for w in words)
        if timed:
            assert isinstance(words, list)
            for number_, word in enumerate(words):
                token = clean_markup(text_field(word, "word") or text_field(word, "text"))
                if token:
                    at = number(path, word, "start", f"{where}.words[{number_}]")
                    stop = number(path, word, "end", f"{where}.words[{number_}]") if "end" in word else at
                    out.append(Cue(at, max(at, stop), token, _speaker(word) or speaker, where))
            continue
        content = clean_markup(text_field(segment, "text"))
        if content:
            out.append(Cue(start, end, content, speaker, where))
    return out


def parse_whisper_tsv(path: Path, text: str) -> list[Cue]:
    """Whisper TSV: a 'start<TAB>end<TAB>text' header, then times in milliseconds."""
    lines = text.split("\n")
    out: list[Cue] = []
    for number_, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            raise ImportFailure(path, "expected start, end and text separated by tabs", f"line {number_}")
        try:
            start, end = int(parts[0]) / 1000, int(parts[1]) / 1000
        except ValueError:
            raise ImportFailure(path, f"times are whole milliseconds, got {parts[0][:12]!r}",
                                f"line {number_}") from None
        content = clean_markup(parts[2])
        if content:
            out.append(Cue(start, end, content, None, f"line {number_}"))
    return out
