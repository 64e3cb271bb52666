"""Plain text to cues: paragraphs separated by blank lines, each optionally opened by a [m:ss] time."""

from __future__ import annotations

from pathlib import Path

from bot.content.times import parse_mark
from bot.importers.cues import Cue, ImportFailure, join_text


def parse_text(path: Path, text: str) -> list[Cue]:
    """One cue per paragraph; a paragraph without a time takes none (the talk then has no times there)."""
    out: list[Cue] = []
    lines: list[str] = []
    first = 0
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.strip():
            if not lines:
                first = number
            lines.append(line.strip())
            continue
        if not lines:
            continue
        body = ""
        for piece in lines:
            body = join_text(body, piece)
        lines = []
        start: float | None = None
        mark = parse_mark(body)
        if mark is not None:
            seconds, problem = mark
            if problem:
                raise ImportFailure(path, problem, f"line {first}")
            start = float(seconds)
            body = body[body.index("]") + 1:].strip()
        if body:
            out.append(Cue(start, start, body, None, f"line {first}"))
    return out
