"""Split long text into chunks within a platform's limit, at paragraph or sentence boundaries."""

from __future__ import annotations

import re

# Sentence ends in Chinese and Latin text; the split keeps the punctuation with its sentence.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|(?<=\.)(?=\s)|(?<=[”’」』）)])(?=\S)")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")


def _pieces(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [p for p in pattern.split(text) if p]


def _hard_split(text: str, limit: int) -> list[str]:
    """Last resort for a run with no boundary: cut at whitespace if any, else at the limit."""
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:]
    if text:
        out.append(text)
    return out


def _units(paragraph: str, limit: int) -> list[str]:
    """Break one paragraph into units no longer than limit: sentences, then clauses, then hard cuts."""
    if len(paragraph) <= limit:
        return [paragraph]
    units: list[str] = []
    for sentence in _pieces(paragraph, _SENTENCE_END):
        if len(sentence) <= limit:
            units.append(sentence)
            continue
        for clause in _pieces(sentence, _CLAUSE_END):
            units.extend([clause] if len(clause) <= limit else _hard_split(clause, limit))
    return units


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most limit characters, preferring paragraph, then sentence ends.

    Paragraphs (separated by blank lines) are packed together while they fit; a paragraph too long
    for one chunk is cut between sentences (Chinese 。！？ as well as Latin . ! ?), then clauses,
    and only as a last resort inside a word. Nothing but whitespace at the cuts is lost.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    current = ""
    for paragraph in re.split(r"\n{2,}", text.strip()):
        if not paragraph.strip():
            continue
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = ""
        for unit in _units(paragraph, limit):
            if len(current) + len(unit) <= limit:
                current += unit
            else:
                chunks.append(current)
                current = unit.lstrip()
    chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


def clip(text: str, limit: int, *, one_line: bool = False) -> str:
    """Text stripped (on one line if asked) and cut to at most `limit` characters, ending in '…' when cut."""
    text = " ".join(text.split()) if one_line else text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
