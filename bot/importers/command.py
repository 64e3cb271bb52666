"""`transcript-bot import FILE --id --title --speaker --source ...`: a caption or transcript file to a talk."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.content.model import TalkHeader
from bot.content.times import format_time
from bot.importers.cues import ImportFailure, check_times, read_input
from bot.importers.detect import parse_file
from bot.importers.passages import assign_speakers, guess_language, join_cues
from bot.importers.writer import render_talk, write_talk

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import wrote."""

    path: Path
    format: str
    passages: int
    duration: float | None
    speakers: tuple[str, ...]
    language: str


def _existing_id(directory: Path, talk_id: str, own: Path) -> Path | None:
    """Another talk file of the folder whose header has this id."""
    if not directory.is_dir():
        return None
    wanted = re.compile(rf"^id:\s*{re.escape(talk_id)}\s*$", re.M)
    for other in directory.glob("*.md"):
        if other.name == own.name or other.name.startswith("_"):
            continue
        try:
            with other.open("r", encoding="utf-8", errors="replace") as fh:
                head = fh.read(4096)
        except OSError:
            continue
        if wanted.search(head):
            return other
    return None


def import_file(source_file: Path, header: TalkHeader, out_dir: Path, force: bool = False) -> Imported:
    """Read, parse, join and write one file as DIR/ID.md; ImportFailure (one line) on any problem."""
    if not _ID.match(header.id):
        raise ImportFailure(source_file, f"--id {header.id!r}: use lower-case letters, digits and '-', at most 32")
    if not _DATE.match(header.date):
        raise ImportFailure(source_file, f"--date {header.date!r}: expected YYYY-MM-DD")
    if not re.match(r"^https?://\S+$", header.source):
        raise ImportFailure(source_file, "--source: expected the recording's link, starting with https://")
    target = out_dir / f"{header.id}.md"
    if not force:
        if target.exists():
            raise ImportFailure(source_file, f"{target} already exists; use --force to replace it")
        other = _existing_id(out_dir, header.id, target)
        if other is not None:
            raise ImportFailure(source_file, f"id {header.id!r} is already used by {other}; pick another --id")
    text = read_input(source_file)
    name, cues = parse_file(source_file, text)
    cues = check_times(source_file, assign_speakers(cues))
    if not cues:
        raise ImportFailure(source_file, f"holds no text to import (read as {name})")
    language = header.language or guess_language(cues)
    drafts = join_cues(cues, language)
    ends = [c.end for c in cues if c.end is not None]
    duration = max(ends) if ends else None
    final = TalkHeader(header.id, header.title, header.speaker, header.event, header.date, language, header.source)
    write_talk(target, render_talk(final, drafts, duration))
    speakers = tuple(dict.fromkeys(d.speaker for d in drafts if d.speaker and not d.speaker.startswith("\x00")))
    return Imported(target, name, len(drafts), duration, speakers, language)


def add_import_command(sub: Any, default_dir: str = "the content folder (BOT_CONTENT_DIR)") -> None:
    """Register `import` on the CLI's subparsers."""
    cmd = sub.add_parser("import", help="turn a subtitle or transcript file into a talk file")
    cmd.add_argument("file", help="SRT, WebVTT, Whisper JSON/TSV, YouTube json3, Podcasting 2.0 JSON or text")
    cmd.add_argument("--id", required=True, help="short name of the talk: lower-case letters, digits, '-'")
    cmd.add_argument("--title", required=True)
    cmd.add_argument("--speaker", required=True, help="the main speaker's full name")
    cmd.add_argument("--source", required=True, help="link to the recording (YouTube, Bilibili, Vimeo, media URL)")
    cmd.add_argument("--language", choices=("zh", "en"), help="language of the text (guessed when not given)")
    cmd.add_argument("--event", default="", help="where it was given")
    cmd.add_argument("--date", default="", help="YYYY-MM-DD (today when not given)")
    cmd.add_argument("--out", default="", metavar="DIR", help=f"folder to write ID.md to (default: {default_dir})")
    cmd.add_argument("--force", action="store_true", help="replace a talk with the same id")
    cmd.set_defaults(fn=cmd_import)


def cmd_import(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Run `import` from parsed arguments; print what was written."""
    content_dir = settings.content_dir
    header = TalkHeader(args.id, args.title, args.speaker, args.event.strip() or "not given",
                        args.date or date.today().isoformat(), args.language or "", args.source)
    done = import_file(Path(args.file), header, Path(args.out) if args.out else content_dir, args.force)
    length = format_time(done.duration) if done.duration is not None else "no times"
    speakers = ", ".join(done.speakers) or args.speaker
    out.write(f"wrote {done.path}: {done.passages} passages, {length}, speakers: {speakers} "
              f"(read as {done.format}, language {done.language})\n")
    if not args.date:
        out.write("  date: not given, today's date was used (--date YYYY-MM-DD to set it)\n")
    return 0
