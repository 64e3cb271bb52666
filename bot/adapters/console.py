"""The console adapter: type commands at a prompt, or pipe them in one per line."""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from typing import TextIO

from bot.content.times import format_time
from bot.core.types import Block, Core, Reply, Request, Target


def render_block(block: Block) -> str:
    """One reply block as plain text."""
    if block.kind == "title":
        return f"== {block.text} =="
    if block.kind == "item":
        return "• " + block.text.replace("\n", "\n  ")
    text = f"“{block.text}”" if block.kind == "quote" else block.text
    c = block.citation
    if c is not None:
        text += f"\n    — {c.speaker} · {c.talk_title} · {c.section} ¶{c.paragraph}"
        if c.start is not None:
            text += f" · ▶ {format_time(c.start)}"
        if c.link or c.url:
            text += f"\n      {c.link or c.url}"
    return text


def render(reply: Reply) -> str:
    """A reply as plain text, buttons shown as the commands they run."""
    parts = [render_block(b) for b in reply.blocks]
    buttons = [f"[{b.label}: {b.url}]" if b.url else f"[{b.label}: /{b.command} {b.args}]" for b in reply.buttons]
    if buttons:
        parts.append("  ".join(buttons))
    if reply.attachment is not None:
        parts.append(f"[file written to {reply.attachment.path}]")
    return "\n\n".join(parts)


def parse_line(line: str) -> tuple[str, str]:
    """'/cmd args' → (cmd, args), split at any white space (tab, ideographic space); other text is /ask."""
    line = line.strip()
    if line.startswith("/"):
        command, *rest = re.split(r"\s", line[1:], maxsplit=1)
        return command, rest[0] if rest else ""
    return "ask", line


class ConsoleAdapter:
    """Reads commands from a stream and prints the replies; broadcasts are printed too."""

    platform = "console"

    def __init__(self, core: Core, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.core = core
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.user = getpass.getuser() if hasattr(getpass, "getuser") else "console"
        self.done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._interactive = self.stdin.isatty()
        self._votes: dict[str, str] = {}  # "up"/"down" → the feedback arguments of the last rated answer
        if hasattr(self.stdin, "reconfigure"):
            self.stdin.reconfigure(errors="replace")  # a stray byte costs one character, not the console

    async def start(self) -> None:
        """Begin reading commands in the background."""
        self._task = asyncio.create_task(self._loop(), name="console")

    async def _readline(self) -> str:
        if self._interactive:
            self.stdout.write("> ")
            self.stdout.flush()
        return await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)

    async def _loop(self) -> None:
        try:
            if self._interactive:
                self._print("transcript-bot console. Type /help, /ask <question>, /quote, /summary; Ctrl-D quits.")
            while True:
                line = await self._readline()
                if not line:
                    break
                command, args = parse_line(line)  # a blank line is an empty question: it gets the usage hint
                if command == "feedback":  # `/feedback up|down` rates the last answer
                    args = self._votes.get(args.strip().lower(), args)
                request = Request("console", "console", self.user, command, args, chat_kind="private",
                                  can_manage_chat=True)
                reply = await self.core.handle(request)
                if any(b.command == "feedback" for b in reply.buttons):
                    self._votes = {b.args.split()[0]: b.args for b in reply.buttons if b.command == "feedback"}
                if not self._print(render(reply)):
                    break
        finally:
            self.done.set()

    def _print(self, text: str) -> bool:
        """Write a reply; False when the reader went away (e.g. `... run | head`)."""
        try:
            self.stdout.write(text + "\n\n")
            self.stdout.flush()
        except (BrokenPipeError, OSError):
            self.done.set()
            return False
        return True

    async def stop(self) -> None:
        """Stop reading (a blocked read of the terminal is abandoned)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.done.set()

    async def send(self, target: Target, reply: Reply) -> None:
        """Print a broadcast."""
        self._print(f"[{target.chat_id}] " + render(reply))

    def is_connected(self) -> bool:
        """The console is always there."""
        return True
