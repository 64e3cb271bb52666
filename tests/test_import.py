"""Import: every format to a talk file the loader accepts, with the right times, and one clear line on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.loader import load_library, load_talk
from bot.search.engine import SearchEngine

from .captions import (
    english_words,
    read_srt,
    seed_cues,
    spoken_at,
    to_srt,
    to_whisper_json,
    to_youtube_vtt,
)
from .conftest import SEED_TALK

FIXTURES = Path(__file__).parent / "fixtures"
SOURCE = "https://www.youtube.com/watch?v=WQQdd6qGxNs"


def run_import(capsys: pytest.CaptureFixture[str], path: Path, out: Path, talk_id: str, *extra: str) -> tuple[int, str]:
    """Run `transcript-bot import` in-process; (exit code, the one line printed)."""
    code = main(["import", str(path), "--id", talk_id, "--title", "A talk", "--speaker", "Ilya Sutskever",
                 "--source", SOURCE, "--date", "2024-12-13", "--out", str(out), *extra])
    captured = capsys.readouterr()
    return code, (captured.out if code == 0 else captured.err)


@pytest.mark.parametrize(("name", "make"), [
    ("seed.srt", to_srt), ("seed.vtt", to_youtube_vtt), ("seed.json", to_whisper_json)])
def test_seed_captions_import_once_each_and_answers_start_where_the_words_are(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, make: object) -> None:
    cues = seed_cues(SEED_TALK)
    source = tmp_path / name
    source.write_text(make(cues), encoding="utf-8")  # type: ignore[operator]
    out = tmp_path / "talks"
    code, printed = run_import(capsys, source, out, "seed-import", "--language", "zh")
    assert code == 0, printed
    assert printed.startswith(f"wrote {out / 'seed-import.md'}: ")
    talk = load_talk(out / "seed-import.md")
    spoken = "".join(c.text for c in cues)
    joined = "".join(p.text for p in talk.passages)
    assert joined.replace(" ", "") == spoken  # every line once, none lost
    assert not re.search(r"[\u4e00-\u9fff，。] +[\u4e00-\u9fff，。]", joined)  # no space inside Chinese text
    assert all(p.start is not None for p in talk.passages) and not talk.key_points
    sizes = [len(p.text) for p in talk.passages]
    assert max(sizes) <= 320 and sum(s >= 40 for s in sizes) >= len(sizes) - 3
    engine = SearchEngine(load_library(out))
    for query in ("我们只有一个互联网", "为什么预训练会结束", "超级智能有自我意识吗"):
        hit = engine.search(query, limit=1)[0].passage
        assert hit.start is not None and abs(hit.start - spoken_at(cues, hit.text)) <= 3, (query, hit)


def test_english_subtitles_keep_speakers_as_labels_and_times(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run_import(capsys, FIXTURES / "lighthouse.srt", tmp_path, "lighthouse", "--speaker",
                               "Margaret Hale")
    assert code == 0, printed
    talk = load_talk(tmp_path / "lighthouse.md")
    assert talk.language == "en"
    text = (tmp_path / "lighthouse.md").read_text(encoding="utf-8")
    assert "labels: Margaret Hale = speaker; Host = host; Guest = questioner" in text
    roles = {(p.role, p.speaker) for p in talk.passages}
    assert ("host", "Host") in roles and ("questioner", "Guest") in roles
    cues = read_srt(FIXTURES / "lighthouse.srt")
    engine = SearchEngine(load_library(tmp_path))
    for query, words in (("how did his daughter learn to read", "tide table"),
                         ("the fishing boat that lost its engine in the storm", "fishing boat"),
                         ("silence before dawn when the gulls wake", "silence")):
        hit = next(h.passage for h in engine.search(query, limit=3) if words in h.passage.text)
        assert hit.start is not None and abs(hit.start - spoken_at(cues, hit.text)) <= 3, (query, hit)


def test_unpunctuated_auto_captions_break_at_pauses_with_each_line_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cues = read_srt(FIXTURES / "lighthouse.srt")
    plain = [type(c)(c.start, c.end, "".join(ch for ch in c.text.lower() if ch.isalnum() or ch == " "))
             for c in cues]
    (tmp_path / "auto.vtt").write_text(to_youtube_vtt(plain, split_words=True), encoding="utf-8")
    code, printed = run_import(capsys, tmp_path / "auto.vtt", tmp_path / "out", "auto")
    assert code == 0, printed
    talk = load_talk(tmp_path / "out" / "auto.md")
    words = " ".join(p.text for p in talk.passages).split()
    assert words == " ".join(c.text for c in plain).split()
    assert all(len(p.text.split()) <= 150 for p in talk.passages) and len(talk.passages) >= 3
    for passage in talk.passages:  # each passage starts at the word it starts with
        first = passage.text.split()[0]
        assert passage.start is not None
        near = [w.start for w in english_words(plain) if w.text == first]
        assert min(abs(passage.start - t) for t in near) <= 3


def test_voice_tags_json3_podcast_tsv_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        "voices.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ilya Sutskever>Pre-training as we know it will "
                      "end.</v>\n\n00:00:05.000 --> 00:00:08.000\n<v Ada>Why will it end, and what comes after?\n\n"
                      "00:00:09.000 --> 00:00:12.000\n<v Ilya Sutskever>Because we have but one internet.\n",
        "captions.json3": json.dumps({"events": [
            {"tStartMs": 0, "dDurationMs": 100, "id": 1},
            {"tStartMs": 1000, "dDurationMs": 3000, "segs": [{"utf8": "Data"}, {"utf8": " is", "tOffsetMs": 400},
                                                             {"utf8": " the fossil fuel", "tOffsetMs": 800}]},
            {"tStartMs": 4000, "dDurationMs": 10, "aAppend": 1, "segs": [{"utf8": "\n"}]},
            {"tStartMs": 4100, "dDurationMs": 3000, "segs": [{"utf8": "of AI."}]}]}),
        "episode.json": json.dumps({"version": "1.0.0", "segments": [
            {"speaker": "Ilya Sutskever", "startTime": 0.5, "endTime": 3.0, "body": "Agents are coming."},
            {"speaker": "Host", "startTime": 3.5, "endTime": 5.0, "body": "When?"}]}),
        "whisper.tsv": "start\tend\ttext\n0\t2500\tReasoning makes systems\n2500\t5000\tless predictable.\n",
        "notes.txt": "[0:05] Chess programs surprise the best players.\n\n[1:02:03] That is what reasoning does.\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        talk_id = name.split(".")[0]
        code, printed = run_import(capsys, tmp_path / name, tmp_path / "out", talk_id)
        assert code == 0, (name, printed)
        talk = load_talk(tmp_path / "out" / f"{talk_id}.md")
        assert talk.passages[0].start is not None, name
    voices = load_talk(tmp_path / "out" / "voices.md")
    assert [(p.role, p.start) for p in voices.passages] == [("speaker", 1), ("questioner", 5), ("speaker", 9)]
    assert load_talk(tmp_path / "out" / "captions.md").passages[0].text == "Data is the fossil fuel of AI."
    notes = load_talk(tmp_path / "out" / "notes.md")  # two short paragraphs make one passage (25 words at least)
    assert [p.start for p in notes.passages] == [5] and "reasoning does" in notes.passages[0].text


def _one_line_error(code: int, message: str, path: Path) -> None:
    assert code == 2
    assert message.count("\n") == 1 and "Traceback" not in message
    assert message.startswith(f"transcript-bot: {path}"), message


@pytest.mark.parametrize(("name", "data", "where"), [
    ("empty.srt", b"", "empty"),
    ("blank.vtt", b"  \n\n", "empty"),
    ("binary.srt", bytes(range(256)) * 8, "binary"),
    ("cut.srt", b"1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n2\n00:00:03,000 --> 00:00:0", "line 6"),
    ("back.srt", b"1\n00:00:05,000 --> 00:00:06,000\nLater.\n\n2\n00:00:01,000 --> 00:00:02,000\nEarlier.\n",
     "times go backwards"),
    ("inverted.vtt", b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nOdd.\n", "ends before it starts"),
    ("bad.json", b'{"segments": [{"start": 1, "end": 2, "text": "x"},', "line 1"),
    ("nostart.json", b'{"segments": [{"end": 2, "text": "x"}]}', "segments[0]"),
    ("other.json", b'{"hello": 1}', "neither Whisper"),
])
def test_bad_input_is_one_line_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                               data: bytes, where: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    code, message = run_import(capsys, path, tmp_path / "out", "bad")
    _one_line_error(code, message, path)
    assert where in message
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())  # nothing written


def test_overlap_utf16_and_gbk_import_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    srt = ("1\n00:00:01,000 --> 00:00:04,000\n我们只有一个互联网。\n\n"
           "2\n00:00:03,500 --> 00:00:06,000\n数据不会再增长了。\n")
    for name, data in (("overlap.srt", srt.encode()), ("utf16.srt", srt.encode("utf-16")),
                       ("gbk.srt", srt.encode("gbk"))):
        (tmp_path / name).write_bytes(data)
        code, printed = run_import(capsys, tmp_path / name, tmp_path / "out", name.split(".")[0])
        assert code == 0, printed
        talk = load_talk(tmp_path / "out" / f"{name.split('.')[0]}.md")
        assert "".join(p.text for p in talk.passages) == "我们只有一个互联网。数据不会再增长了。"


def test_existing_id_large_file_and_folder_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "a.srt"
    source.write_text("1\n00:00:01,000 --> 00:00:02,000\nOne line of speech here.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_import(capsys, source, out, "talk")[0] == 0
    before = (out / "talk.md").read_text(encoding="utf-8")
    code, message = run_import(capsys, source, out, "talk")
    _one_line_error(code, message, source)
    assert "--force" in message and (out / "talk.md").read_text(encoding="utf-8") == before
    assert run_import(capsys, source, out, "talk", "--force")[0] == 0
    big = tmp_path / "big.srt"
    with big.open("wb") as fh:
        fh.truncate(50_000_000)  # a 50 MB file, sparse
    code, message = run_import(capsys, big, out, "big")
    _one_line_error(code, message, big)
    assert "MB" in message
    code, message = run_import(capsys, tmp_path, out, "folder")
    _one_line_error(code, message, tmp_path)
    assert "regular file" in message
    assert sorted(p.name for p in out.iterdir()) == ["talk.md"]  # no temporary file left behind


def test_ten_hours_of_captions_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [f"{n}\n{n * 4 // 3600:02d}:{n * 4 % 3600 // 60:02d}:{n * 4 % 60:02d},000 --> "
             f"{n * 4 // 3600:02d}:{n * 4 % 3600 // 60:02d}:{n * 4 % 60:02d},900\nSentence number {n} is spoken now.\n"
             for n in range(9000)]
    (tmp_path / "long.srt").write_text("\n".join(lines), encoding="utf-8")
    code, printed = run_import(capsys, tmp_path / "long.srt", tmp_path / "out", "long")
    assert code == 0, printed
    assert "9:59:56" in printed
    talk = load_talk(tmp_path / "out" / "long.md")
    assert talk.passages[-1].start is not None and talk.passages[-1].start > 35_000


def test_whisper_word_times_that_step_back_a_little_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    words = [{"word": " Agents", "start": 1.0, "end": 1.4}, {"word": " will", "start": 1.5, "end": 1.7},
             {"word": " reason.", "start": 1.8, "end": 2.2}]
    later = [{"word": " They", "start": 1.6, "end": 2.3}, {"word": " surprise", "start": 2.4, "end": 2.9},
             {"word": " us.", "start": 3.0, "end": 3.2}]
    data = {"segments": [{"start": 1.0, "end": 2.2, "text": " Agents will reason.", "words": words},
                         {"start": 2.0, "end": 3.2, "text": " They surprise us.", "words": later}]}
    (tmp_path / "w.json").write_text(json.dumps(data), encoding="utf-8")
    code, printed = run_import(capsys, tmp_path / "w.json", tmp_path / "out", "jitter")
    assert code == 0, printed
    talk = load_talk(tmp_path / "out" / "jitter.md")
    assert talk.passages[0].text == "Agents will reason. They surprise us." and talk.passages[0].start == 1
