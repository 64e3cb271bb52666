"""Reading a child process's output in tests without blocking the test on it."""

from __future__ import annotations

import threading


class Collector(threading.Thread):
    """Reads a pipe to the end in the background."""

    def __init__(self, stream: object) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.chunks: list[str] = []

    def run(self) -> None:
        for line in self.stream:  # type: ignore[attr-defined]
            self.chunks.append(line)

    @property
    def text(self) -> str:
        return "".join(self.chunks)
