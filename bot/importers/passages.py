"""Cues (2-5 s caption fragments) joined into passages the size of a transcript paragraph.

Passages break at sentence ends (Chinese and Latin), at every change of speaker, and, in captions without
punctuation, at pauses of PAUSE_SECONDS or more, always within the size bounds, and never inside a word.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, replace

from bot.importers.cues import Cue, join_text

PAUSE_SECONDS = 1.5
SIZES = {"zh": (40, 150, 300), "en": (25, 80, 150)}  # (least, aim, most): characters for zh, words for en
_SENTENCE_END = re.compile(r"(?:[。！？!?]|(?<![A-Z])(?<!\b[A-Za-z])\.(?!\d))[”’」』\"')）]*(?=\s|$)|[。！？][”’」』]*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
_PREFIX = re.compile(
    r"^([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,2}|[\u4e00-\u9fff]{1,6}|Speaker \d+|SPEAKER_\d+)\s?[:：]\s+")
_TURN = re.compile(r"^(?:>>|&gt;&gt;|-\s)\s*")
_SOUND_FIRST = frozenset("[(（【♪")
_SOUND = re.compile(r"^[\[(（【]\s*[A-Za-z\u4e00-\u9fff ]{1,30}\s*[\])）】]$|^♪+.*♪*$")


@dataclass(frozen=True, slots=True)
class Draft:
    """A passage to write: its start (None when untimed), speaker and text."""

    start: float | None
    speaker: str | None
    text: str


def size(text: str, language: str) -> int:
    """How long a text is: Chinese characters plus Latin words for zh, words for en."""
    if language == "zh":
        return len(_CJK.findall(text)) + len(_LATIN_WORD.findall(text))
    return len(text.split())


def guess_language(cues: list[Cue]) -> str:
    """zh when Chinese characters make up much of the text, else en."""
    sample = "".join(c.text for c in cues[:2000])
    cjk = len(_CJK.findall(sample))
    return "zh" if cjk >= max(1, len(sample.replace(" ", ""))) * 0.3 else "en"


def assign_speakers(cues: list[Cue]) -> list[Cue]:
    """Speakers from 'Name:' prefixes (once some name opens two cues) and '>>' turn marks; a cue without one is
    said by whoever spoke before it."""
    names = Counter(m.group(1) for c in cues if c.speaker is None and (m := _PREFIX.match(c.text)))
    # the convention is in use once one name opens two cues; then every such prefix names a speaker
    known = set(names) if any(count >= 2 for count in names.values()) else set()
    out: list[Cue] = []
    current: str | None = None
    turns = 0
    for cue in cues:
        text, speaker = cue.text, cue.speaker
        if text[:1] in _SOUND_FIRST and _SOUND.match(text.strip()):
            continue
        turn = _TURN.match(text) if text[:1] in ">&-" else None
        if turn and not speaker:
            text = text[turn.end():]
            turns += 1
            speaker = current = f"\x00{turns}"  # an unnamed new voice: breaks the passage, named later
        match = _PREFIX.match(text) if speaker is None else None
        if match and match.group(1) in known:
            speaker, text = match.group(1), text[match.end():]
        current = speaker or current
        text = text.strip()
        if text:
            out.append(cue if text == cue.text and current == cue.speaker else replace(cue, text=text,
                                                                                       speaker=current))
    return out


def _pieces(cue: Cue) -> list[Cue]:
    """A cue split after each sentence end, times shared out by length."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(cue.text)]
    if not cuts or cuts == [len(cue.text)]:
        return [cue]
    bounds = [0, *[c for c in cuts if c < len(cue.text)], len(cue.text)]
    out: list[Cue] = []
    length = max(len(cue.text), 1)
    for a, b in itertools.pairwise(bounds):
        text = cue.text[a:b].strip()
        if not text:
            continue
        if cue.start is None or cue.end is None:
            out.append(replace(cue, text=text))
        else:
            span = cue.end - cue.start
            out.append(replace(cue, text=text, start=cue.start + span * a / length, end=cue.start + span * b / length))
    return out


def _split_long(cue: Cue, most: int, language: str) -> list[Cue]:
    """A piece longer than a passage may be, cut at commas, then spaces (or characters in Chinese)."""
    if size(cue.text, language) <= most:
        return [cue]
    if language == "zh":
        clauses = re.findall(r"[^，,；;、]+[，,；;、]?", cue.text)
        tokens = [t[i : i + most] for t in clauses for i in range(0, len(t), most)]
    else:
        tokens = cue.text.split(" ")
    texts: list[str] = []
    current = ""
    for token in tokens:
        joined = current + token if language == "zh" else join_text(current, token)
        if current and size(joined, language) > most:
            texts.append(current)
            current = token
        else:
            current = joined
    if current:
        texts.append(current)
    total = max(sum(len(t) for t in texts), 1)
    result: list[Cue] = []
    done = 0
    for text in texts:
        start = None if cue.start is None or cue.end is None else cue.start + (cue.end - cue.start) * done / total
        result.append(replace(cue, text=text.strip(), start=start, end=cue.end if start is not None else None))
        done += len(text)
    return result


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.rstrip()[-3:] if text.rstrip() else ""))


def join_cues(cues: list[Cue], language: str) -> list[Draft]:
    """Passages from cues in order (see the module docstring for where they break)."""
    least, aim, most = SIZES.get(language, SIZES["en"])
    units = [p for cue in cues for piece in _pieces(cue) for p in _split_long(piece, most, language)]
    punctuated = sum(_ends_sentence(u.text) for u in units) * 40 >= max(1, sum(size(u.text, language) for u in units))
    drafts: list[Draft] = []
    text = ""
    first: Cue | None = None
    for index, unit in enumerate(units):
        if first is None:
            first = unit
        text = join_text(text, unit.text)
        nxt = units[index + 1] if index + 1 < len(units) else None
        if nxt is None:
            break
        length = size(text, language)
        gap = (nxt.start - unit.end) if nxt.start is not None and unit.end is not None else 0.0
        sentence = _ends_sentence(unit.text)
        cut = (
            nxt.speaker != unit.speaker
            or (length + size(nxt.text, language) > most and length >= least)
            or length >= most
            or (sentence and length >= aim)
            or (length >= least and gap >= PAUSE_SECONDS and (sentence or not punctuated))
        )
        if cut:
            drafts.append(Draft(first.start, first.speaker, text))
            text, first = "", None
    if first is not None and text:
        last = Draft(first.start, first.speaker, text)
        if (drafts and drafts[-1].speaker == last.speaker and size(last.text, language) < least
                and size(drafts[-1].text, language) + size(last.text, language) <= most):
            drafts[-1] = replace(drafts[-1], text=join_text(drafts[-1].text, last.text))
        else:
            drafts.append(last)
    return drafts
