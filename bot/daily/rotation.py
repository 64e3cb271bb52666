"""Which quote a chat gets next: a per-chat shuffled order, so nothing repeats until every quote was sent once."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence

from bot.content.model import Quote


def quote_id(quote: Quote) -> str:
    """A short id for a quote that survives edits elsewhere in its talk (its talk and its words)."""
    digest = hashlib.blake2s(f"{quote.passage.talk_id}\n{quote.text}".encode(), digest_size=6)
    return digest.hexdigest()


def pool_ids(quotes: Iterable[Quote]) -> list[str]:
    """The distinct ids of some quotes, in order."""
    return list(dict.fromkeys(quote_id(q) for q in quotes))


def next_quote(order: Sequence[str], position: int, pool: Sequence[str],
               rng: random.Random) -> tuple[str, list[str], int]:
    """The next quote id for a chat, with the order and position to store for the following one.

    ``order[:position]`` were sent in the current cycle. Quotes that left the pool are dropped, quotes new to it
    are slotted into the unsent rest at random; when nothing is left a new cycle starts with a fresh shuffle that
    does not open with the quote sent last.
    """
    if not pool:
        raise ValueError("there are no quotes to choose from")
    available = dict.fromkeys(pool)
    position = max(0, min(position, len(order)))
    seen: set[str] = set()
    sent: list[str] = []
    rest: list[str] = []
    for index, key in enumerate(order):
        if key in available and key not in seen:
            seen.add(key)
            (sent if index < position else rest).append(key)
    fresh = [key for key in available if key not in seen]
    rng.shuffle(fresh)
    for key in fresh:
        rest.insert(rng.randint(0, len(rest)), key)
    if not rest:
        last = order[position - 1] if position else None
        rest = list(available)
        rng.shuffle(rest)
        if len(rest) > 1 and rest[0] == last:
            swap = rng.randint(1, len(rest) - 1)
            rest[0], rest[swap] = rest[swap], rest[0]
        sent = []
    return rest[0], sent + rest, len(sent) + 1
