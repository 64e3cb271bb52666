"""Talk files: the seed loads as documented, and every malformed file is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import ContentError, load_library, load_talk
from bot.content.model import QUOTE_MAX_CHARS, QUOTE_MIN_CHARS

from .conftest import REPO, SEED_TALK

SEED = REPO.parent / "shared" / "seed" / "000_7977cc7eaea4d356.txt"

HEADER = """---
id: demo
title: Demo talk
speaker: Ada Lovelace
event: Test Event
date: 2024-01-02
language: en
source: https://example.org/video
labels: Ada = speaker; Q = questioner
translator: Someone
---
"""
BODY = """
## Key points
- One point.

## Talk
First paragraph of the talk. It says something quotable enough.

Second paragraph
continues on a second line.

## Q&A
Q: Why is that?

A follow-up by the same questioner.

Ada: Because it is.

## Glossary
analytical engine | engine = 分析机
"""


def write(tmp_path: Path, text: str, name: str = "demo.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_seed_talk_loads_with_sections_roles_and_credits() -> None:
    talk = load_talk(SEED_TALK)
    assert talk.id == "ilya-neurips-2024"
    assert talk.sections == ("Talk", "Q&A")
    assert len(talk.key_points) == 5
    assert talk.source.startswith("https://www.youtube.com/")
    roles = {p.role for p in talk.passages}
    assert roles == {"speaker", "questioner", "host"}
    credits = dict(talk.credits)
    assert "APPSO" in credits["translator"]
    assert len(talk.glossary) > 200
    texts = [p.text for p in talk.passages]
    # app promotion and repeated source lines are gone; editorial text is not a passage
    assert not any("扫码" in t or "本文来自微信公众号" in t for t in texts)
    assert not any("在温哥华举行" in t for t in texts)
    assert talk.editorial and "在温哥华举行" in talk.editorial[0]


def test_seed_passages_are_exact_lines_of_the_seed() -> None:
    if not SEED.exists():
        pytest.skip("seed transcript not beside the repo")
    seed = SEED.read_text(encoding="utf-8")
    for passage in load_talk(SEED_TALK).passages:
        for part in passage.text.split(";"):
            assert part in seed, passage.key


def test_labels_attribute_paragraphs_and_continue_the_last_speaker(tmp_path: Path) -> None:
    talk = load_talk(write(tmp_path, HEADER + BODY))
    by_section = [(p.section, p.number, p.role, p.speaker, p.text) for p in talk.passages]
    assert by_section[1] == ("Talk", 2, "speaker", "Ada Lovelace", "Second paragraph continues on a second line.")
    assert by_section[2][2:] == ("questioner", "Q", "Why is that?")
    assert by_section[3][2] == "questioner"  # no label: the questioner goes on
    assert by_section[4][2:] == ("speaker", "Ada Lovelace", "Because it is.")
    assert [p.key for p in talk.passages] == [f"demo/{n}" for n in range(1, 6)]


def test_quotes_are_only_the_speakers_sentences_of_quotable_length() -> None:
    library = load_library(SEED_TALK.parent)
    assert library.quotes
    for quote in library.quotes:
        assert quote.passage.role == "speaker"
        assert QUOTE_MIN_CHARS <= len(quote.text) <= QUOTE_MAX_CHARS
        assert quote.text in quote.passage.text


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("", 1, "empty"),
    ("id: x\n", 1, "'---'"),
    (HEADER.replace("id: demo", "id: Demo Talk!") + BODY, 2, "id 'Demo Talk!'"),
    (HEADER.replace("date: 2024-01-02", "date: 2nd Jan") + BODY, 6, "YYYY-MM-DD"),
    (HEADER.replace("source: https://example.org/video\n", "") + BODY, 1, "'source'"),
    (HEADER.replace("language: en", "language: fr") + BODY, 7, "zh or en"),
    (HEADER[: -len("---\n")] + BODY, 12, "never closed"),
    (HEADER.replace("title: Demo talk", "title: Demo talk\ntitle: again") + BODY, 4, "twice"),
    (HEADER.replace("Ada = speaker", "Ada = presenter") + BODY, 9, "labels"),
    (HEADER + BODY.replace("- One point.", "One point."), 14, "'- '"),
    (HEADER + BODY.replace("## Glossary", "# Glossary"), 29, "two hashes"),
    (HEADER + BODY.replace("engine = 分析机", "engine 分析机"), 30, "glossary"),
    (HEADER + "stray text\n" + BODY, 12, "before the first"),
    (HEADER + BODY.replace("Ada: Because it is.", "Ada:"), 27, "no text"),
    (HEADER + BODY.replace("First paragraph", "First\x07 paragraph"), 17, "control character"),
    (HEADER + BODY.replace("## Q&A", "## Talk"), 22, "twice"),
])
def test_malformed_files_name_file_line_and_problem(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ContentError) as info:
        load_talk(path)
    assert info.value.path == str(path)
    assert info.value.line == line, str(info.value)
    assert problem in info.value.problem
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes((HEADER + BODY).encode() + b"\n\xff\xfe broken\n")
    with pytest.raises(ContentError, match=r"bad\.md:\d+: is not valid UTF-8"):
        load_talk(path)


def test_several_talks_load_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    write(tmp_path, HEADER + BODY, "a.md")
    write(tmp_path, HEADER.replace("id: demo", "id: second") + BODY, "b.md")
    write(tmp_path, "ignored", "README.md")
    write(tmp_path, "ignored", "_draft.md")
    library = load_library(tmp_path)
    assert [t.id for t in library.talks] == ["demo", "second"]
    assert library.talk("SECOND") is library.talks[1]
    write(tmp_path, HEADER + BODY, "c.md")
    with pytest.raises(ContentError, match=r"c\.md:1: id or alias 'demo' is already used"):
        load_library(tmp_path)


def test_empty_or_missing_content_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="holds no talk files"):
        load_library(tmp_path)
    with pytest.raises(ContentError, match="is not a folder"):
        load_library(tmp_path / "missing")


def test_neighbours_stay_in_the_section() -> None:
    library = load_library(SEED_TALK.parent)
    talk = library.talks[0]
    first_qa = next(p for p in talk.passages if p.section == "Q&A")
    around = library.neighbours(first_qa.key)
    assert [p.section for p in around] == ["Q&A", "Q&A"]
    assert library.neighbours("nope/1") == []


@pytest.mark.parametrize(("text", "line", "problem"), [
    (HEADER + BODY.replace("## Q&A", "<!-- a note\n## Q&A"), 22, "never closed with '-->'"),
    (HEADER.replace("date: 2024-01-02", "date: 2024-13-45") + BODY, 6, "real date"),
    (HEADER.replace("translator: Someone", "translator: Some\x07one") + BODY, 10, "control character"),
])
def test_more_malformed_files(tmp_path: Path, text: str, line: int, problem: str) -> None:
    with pytest.raises(ContentError) as info:
        load_talk(write(tmp_path, text))
    assert info.value.line == line and problem in info.value.problem, str(info.value)


def test_comments_are_allowed_in_the_header_and_body(tmp_path: Path) -> None:
    text = HEADER.replace("translator: Someone", "<!-- credits -->\ntranslator: Someone") + BODY.replace(
        "## Q&A", "<!-- a note\nspanning lines -->\n## Q&A")
    talk = load_talk(write(tmp_path, text))
    assert dict(talk.credits)["translator"] == "Someone" and talk.sections == ("Talk", "Q&A")
