"""Platform-neutral request, reply and adapter contract; nothing here imports a platform library."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, Protocol

ChatKind = Literal["private", "group", "channel"]
BlockKind = Literal["title", "text", "passage", "quote", "item", "hint", "error"]
Outcome = Literal["ok", "no_match", "bad_input", "denied", "error"]
Access = Literal["everyone", "managers", "owners"]
Suggest = Literal["", "passages", "zones"]


@dataclass(frozen=True, slots=True)
class Request:
    """One command as an adapter understood it: who, where, what."""

    platform: str
    chat_id: str
    user_id: str
    command: str
    args: str = ""
    locale: str | None = None
    chat_kind: ChatKind = "private"
    thread_id: str | None = None
    can_manage_chat: bool = False  # fails closed: an adapter says True only when it knows the sender may


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a passage comes from: talk, section, paragraph, who speaks, source link."""

    talk_id: str
    talk_title: str
    section: str
    paragraph: int
    speaker: str
    url: str | None
    start: int | None = None  # seconds into the recording where the words are said
    link: str | None = None  # the recording opened at that moment (the source when there is no time)


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a reply; adapters render each kind in their platform's style."""

    kind: BlockKind
    text: str
    citation: Citation | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a reply: a callback (command + args) or a link."""

    label: str
    command: str = ""
    args: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply (an owner's report): its name, where it was written, its media type."""

    filename: str
    path: str
    media_type: str = "text/html"


@dataclass(frozen=True, slots=True)
class Reply:
    """A command's answer, structured so every adapter can render it within its limits."""

    blocks: tuple[Block, ...]
    buttons: tuple[Button, ...] = ()
    outcome: Outcome = "ok"
    result_count: int = 0
    top_passage: str | None = None
    talk_id: str | None = None
    ephemeral: bool = False
    attachment: Attachment | None = None

    @property
    def plain_text(self) -> str:
        """The reply as plain text (console, logs, tests)."""
        return "\n\n".join(b.text for b in self.blocks)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a broadcast goes: a platform chat, optionally a thread or forum topic."""

    platform: str
    chat_id: str
    thread_id: str | None = None


class DeliveryFailure(Enum):
    """Why a send failed, in terms the scheduler can act on.

    Every kind but UNCERTAIN means nothing was posted: the platform answered with an error, or the request
    never left. UNCERTAIN means the request went out and its outcome is unknown: it must never be resent.
    """

    GONE = "gone"  # blocked, kicked, chat or channel no longer exists / no access
    MIGRATED = "migrated"  # Telegram group became a supergroup; new_chat_id tells where
    TRANSIENT = "transient"  # not posted: a 5xx or other error answer, a rate limit that outlived its retries,
    # no connection, the adapter not running; sending again later is safe
    UNCERTAIN = "uncertain"  # may have been posted: a timeout or a dropped connection after the request went
    # out, or a reply posted in part; sending again could post it twice


@dataclass(slots=True)
class DeliveryError(Exception):
    """Raised by an adapter's send() when a message could not be delivered (or may not have been)."""

    failure: DeliveryFailure
    reason: str
    new_chat_id: str | None = None

    def __str__(self) -> str:
        return f"{self.failure.value}: {self.reason}"

    @property
    def may_have_posted(self) -> bool:
        """Whether the message may be in the chat after all (then it must not be sent again)."""
        return self.failure is DeliveryFailure.UNCERTAIN


class Adapter(Protocol):
    """A platform connection: runs until stopped, and sends replies to a target on request."""

    platform: str

    async def start(self) -> None:
        """Connect and begin handling updates; returns once running."""

    async def stop(self) -> None:
        """Stop taking updates, finish in-flight replies, disconnect."""

    async def send(self, target: Target, reply: Reply) -> None:
        """Deliver a reply to a chat; raise DeliveryError on failure."""

    def is_connected(self) -> bool:
        """True while the platform connection is up (for the health heartbeat)."""


Handler = Callable[[Request], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class OptionInfo:
    """One argument of a command as platforms with typed options (Discord) show it."""

    name: str
    help_en: str
    help_zh: str
    required: bool = False
    suggest: Suggest = ""  # what autocomplete offers: passages, time zones, or nothing


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """A command as adapters see it: name, help in both languages, options and who may use it."""

    name: str
    help_en: str
    help_zh: str
    args_en: str = ""
    args_zh: str = ""
    aliases: tuple[str, ...] = field(default=())
    options: tuple[OptionInfo, ...] = ()
    access: Access = "everyone"
    rights_with_args_only: bool = False  # managers' rights are only needed (and checked) when args are given
    platforms: tuple[str, ...] = ()  # offered only on these platforms (empty: everywhere)

    def offered_on(self, platform: str) -> bool:
        """Whether this command belongs in the platform's menu or command tree."""
        return not self.platforms or platform in self.platforms

    def needs_rights(self, args: str) -> bool:
        """Whether answering these arguments needs to know if the sender manages the chat."""
        return self.access == "managers" and (bool(args.strip()) or not self.rights_with_args_only)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A quick-lookup result (Telegram inline mode, Discord autocomplete)."""

    value: str  # what the platform hands back when chosen: answers with this passage via /ask
    title: str  # short snippet, at most 100 characters
    description: str  # the citation as one line
    reply: Reply  # the full message to post when chosen


class Core(Protocol):
    """What adapters may ask of the core: answer a request, suggest passages, report migrations."""

    default_language: str

    async def handle(self, request: Request) -> Reply:
        """Answer one command (logged in the usage log, never raises)."""

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        """Passages matching request.args for inline/autocomplete; empty args give today's picks."""

    def commands(self) -> list[CommandInfo]:
        """The user-facing commands, for menus and slash-command registration."""

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A chat changed its id (Telegram group → supergroup): move what is stored for it."""

    def register(self, adapter: Adapter) -> None:
        """Make an adapter the sender for its platform (broadcasts use its send())."""

