"""YouTube's json3 captions to cues: events[{tStartMs, dDurationMs, segs[{utf8, tOffsetMs}]}]."""

from __future__ import annotations

from pathlib import Path

from bot.importers.cues import Cue, clean_markup
from bot.importers.jsonutil import entries, load_json, number


def parse_json3(path: Path, text: str) -> list[Cue]:
    """One cue per timed segment (a word in auto-captions, a line in manual ones)."""
    out: list[Cue] = []
    for index, event in enumerate(entries(path, load_json(path, text), "events")):
        segs = event.get("segs")
        if not isinstance(segs, list):
            continue  # window and style events carry no text
        where = f"events[{index}]"
        start = number(path, event, "tStartMs", where, 0.001)
        end = start + (number(path, event, "dDurationMs", where, 0.001) if "dDurationMs" in event else 0.0)
        timed = [(start + (number(path, s, "tOffsetMs", where, 0.001) if "tOffsetMs" in s else 0.0),
                  clean_markup(str(s.get("utf8", "")))) for s in segs if isinstance(s, dict)]
        for k, (at, word) in enumerate(timed):
            if word:
                following = timed[k + 1][0] if k + 1 < len(timed) else end
                out.append(Cue(at, max(at, min(following, at + 0.1 + 0.07 * len(word))), word, None, where))
    return out
