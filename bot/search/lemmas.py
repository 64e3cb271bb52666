"""Irregular English forms and their dictionary form (chose → choose, children → child), from lemminflect.

Snowball stems meet regular forms (builds, building → build) but not irregular ones (built). The table
holds only the forms whose stem differs from their lemma's: about 1,100 words. Only lemminflect's data file
is read (word,part of speech,lemma/lemma lines), with the standard library; reading all of it takes a
fraction of a second, so a built table is kept with the search caches (dictionary.py) and handed back with
`use()` on later starts.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

DATA_FILE = "lemminflect/resources/lemma_lu.csv.gz"  # where the lemminflect package installs its lemmas
INFLECTED = frozenset({"verb", "aux", "noun"})  # adjectives keep their degree (strongest is not strong)

_table: dict[str, str] | None = None


def use(table: Mapping[str, str]) -> None:
    """Use a table built earlier (as `table()` returned it) instead of building one."""
    global _table
    _table = dict(table)


def table(snowball: Callable[[str], str]) -> dict[str, str]:
    """Irregular form → lemma, for lower-case words with one lemma whose stem differs; built once."""
    global _table
    if _table is None:
        _table = _build(snowball)
    return _table


def _build(snowball: Callable[[str], str]) -> dict[str, str]:
    lemmas: dict[str, set[str]] = {}
    tags: dict[str, set[str]] = {}
    try:
        path = Path(str(metadata.distribution("lemminflect").locate_file(DATA_FILE)))
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                word, tag, found = line.rstrip("\n").split(",", 2)
                tags.setdefault(word, set()).add(tag)
                lemmas.setdefault(word, set()).update(found.split("/"))
    except (OSError, ValueError, metadata.PackageNotFoundError) as exc:  # regular stems still meet
        log.warning("English lemma tables unavailable (%s); irregular forms are matched as written", exc)
        return {}
    out: dict[str, str] = {}
    for word, forms in lemmas.items():
        if len(forms) != 1 or not word.isalpha() or not word.islower() or not tags[word] <= INFLECTED:
            continue  # two readings, proper names, words of other parts of speech ("left" the side)
        form = next(iter(forms))
        if snowball(form) != snowball(word):
            out[word] = form
    return out
