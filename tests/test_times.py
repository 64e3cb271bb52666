"""Time marks in talk files and links that open the recording at the moment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import ContentError, load_talk
from bot.content.times import LINK_LEAD_SECONDS, moment_link

HEADER = """---
id: timed
title: Timed talk
speaker: Ada Lovelace
event: Test Event
date: 2024-01-02
language: en
source: https://www.youtube.com/watch?v=abc123
labels: Ada = speaker; Q = questioner
{extra}---

## Talk
"""


def write(tmp_path: Path, body: str, extra: str = "") -> Path:
    path = tmp_path / "timed.md"
    path.write_text(HEADER.format(extra=extra) + body, encoding="utf-8")
    return path


def test_marks_give_passage_starts_and_files_without_them_stay_valid(tmp_path: Path) -> None:
    talk = load_talk(write(tmp_path, "[0:05] First.\n\nNo time here.\n\n[12:34] Ada: Third.\n\n[1:02:03] Q: Last.\n",
                           "duration: 1:10:00\n"))
    assert [(p.start, p.text, p.speaker) for p in talk.passages] == [
        (5, "First.", "Ada Lovelace"), (None, "No time here.", "Ada Lovelace"), (754, "Third.", "Ada Lovelace"),
        (3723, "Last.", "Q")]
    assert [p.start for p in load_talk(write(tmp_path, "Plain.\n\nText.\n")).passages] == [None, None]


@pytest.mark.parametrize(("body", "extra", "line", "problem"), [
    ("[0:05] One.\n\n[0:61] Two.\n", "", 15, "seconds go up to 59"),
    ("[0:05] One.\n\n[75:00] Two.\n", "", 15, "[h:mm:ss]"),
    ("[1:75:00] One.\n", "", 13, "minutes go up to 59"),
    ("[2:00] One.\n\n[1:00] Two.\n", "", 15, "never go back"),
    ("[2:00] One.\n\n[9:00] Two.\n", "duration: 5:00\n", 16, "past the end"),
    ("[0:05]\n", "", 13, "no text"),
    ("[0:5] One.\n", "", 13, "[m:ss]"),
    ("One.\n", "duration: soon\n", 10, "duration"),
])
def test_bad_marks_name_the_line(tmp_path: Path, body: str, extra: str, line: int, problem: str) -> None:
    with pytest.raises(ContentError) as info:
        load_talk(write(tmp_path, body, extra))
    assert info.value.line == line and problem in info.value.problem, str(info.value)


def test_times_may_restart_in_a_new_section(tmp_path: Path) -> None:
    talk = load_talk(write(tmp_path, "[5:00] One.\n\n## Q&A\n[1:00] Q: Two.\n"))
    assert [p.start for p in talk.passages] == [300, 60]


@pytest.mark.parametrize(("source", "expected"), [
    ("https://www.youtube.com/watch?v=abc123", "https://www.youtube.com/watch?v=abc123&t=752s"),
    ("https://www.youtube.com/watch?v=abc123&t=10s#x", "https://www.youtube.com/watch?v=abc123&t=752s"),
    ("https://youtu.be/abc123", "https://youtu.be/abc123?t=752"),
    ("https://www.bilibili.com/video/BV1xx411c7mD", "https://www.bilibili.com/video/BV1xx411c7mD?t=752"),
    ("https://vimeo.com/123456", "https://vimeo.com/123456#t=752s"),
    ("https://example.org/talk.mp4", "https://example.org/talk.mp4#t=752"),
])
def test_moment_links_open_the_recording_a_little_early(source: str, expected: str) -> None:
    assert moment_link(source, 754) == expected
    assert LINK_LEAD_SECONDS <= 5
    assert moment_link(source, None) == source
    assert moment_link(source, 1).endswith(("t=0s", "t=0"))
