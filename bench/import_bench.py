"""Import speed: a 3-hour caption file (about 2,500 cues) as SubRip and as YouTube rolling auto-captions.

    python -m bench.import_bench [--cues 2500]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from bot.importers.command import import_file
from bot.importers.writer import TalkHeader
from tests.captions import Timed, to_srt, to_youtube_vtt

WORDS = (
    "data", "model", "scaling", "compute", "reasoning", "agents", "internet", "fuel",
    "training", "network", "language", "learning", "people", "future", "systems", "tokens",
    "ideas", "question", "answer", "research", "paper", "years", "brain", "evolution",
)


def captions(count: int, seed: int = 3) -> list[Timed]:
    """count cues of 8-12 words, 4.3 s apart (2,500 cues last three hours), a sentence ending every few."""
    rng = random.Random(seed)
    out: list[Timed] = []
    for n in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 12))]
        text = " ".join(words).capitalize() + ("." if n % 3 == 2 else "")
        out.append(Timed(n * 4.3, n * 4.3 + 4.0, text))
    return out


def measure(count: int) -> list[tuple[str, int, float, int]]:
    """(format, input bytes, seconds, passages) for each format."""
    cues = captions(count)
    rows: list[tuple[str, int, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in (("SubRip", to_srt(cues)), ("YouTube auto VTT", to_youtube_vtt(
                [Timed(c.start, c.end, c.text.lower().rstrip(".")) for c in cues], split_words=True))):
            source = folder / ("in.srt" if name == "SubRip" else "in.vtt")
            source.write_text(text, encoding="utf-8")
            header = TalkHeader("bench-import", "Bench", "Someone", "Bench", "2024-01-01", "en",
                                "https://www.youtube.com/watch?v=bench")
            started = time.perf_counter()
            done = import_file(source, header, folder / "out", force=True)
            rows.append((name, len(text.encode()), time.perf_counter() - started, done.passages))
    return rows


def main() -> None:
    """Print a Markdown table of import times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=2500)
    args = parser.parse_args()
    print(f"{args.cues} cues, {args.cues * 4.3 / 3600:.1f} hours\n")
    print("| format | file | import (parse, join, write, check) | passages |\n|---|---:|---:|---:|")
    for name, size, seconds, passages in measure(args.cues):
        print(f"| {name} | {size / 1e6:.2f} MB | {seconds:.2f} s | {passages} |")


if __name__ == "__main__":
    main()
