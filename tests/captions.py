"""Caption files made from a talk's text for the import tests: SRT, YouTube-style rolling VTT, Whisper JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.content.loader import load_talk

_CHUNK = re.compile(r"[^，。！？；、,.!?;]{1,14}[，。！？；、,.!?;”]*|.{1,14}")


@dataclass(frozen=True)
class Timed:
    """A caption cue: start and end in seconds, text."""

    start: float
    end: float
    text: str


def seed_cues(path: Path, seconds_per_char: float = 0.22) -> list[Timed]:
    """A Chinese talk's speaker paragraphs cut into short cues, spoken at a steady pace with pauses between."""
    talk = load_talk(path)
    at = 3.0
    cues: list[Timed] = []
    for passage in talk.passages:
        if passage.role != "speaker":
            continue
        for piece in _CHUNK.findall(passage.text.replace(" ", "")):
            length = seconds_per_char * len(piece)
            cues.append(Timed(round(at, 3), round(at + length, 3), piece))
            at += length + 0.05
        at += 2.0  # a breath between paragraphs
    return cues


def english_words(cues: list[Timed]) -> list[Timed]:
    """The words of cues, each with its share of the cue's time."""
    out: list[Timed] = []
    for cue in cues:
        words = cue.text.split()
        step = (cue.end - cue.start) / max(len(words), 1)
        out.extend(Timed(cue.start + i * step, cue.start + (i + 1) * step, w) for i, w in enumerate(words))
    return out


def spoken_at(cues: list[Timed], text: str) -> float:
    """When the first characters of a text are said (spaces ignored)."""
    joined = ""
    times: list[float] = []
    for cue in cues:
        piece = cue.text.replace(" ", "")
        step = (cue.end - cue.start) / max(len(piece), 1)
        joined += piece
        times.extend(cue.start + i * step for i in range(len(piece)))
    key = text.replace(" ", "")[:10]
    return times[joined.index(key)]


def _clock(seconds: float, comma: bool = False) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{millis:03d}"
    return text.replace(".", ",") if comma else text


def to_srt(cues: list[Timed]) -> str:
    """SubRip text."""
    return "".join(f"{n}\n{_clock(c.start, True)} --> {_clock(c.end, True)}\n{c.text}\n\n"
                   for n, c in enumerate(cues, start=1))


def _inline(cue: Timed, words: list[str]) -> str:
    step = (cue.end - cue.start) / max(len(words), 1)
    out = words[0]
    for i, word in enumerate(words[1:], start=1):
        out += f"<{_clock(cue.start + i * step)}><c>{word}</c>"
    return out


def to_youtube_vtt(cues: list[Timed], split_words: bool = False) -> str:
    """Rolling two-line auto-captions as YouTube writes them: the previous line repeated above the new one
    (which carries word timings), and a 10 ms 'hold' cue showing the new line alone."""
    out = ["WEBVTT\nKind: captions\nLanguage: zh\n"]
    previous = ""
    for cue in cues:
        words = [f" {w}" for w in cue.text.split()] if split_words else re.findall(r".{1,3}", cue.text)
        if split_words:
            words[0] = words[0].strip()
        out.append(f"{_clock(cue.start)} --> {_clock(cue.end - 0.01)} align:start position:0%\n"
                   f"{previous}\n{_inline(cue, words)}\n")
        out.append(f"{_clock(cue.end - 0.01)} --> {_clock(cue.end)} align:start position:0%\n{cue.text}\n \n")
        previous = cue.text
    return "\n".join(out)


def to_whisper_json(cues: list[Timed]) -> str:
    """Whisper JSON with word timings."""
    segments = []
    for n, cue in enumerate(cues):
        chars = list(cue.text)
        step = (cue.end - cue.start) / max(len(chars), 1)
        words = [{"word": ch, "start": round(cue.start + i * step, 3), "end": round(cue.start + (i + 1) * step, 3)}
                 for i, ch in enumerate(chars)]
        segments.append({"id": n, "start": cue.start, "end": cue.end, "text": cue.text, "words": words})
    return json.dumps({"text": "".join(c.text for c in cues), "segments": segments, "language": "zh"},
                      ensure_ascii=False)


def read_srt(path: Path) -> list[Timed]:
    """The cues of a simple SRT file (for the hand-written English fixture)."""
    out: list[Timed] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.split("\n")
        start, end = (s.strip().replace(",", ".") for s in lines[1].split("-->"))
        out.append(Timed(_seconds(start), _seconds(end), " ".join(lines[2:])))
    return out


def _seconds(text: str) -> float:
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
