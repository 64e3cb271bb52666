"""Which quote a chat gets next: a per-chat shuffled order, so nothing repeats until every quote was sent once."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Iterable, Sequence

from bot.content.model import Quote


def quote_id(quote: Quote) -> str:
    """A short id for a quote that survives edits elsewhere in its talk (its talk and its words)."""
    digest = hashlib.blake2s(f"{quote.passage.talk_id}\n{quote.text}".encode(), digest_size=6)
    return digest.hexdigest()


def pool_ids(quotes: Iterable[Quote]) -> list[str]:
    """The distinct ids of some quotes, in order."""
    return list(dict.fromkeys(quote_id(q) for q in quotes))


def next_quote(order: Sequence[str], position: int, pool: Sequence[str], rng: random.Random,
               known: Collection[str] | None = None) -> tuple[str, list[str], int]:
    """The next quote id for a chat, with the order and position to store for the following one.

    ``order[:position]`` were sent in the current cycle and ``order[position:]`` were not. The order keeps ids
    outside the pool (a chat that switches from all talks to one talk and back keeps its history); the pool
    only decides which of the unsent ids may be chosen. Ids not in ``known`` (the whole library, when given)
    are dropped: they can never be sent again. Quotes new to the pool are slotted into the unsent rest at
    random. When every quote of the pool was sent, a new cycle starts for the pool (quotes outside it stay
    sent) with a fresh shuffle that does not open with the quote sent last.

    The chosen id is stored at ``order[position - 1]``: releasing a claim steps the position back by one, and
    the same quote is chosen next.
    """
    if not pool:
        raise ValueError("there are no quotes to choose from")
    available = dict.fromkeys(pool)
    position = max(0, min(position, len(order)))
    seen: set[str] = set()
    sent: list[str] = []
    rest: list[str] = []
    for index, key in enumerate(order):
        if key in seen or (known is not None and key not in known and key not in available):
            continue
        seen.add(key)
        (sent if index < position else rest).append(key)
    fresh = [key for key in available if key not in seen]
    rng.shuffle(fresh)
    for key in fresh:
        rest.insert(rng.randint(0, len(rest)), key)
    chosen = next((key for key in rest if key in available), None)
    if chosen is None:  # every quote of the pool was sent in this cycle: a new one for the pool
        last = order[position - 1] if position else None
        cycle = list(available)
        rng.shuffle(cycle)
        if len(cycle) > 1 and cycle[0] == last:
            swap = rng.randint(1, len(cycle) - 1)
            cycle[0], cycle[swap] = cycle[swap], cycle[0]
        sent = [key for key in sent if key not in available]
        rest = cycle + rest
        chosen = cycle[0]
    rest.remove(chosen)
    return chosen, [*sent, chosen, *rest], len(sent) + 1
