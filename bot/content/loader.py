"""Read and validate talk files; every problem names the file, the line and what is wrong."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.files import MAX_FILE_BYTES, FileRefused, is_side_file, read_limited
from bot.content.model import GlossaryEntry, Library, Passage, Role, Talk
from bot.content.times import format_time, parse_mark

log = logging.getLogger(__name__)

REQUIRED = ("id", "title", "speaker", "event", "date", "language", "source")
ROLES: tuple[Role, ...] = ("speaker", "questioner", "host")
LONG_PARAGRAPH_CHARS = 2000  # check-content warns above this: the bot shows such a passage cut
MAX_PARAGRAPH_CHARS = 20_000  # refused above this: split the paragraph
# Header fields that search reads rather than /about shows.
SEARCH_FIELDS = ("labels", "aliases", "speaker_names", "pronoun")
PRONOUNS = ("", "he", "she", "they")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")
_LABEL = re.compile(r"^([^:：]{1,24})[:：](.*)$", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


GlossaryCache = dict[tuple[tuple[int, tuple[str, ...]], ...], list[GlossaryEntry]]


class ContentError(ValueError):
    """A talk file is malformed: str() is 'file:line: problem'."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


@dataclass
class _Paragraph:
    line: int
    lines: list[str]


def _join(lines: list[str]) -> str:
    """Join the lines of one paragraph: no space between CJK text, one space between words."""
    out = lines[0].strip()
    for nxt in lines[1:]:
        nxt = nxt.strip()
        if out and nxt and (out[-1].isascii() and nxt[0].isascii()):
            out += " " + nxt
        else:
            out += nxt
    return out


class _Parser:
    def __init__(self, path: Path, text: str, shared: GlossaryCache | None = None) -> None:
        self.path = path
        self.shared = shared if shared is not None else {}
        self.lines = text.splitlines()
        self.meta: dict[str, tuple[str, int]] = {}
        self.sections: list[tuple[str, int, list[_Paragraph]]] = []
        self.duration: int | None = None

    def fail(self, line: int, problem: str) -> ContentError:
        return ContentError(self.path, line, problem)

    def parse(self) -> Talk:
        body_start = self._front_matter()
        self._sections(body_start)
        return self._build()

    def _front_matter(self) -> int:
        first = next((i for i, line in enumerate(self.lines) if line.strip()), None)
        if first is None:
            raise self.fail(1, "the file is empty; a talk file starts with a '---' header")
        if self.lines[first].strip() != "---":
            raise self.fail(first + 1, "expected '---' to open the header (id, title, speaker, ...)")
        for i in range(first + 1, len(self.lines)):
            raw = self.lines[i].strip()
            if raw == "---":
                return i + 1
            if raw.startswith("## "):
                raise self.fail(i + 1, f"the header opened with '---' on line {first + 1} is never closed by "
                                       "another '---' before this section")
            if _CONTROL.search(raw):
                raise self.fail(i + 1, "the line contains a control character; remove it")
            if not raw or raw.startswith("#") or (raw.startswith("<!--") and raw.endswith("-->")):
                continue
            match = _FIELD.match(raw)
            if not match:
                raise self.fail(i + 1, f"expected 'name: value' in the header, got {raw[:40]!r}")
            name, value = match.group(1).lower(), match.group(2).strip()
            if name in self.meta:
                raise self.fail(i + 1, f"header field '{name}' is given twice")
            if not value:
                raise self.fail(i + 1, f"header field '{name}' is empty")
            self.meta[name] = (value, i + 1)
        raise self.fail(first + 1, "the header opened with '---' is never closed by another '---'")

    def _sections(self, start: int) -> None:
        current: list[_Paragraph] | None = None
        paragraph: _Paragraph | None = None
        comment_from = 0  # line where an open <!-- comment started
        titles: set[str] = set()
        for i in range(start, len(self.lines)):
            raw = self.lines[i].rstrip()
            stripped = raw.strip()
            if comment_from or stripped.startswith("<!--"):
                if comment_from and stripped.startswith("## "):
                    raise self.fail(comment_from, "a comment opened here with '<!--' is never closed with '-->' "
                                                  f"before the heading {stripped[:40]!r} on line {i + 1}")
                if "-->" not in stripped:
                    comment_from = comment_from or i + 1
                else:  # closed, unless another comment opens after the last '-->' ("<!-- a --> <!-- b")
                    comment_from = i + 1 if stripped.rfind("<!--") > stripped.rfind("-->") else 0
                continue
            if _CONTROL.search(raw):
                raise self.fail(i + 1, "the line contains a control character; remove it")
            if stripped.startswith("## "):
                title = stripped[3:].strip()
                if not title:
                    raise self.fail(i + 1, "a '## ' heading needs a name")
                if title.casefold() in titles:
                    raise self.fail(i + 1, f"section '{title}' appears twice")
                titles.add(title.casefold())
                current = []
                self.sections.append((title, i + 1, current))
                paragraph = None
                continue
            if stripped.startswith("#"):
                raise self.fail(i + 1, "headings start with '## ' (two hashes and a space)")
            if not stripped:
                paragraph = None
                continue
            if current is None:
                raise self.fail(i + 1, "text before the first '## ' section heading")
            if paragraph is None:
                paragraph = _Paragraph(i + 1, [])
                current.append(paragraph)
            paragraph.lines.append(stripped)
        if comment_from:
            raise self.fail(comment_from, "a comment opened here with '<!--' is never closed with '-->'")

    def _labels(self) -> dict[str, Role]:
        raw, line = self.meta.get("labels", ("", 0))
        labels: dict[str, Role] = {}
        for part in filter(None, (p.strip() for p in raw.split(";"))):
            label, eq, role = (x.strip() for x in part.partition("="))
            if not eq or not label or role not in ROLES:
                roles = ", ".join(ROLES)
                raise self.fail(line, f"labels: expected 'label = role' with role one of {roles}, got {part!r}")
            labels[label] = role
        return labels

    def _build(self) -> Talk:
        for name in REQUIRED:
            if name not in self.meta:
                raise self.fail(1, f"the header lacks the required field '{name}'")
        meta = {k: v for k, (v, _) in self.meta.items()}
        talk_id = meta["id"]
        if not _ID.match(talk_id):
            raise self.fail(self.meta["id"][1],
                            f"id {talk_id!r}: use lower-case letters, digits and '-', at most 32 characters")
        if not _DATE.match(meta["date"]) or not _valid_date(meta["date"]):
            raise self.fail(self.meta["date"][1], f"date {meta['date']!r}: expected a real date as YYYY-MM-DD")
        if meta["language"] not in ("zh", "en"):
            raise self.fail(self.meta["language"][1], "language: expected zh or en")
        if not re.match(r"^https?://\S+$", meta["source"]):
            raise self.fail(self.meta["source"][1], "source: expected a link starting with http:// or https://")
        labels = self._labels()
        self.duration = self._duration()
        key_points: list[str] = []
        glossary: list[GlossaryEntry] = []
        passages: list[Passage] = []
        editorial: list[str] = []
        content_sections: list[str] = []
        for title, line, paragraphs in self.sections:
            folded = title.casefold()
            if folded == "key points":
                key_points = self._key_points(paragraphs)
            elif folded == "glossary":
                glossary = self._glossary(paragraphs)
            elif folded.endswith("(editorial)"):
                editorial.extend(_join(p.lines) for p in paragraphs)
            else:
                if not paragraphs:
                    raise self.fail(line, f"section '{title}' has no paragraphs")
                content_sections.append(title)
                passages.extend(self._passages(talk_id, title, paragraphs, labels, meta["speaker"], len(passages)))
        if not passages:
            raise self.fail(len(self.lines), "the talk has no section with paragraphs (e.g. '## Talk')")
        credits = tuple((k, v) for k, v in meta.items() if k not in (*REQUIRED, *SEARCH_FIELDS))
        aliases = tuple(a.strip() for a in meta.get("aliases", "").split(";") if a.strip())
        names = self._names(talk_id, aliases)
        speaker_names = tuple(a.strip() for a in meta.get("speaker_names", "").split(";") if a.strip())
        pronoun = meta.get("pronoun", "").strip().casefold()
        if pronoun not in PRONOUNS:
            raise self.fail(self.meta["pronoun"][1], f"pronoun {pronoun!r}: expected one of {', '.join(PRONOUNS[1:])}")
        return Talk(
            id=talk_id, title=meta["title"], speaker=meta["speaker"], event=meta["event"], date=meta["date"],
            language=meta["language"], source=meta["source"], path=str(self.path), key_points=tuple(key_points),
            sections=tuple(content_sections), passages=tuple(passages), glossary=tuple(glossary),
            aliases=aliases, credits=credits, editorial=tuple(editorial), name_lines=names,
            speaker_names=speaker_names, pronoun=pronoun,
        )

    def _names(self, talk_id: str, aliases: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        """The id and each alias with its line; an alias repeating the id or another alias is an error."""
        alias_line = self.meta.get("aliases", ("", 1))[1]
        names = [(talk_id, self.meta["id"][1])]
        for alias in aliases:
            if alias.casefold() == talk_id.casefold():
                raise self.fail(alias_line, f"alias {alias!r} is the talk's own id; leave it out")
            if any(alias.casefold() == name.casefold() for name, _ in names):
                raise self.fail(alias_line, f"alias {alias!r} is given twice")
            names.append((alias, alias_line))
        return tuple(names)

    def _duration(self) -> int | None:
        """The optional 'duration' header (m:ss or h:mm:ss): no time mark may lie past it."""
        if "duration" not in self.meta:
            return None
        value, line = self.meta["duration"]
        parsed = parse_mark(f"[{value}]")
        if parsed is None or parsed[1]:
            raise self.fail(line, f"duration {value!r}: expected m:ss or h:mm:ss, e.g. 1:02:03")
        return parsed[0]

    def _time(self, paragraph: _Paragraph, text: str, previous: int | None) -> tuple[int | None, str]:
        """A paragraph's leading [m:ss] / [h:mm:ss] time mark, checked, and the text after it."""
        parsed = parse_mark(text)
        if parsed is None:
            if text.startswith("[") and re.match(r"^\[[\d:.]+\]", text):
                raise self.fail(paragraph.line, f"time mark {text.split(']')[0]}]: write [m:ss] or [h:mm:ss]")
            return None, text
        seconds, problem = parsed
        if problem:
            raise self.fail(paragraph.line, problem)
        if previous is not None and seconds < previous:
            raise self.fail(paragraph.line, f"time [{format_time(seconds)}] is before the paragraph above it "
                                            f"([{format_time(previous)}]); times never go back within a section")
        if self.duration is not None and seconds > self.duration:
            raise self.fail(paragraph.line, f"time [{format_time(seconds)}] is past the end of the recording "
                                            f"(duration {format_time(self.duration)})")
        rest = text[text.index("]") + 1 :].strip()
        if not rest:
            raise self.fail(paragraph.line, "a time mark is followed by no text")
        return seconds, rest

    def _key_points(self, paragraphs: list[_Paragraph]) -> list[str]:
        points: list[str] = []
        for paragraph in paragraphs:
            for offset, line in enumerate(paragraph.lines):
                if not line.startswith("- "):
                    raise self.fail(paragraph.line + offset, "key points are lines starting with '- '")
                points.append(line[2:].strip())
        return points

    def _glossary(self, paragraphs: list[_Paragraph]) -> list[GlossaryEntry]:
        key = tuple((p.line, tuple(p.lines)) for p in paragraphs)
        known = self.shared.get(key)
        if known is not None:  # talks of a series often share their glossary: parse and keep it once
            return known
        entries: list[GlossaryEntry] = []
        for paragraph in paragraphs:
            for offset, line in enumerate(paragraph.lines):
                number = paragraph.line + offset
                left, eq, right = line.partition("=")
                english = tuple(t.strip() for t in left.split("|") if t.strip())
                chinese = tuple(t.strip() for t in right.split("|") if t.strip())
                if not eq or not english or not chinese:
                    raise self.fail(number,
                                    f"glossary lines look like 'english | other = 中文 | 别名', got {line[:40]!r}")
                entries.append(GlossaryEntry(english, chinese, number))
        self.shared[key] = entries
        return entries

    def _passages(
        self, talk_id: str, section: str, paragraphs: list[_Paragraph], labels: dict[str, Role], speaker: str,
        offset: int,
    ) -> list[Passage]:
        out: list[Passage] = []
        role: Role = "speaker"
        who = speaker
        previous: int | None = None
        for number, paragraph in enumerate(paragraphs, start=1):
            start, text = self._time(paragraph, _join(paragraph.lines), previous)
            previous = start if start is not None else previous
            if len(text) > MAX_PARAGRAPH_CHARS:
                raise self.fail(paragraph.line, f"the paragraph starting here has {len(text):,} characters, over "
                                                f"the maximum of {MAX_PARAGRAPH_CHARS:,}; split it with blank lines")
            match = _LABEL.match(text)
            if match and match.group(1).strip() in labels:
                label = match.group(1).strip()
                role = labels[label]
                who = speaker if role == "speaker" else label
                text = match.group(2).strip()
                if not text:
                    raise self.fail(paragraph.line, f"'{label}:' is followed by no text")
            out.append(Passage(
                key=f"{talk_id}/{offset + len(out) + 1}", talk_id=talk_id, section=section, number=number,
                role=role, speaker=who, text=text, line=paragraph.line, start=start,
            ))
        return out


def _valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def load_talk(path: Path, shared: GlossaryCache | None = None) -> Talk:
    """Parse one talk file; raise ContentError naming the line and the problem."""
    try:
        data = read_limited(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        raise ContentError(path, 0, str(exc)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(path, line, "is not valid UTF-8 text; save it as UTF-8") from None
    return _Parser(path, text, shared).parse()


def long_paragraphs(library: Library, limit: int = LONG_PARAGRAPH_CHARS) -> list[str]:
    """'file:line: warning' for each passage over limit characters (shown cut, ending in '…')."""
    return [f"{talk.path}:{p.line}: warning: paragraph of {len(p.text):,} characters (over about {limit:,}); the "
            "bot shows it cut, so split it with blank lines" for talk in library.talks for p in talk.passages
            if len(p.text) > limit]


def talk_files(directory: Path) -> list[Path]:
    """The talk files of a content folder (*.md, any case), in name order; side files are skipped."""
    files: list[Path] = []
    for path in directory.iterdir():
        name = path.name
        if is_side_file(name):
            if ".md" in name.lower():
                log.debug("content: %s skipped (a hidden, editor or system side file)", path)
            continue
        if not name.lower().endswith(".md") or name.startswith("_") or name.lower() == "readme.md":
            continue
        files.append(path)
    return sorted(files)


def load_library(directory: Path, reserved: Callable[[str], str | None] | None = None) -> Library:
    """Load every talk in a folder; raise ContentError for the first problem found.

    reserved(name) says why a talk id or alias cannot be used (e.g. "a time zone name"), or None.
    """
    if not directory.is_dir():
        raise ContentError(directory, 0, "is not a folder of talk files (set BOT_CONTENT_DIR)")
    files = talk_files(directory)
    if not files:
        raise ContentError(directory, 0, "holds no talk files (*.md); add one or set BOT_CONTENT_DIR")
    talks: list[Talk] = []
    seen: dict[str, Talk] = {}
    glossaries: GlossaryCache = {}
    for path in files:
        talk = load_talk(path, glossaries)
        for name, line in talk.name_lines:
            other = seen.get(name.casefold())
            if other is not None:
                raise ContentError(path, line, f"id or alias {name!r} is already used by {other.path}")
            why = reserved(name) if reserved is not None and name != talk.id else None
            if why:
                raise ContentError(path, line, f"alias {name!r} is {why}; a talk name must not be mistaken "
                                               "for it")
            seen[name.casefold()] = talk
        talks.append(talk)
    return Library(talks)
