"""Synthetic corpora for benchmarks: N copies of the seed talk, each with its own id and shuffled sentences.

    python -m bench.corpus 1 100 1000     # writes bench/out/corpus-<N>/, loadable with BOT_CONTENT_DIR
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import shutil
from pathlib import Path

from bot.content.model import split_sentences

REPO = Path(__file__).resolve().parent.parent
SEED_TALK = REPO / "content" / "ilya-neurips-2024.md"
OUT = REPO / "bench" / "out"
SIZES = (1, 100, 1000)
_LABEL = re.compile(r"^([^:：]{1,24})([:：])(.*)$")
_FIXED_SECTIONS = ("key points", "glossary")


def corpus_dir(size: int) -> Path:
    """Where the corpus of this many talks is written."""
    return OUT / f"corpus-{size}"


def _join(lines: list[str]) -> str:
    """One paragraph's lines as one line (a space only between two Latin characters)."""
    out = ""
    for line in (x.strip() for x in lines):
        out += " " + line if out and line and out[-1].isascii() and line[0].isascii() else line
    return out


def _shuffle(paragraph: str, labels: set[str], rng: random.Random) -> str:
    """The paragraph with its sentences in a random order (a leading speaker label stays first)."""
    prefix = ""
    match = _LABEL.match(paragraph)
    if match and match.group(1).strip() in labels:
        prefix, paragraph = match.group(1) + match.group(2), match.group(3).strip()
    sentences = split_sentences(paragraph)
    rng.shuffle(sentences)
    return prefix + _join(sentences)


def _header(lines: list[str], number: int) -> tuple[list[str], set[str]]:
    """The header with a new id and title, without aliases (they must be unique); and the turn labels."""
    out: list[str] = []
    labels: set[str] = set()
    for line in lines:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key == "id":
            line = f"id: synth-{number:04d}"
        elif key == "title":
            line = f"{line} (copy {number})"
        elif key == "aliases":
            continue
        elif key == "labels":
            labels = {part.partition("=")[0].strip() for part in value.split(";") if "=" in part}
        out.append(line)
    return out, labels


def make_talk(seed_text: str, number: int, rng: random.Random) -> str:
    """One synthetic talk file: the seed with its own id and every content paragraph's sentences shuffled."""
    lines = seed_text.splitlines()
    end = lines.index("---", 1)
    header, labels = _header(lines[: end + 1], number)
    out = header
    section = ""
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            fixed = section in _FIXED_SECTIONS or section.endswith("(editorial)")
            out.extend(paragraph if fixed else [_shuffle(_join(paragraph), labels, rng)])
            paragraph.clear()

    for line in lines[end + 1 :]:
        stripped = line.strip()
        if stripped.startswith("## "):
            flush()
            section = stripped[3:].strip().casefold()
            out.append(line)
        elif not stripped or stripped.startswith("<!--"):
            flush()
            out.append(line)
        else:
            paragraph.append(line)
    flush()
    return "\n".join(out) + "\n"


def generate(size: int, seed: Path = SEED_TALK, out: Path | None = None) -> Path:
    """Write a corpus of `size` talks (reused when the seed and size are unchanged); returns its folder."""
    folder = out or corpus_dir(size)
    seed_text = seed.read_text(encoding="utf-8")
    stamp = hashlib.sha256(f"{size}\x00{seed_text}".encode()).hexdigest()
    stamp_file = folder / "_stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(size)
    for number in range(1, size + 1):
        (folder / f"synth-{number:04d}.md").write_text(make_talk(seed_text, number, rng), encoding="utf-8")
    stamp_file.write_text(stamp)
    return folder


def main() -> None:
    """Generate the corpora named on the command line (default 1, 100 and 1000 talks)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    for size in parser.parse_args().sizes:
        print(generate(size))


if __name__ == "__main__":
    main()
