"""SubRip (.srt) and WebVTT (.vtt) files to cues, read with webvtt-py; YouTube's rolling captions de-duplicated."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from bot.importers.cues import Cue, ImportFailure, clean_markup, join_text

_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_INLINE = re.compile(r"<((?:\d+:)?\d{2}:\d{2}\.\d{3})>")
_VOICE = re.compile(r"<v(?:\.[\w-]+)*\s+([^>]+?)\s*>")
_ASS = re.compile(r"\{\\[^}]*\}")
WORD_PAUSE = 1.0  # seconds of silence between two timed words that may end a passage


def _seconds(value: str) -> float:
    parts = value.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def _check_timings(path: Path, text: str) -> None:
    """Every line with '-->' must be a whole timing line: a cut-off or garbled one is named."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "-->" in line and not _TIMING.match(line):
            raise ImportFailure(path, f"malformed or cut-off cue timing {line.strip()[:60]!r}", f"line {number}")


def _cue_lines(text: str) -> dict[int, int]:
    """Cue number (from 0) → line of its timing, for messages."""
    lines: dict[int, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if "-->" in line:
            lines[len(lines)] = number
    return lines


def _joined(words: list[str]) -> str:
    text = ""
    for word in words:
        text = join_text(text, word)
    return text


def _words(raw: str, start: float, end: float, where: str, speaker: str | None) -> list[Cue]:
    """A line with inline word timings ('so<00:00:00.480><c> I</c>...'): one cue per run of words, a new one
    after each silence long enough to end a passage (a word's own end is not given: estimated from its length)."""
    pieces = _INLINE.split(raw)
    times = [start] + [_seconds(t) for t in pieces[1::2]]
    texts = [clean_markup(p) for p in pieces[0::2]]
    out: list[Cue] = []
    words: list[str] = []
    begun = start
    said_until = start
    for at, word in zip(times, texts, strict=True):
        if not word:
            continue
        if words and at - said_until >= WORD_PAUSE:
            out.append(Cue(begun, said_until, _joined(words), speaker, where))
            words = []
        if not words:
            begun = at
        words.append(word)
        said_until = at + 0.1 + 0.07 * len(word)
    if words:
        out.append(Cue(begun, max(begun, min(end, said_until)), _joined(words), speaker, where))
    return out


def _from_captions(path: Path, captions: list[webvtt.Caption], text: str) -> list[Cue]:
    rows = _cue_lines(text)
    raw_cues: list[tuple[float, float, list[str], str]] = []
    for number, caption in enumerate(captions):
        try:
            start = caption.start_time.in_milliseconds() / 1000
            end = caption.end_time.in_milliseconds() / 1000
        except (MalformedCaptionError, ValueError):
            raise ImportFailure(path, "bad cue time", f"cue {number + 1}") from None
        where = f"cue {number + 1} (line {rows.get(number, 0)})"
        raw_cues.append((start, end, [_ASS.sub("", line) for line in caption.lines], where))
    inline = any(_INLINE.search(line) for _, _, lines, _ in raw_cues for line in lines)
    rolling = inline or _looks_rolling(raw_cues)
    out: list[Cue] = []
    recent: list[str] = []  # the last lines emitted, to drop YouTube's repeats
    speaker: str | None = None
    for start, end, lines, where in raw_cues:
        for raw in lines:
            voice = _VOICE.search(raw)
            if voice:
                speaker = clean_markup(voice.group(1)) or speaker
            clean = clean_markup(_INLINE.sub("", raw))
            if not clean:
                continue
            if rolling:
                if clean in recent:
                    continue
                grown = next((r for r in recent if clean.startswith(r + " ")), None)
                if grown is not None:  # a line that grows word by word: keep only the new words
                    raw = clean = clean[len(grown) + 1:]
                recent = [*recent[-2:], clean]
            if _INLINE.search(raw):
                out.extend(_words(_VOICE.sub("", raw), start, end, where, speaker))
            else:
                out.append(Cue(start, end, clean, speaker, where))
    return out


def _looks_rolling(cues: list[tuple[float, float, list[str], str]]) -> bool:
    """Rolling captions: cues that begin by repeating the line the cue before ended with."""
    repeats = total = 0
    for (_, _, before, _), (_, _, lines, _) in itertools.pairwise(cues):
        before_clean = [x for x in map(clean_markup, before) if x]
        now = [x for x in map(clean_markup, lines) if x]
        if not before_clean or not now:
            continue
        total += 1
        repeats += now[0] == before_clean[-1]
    return total > 0 and repeats >= max(2, total // 3)


def parse_vtt(path: Path, text: str) -> list[Cue]:
    """A WebVTT file (voice tags, YouTube auto-captions with word timings and repeated lines)."""
    _check_timings(path, text)
    try:
        parsed = webvtt.WebVTT.from_buffer(io.StringIO(text), format="vtt", strict=True)
    except MalformedFileError:
        raise ImportFailure(path, "is not a WebVTT file (it must start with 'WEBVTT')", "line 1") from None
    except MalformedCaptionError as exc:
        raise ImportFailure(path, f"malformed cue: {str(exc)[:80]}") from None
    return _from_captions(path, list(parsed.captions), text)


def parse_srt(path: Path, text: str) -> list[Cue]:
    """A SubRip file."""
    _check_timings(path, text)
    try:
        parsed = webvtt.WebVTT.from_buffer(io.StringIO(text), format="srt")
    except (MalformedFileError, MalformedCaptionError):
        raise ImportFailure(path, "is not a SubRip file (numbered cues with 00:00:01,000 --> 00:00:02,000 times)",
                            "line 1") from None
    return _from_captions(path, list(parsed.captions), text)
