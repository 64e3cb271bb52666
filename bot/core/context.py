"""What command handlers work with: the talks, the search engine, the store, settings and a clock."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import zip_longest
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.content.model import Library, Passage, Talk
from bot.content.times import moment_link
from bot.core.i18n import language_of, t
from bot.core.types import Block, Citation, Request
from bot.search.engine import SearchEngine
from bot.search.topics import TopicCache, talk_topics
from bot.storage.store import Store

if TYPE_CHECKING:
    from bot.core.spec import CommandSpec

__all__ = ["Clock", "Context", "talk_topics", "utc_now"]

Clock = Callable[[], datetime]
SHOWN_PASSAGE_CHARS = 2000  # a longer passage is shown cut, ending in "…" (check-content warns about it)
_BREAK = re.compile(r"[。！？!?；;.…]\s*|\s+")


def clip_passage(text: str, limit: int = SHOWN_PASSAGE_CHARS) -> str:
    """The text as shown: whole when it fits, else cut at a sentence end or a space near the limit, with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    ends = [m.end() for m in _BREAK.finditer(head, limit * 2 // 3)]
    return head[: ends[-1] if ends else len(head)].rstrip() + "…"


def is_cut(passage: Passage) -> bool:
    """Whether a passage is shown cut (its reply then carries a Context button for it)."""
    return len(passage.text) > SHOWN_PASSAGE_CHARS


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)

HINT_TALKS = 8  # a hint about every talk draws on the first few


@dataclass
class Context:
    """Everything a command handler may use; passed explicitly, never reached through globals."""

    catalog: Library
    engine: SearchEngine
    store: Store
    settings: Settings
    clock: Clock = utc_now
    rng: random.Random = field(default_factory=random.Random)
    topics: TopicCache = field(default_factory=lambda: TopicCache((), None))  # each talk's hint terms
    specs: tuple[CommandSpec, ...] = ()  # every command, as declared (for /help)
    owners: frozenset[str] = frozenset()  # "platform:user id" of the bot's owners
    watchers: dict[str, list[Callable[[], None]]] = field(default_factory=dict)

    def notify(self, topic: str) -> None:
        """Tell the background jobs watching a topic (e.g. "daily") that what they watch changed."""
        for watcher in self.watchers.get(topic, []):
            watcher()

    def is_owner(self, request: Request) -> bool:
        """Whether the sender is one of the bot's owners."""
        return f"{request.platform}:{request.user_id}" in self.owners

    def lang(self, request: Request) -> str:
        """The language of the bot's words for this request."""
        return language_of(request.locale, self.settings.language)

    def citation(self, passage: Passage, lang: str) -> Citation:
        """A passage's citation, with the speaker named for the reader's language."""
        talk = self.catalog.by_id(passage.talk_id)
        if passage.role == "speaker":
            speaker = talk.speaker
        else:
            speaker = f"{passage.speaker} ({t(lang, 'speaker_' + passage.role)})" if passage.role in (
                "questioner", "host") else passage.speaker
        return Citation(talk.id, talk.title, passage.section, passage.number, speaker, talk.source,
                        passage.start, moment_link(talk.source, passage.start))

    def passage_block(self, passage: Passage, lang: str, kind: str = "passage") -> Block:
        """A passage as a reply block with its citation."""
        return Block("quote" if kind == "quote" else "passage", clip_passage(passage.text),
                     self.citation(passage, lang))

    def topics_of(self, talk: Talk | None, lang: str) -> list[str]:
        """The terms a talk (or every talk) covers most, in a language, for 'try asking about' hints."""
        if talk is not None:
            return self.topics.of(talk).get(lang, [])
        merged: list[str] = []
        talks = self.catalog.talks[:HINT_TALKS]  # eight terms are shown: the first talks' topics fill them
        for terms in zip_longest(*(self.topics.of(x).get(lang, []) for x in talks)):  # round robin over talks
            merged.extend(x for x in terms if x and x not in merged)
        return merged[:8]

    def usage_example(self, lang: str) -> str:
        """A question to show in usage hints, about a topic of the loaded talks (never a fixed talk's)."""
        topics = self.topics_of(None, lang)
        if not topics:
            return "是什么" if lang == "zh" else "what is it about?"
        return f"{topics[0]}是什么" if lang == "zh" else f"what is said about {topics[0]}?"
