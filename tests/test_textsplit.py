"""Splitting long replies at paragraph and sentence boundaries, Chinese included."""

from __future__ import annotations

import pytest

from bot.core.textsplit import split_text


def test_short_text_is_one_chunk() -> None:
    assert split_text("我们只有一个互联网。", 100) == ["我们只有一个互联网。"]


def test_chinese_splits_after_sentence_marks_not_on_spaces() -> None:
    text = "预训练时代无疑会结束。" * 60
    chunks = split_text(text, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert all(c.endswith("。") for c in chunks)
    assert "".join(chunks) == text


def test_paragraphs_are_packed_and_kept_whole_when_they_fit() -> None:
    paragraphs = ["第一段。" * 5, "第二段。" * 5, "第三段。" * 5]
    chunks = split_text("\n\n".join(paragraphs), 45)
    assert chunks == [paragraphs[0] + "\n\n" + paragraphs[1], paragraphs[2]]


def test_latin_sentences_and_hard_cuts() -> None:
    text = "Hello world. " * 30
    chunks = split_text(text, 50)
    assert all(len(c) <= 50 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    assert [len(c) for c in split_text("a" * 250, 100)] == [100, 100, 50]


@pytest.mark.parametrize("limit", [1, 7, 64, 2000, 4096])
def test_nothing_is_lost(limit: int) -> None:
    text = ("这是一个观点:如果你相信人工神经元在某种程度上像生物神经元一样。It works, really! " * 40).strip()
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_invalid_limit() -> None:
    with pytest.raises(ValueError):
        split_text("x", 0)
