"""The search engine: normalisation, typos, the glossary, rejection, filters, odd input and the persisted index."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.loader import load_library
from bot.search.engine import MAX_QUERY_CHARS, MIN_CONFIDENCE, SearchEngine
from bot.search.index import FILE_NAME, InvertedIndex
from bot.search.normalise import filler_mask, normalise, runs, stem

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
SEED = CONTENT / "ilya-neurips-2024.md"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """The engine on the repo's talk, its index persisted in a temporary folder."""
    return SearchEngine(load_library(CONTENT), tmp_path_factory.mktemp("index"))


def top_text(engine: SearchEngine, query: str, **kwargs: object) -> str:
    hits = engine.search(query, **kwargs)  # type: ignore[arg-type]
    assert hits, f"no result for {query!r}"
    return hits[0].passage.text


# -- normalisation ------------------------------------------------------------------------------------


def test_normalise_folds_width_case_and_script() -> None:
    assert normalise("ＬＳＴＭ　Ｔｒａｎｓｆｏｒｍｅｒ") == "lstm transformer"
    assert normalise("預訓練時代為什麼會結束") == "预训练时代为什么会结束"
    assert normalise("为啥") == "为什么"  # colloquial question words become the standard ones


def test_runs_drop_punctuation_and_keep_latin_words_whole() -> None:
    assert runs(normalise("GPT-2、GPT-3 和 3.5 倍!")) == ["gpt-2", "gpt-3", "和", "3.5", "倍"]


def test_fillers_are_marked_but_content_is_not() -> None:
    run = "为什么预训练会结束呢"
    marked = "".join(ch for ch, filler in zip(run, filler_mask(run), strict=True) if filler)
    assert marked == "为什么呢"


def test_thanks_and_greetings_are_filler_only_where_a_message_closes_or_opens() -> None:
    def kept(run: str) -> str:
        return "".join(ch for ch, filler in zip(run, filler_mask(run), strict=True) if not filler)

    assert kept("预训练会结束吗谢了哈") == "预训练会结束"  # closing thanks
    assert kept("谢谢大家") == ""
    assert kept("求助预训练会结束吗") == "预训练会结束"  # opening plea
    assert kept("他开场谢了哪几个人") == "开场谢几个人"  # what he did: thank someone
    assert kept("他感谢了谁") == "感谢"


def test_stem_matches_plural_and_ing_forms() -> None:
    assert stem("networks") == stem("network") == "network"
    assert stem("hallucinating") == stem("hallucination") == "hallucin"
    assert stem("gpt-2") == "gpt-2"


@pytest.mark.parametrize("query", ["LSTM 是什么", "lstm 是什么", "ＬＳＴＭ 是什么"])
def test_full_width_and_case_find_the_same_passage(engine: SearchEngine, query: str) -> None:
    assert "LSTM" in top_text(engine, query)


def test_traditional_finds_the_simplified_passage(engine: SearchEngine) -> None:
    assert "生物学的启发是非常、非常、非常有限的" in top_text(engine, "生物學的啟發非常有限")


# -- typos and languages ------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "gold"), [
    ("与训练时代无疑会结束", "预训练时代无疑会结束"),  # a homophone typed for another character
    ("练结主义", "联结主义"),
    ("家密货币", "加密货币"),
    ("LTSM 是 Transfromer 之前的技术吗", "在 Transformer 出现之前的技术"),  # swapped letters
    ("superintelligance is where the field is going", "这是这个领域的发展方向"),
])
def test_typos_of_one_or_two_characters_still_match(engine: SearchEngine, query: str, gold: str) -> None:
    assert gold in top_text(engine, query)


@pytest.mark.parametrize(("query", "gold"), [
    ("fossil fuel of AI", "数据是人工智能的化石燃料"),
    ("pipeline parallelism with 8 GPUs", "3.5 倍的速度提升"),
    ("LLMs generalizing out of distribution for multi-hop reasoning", "在分布外进行多跳推理的泛化"),
    ("算力越来越强但数据没有增长", "计算能力"),  # another Chinese wording from the glossary
])
def test_glossary_bridges_languages_and_wordings(engine: SearchEngine, query: str, gold: str) -> None:
    assert gold in top_text(engine, query)


def test_an_english_word_maps_to_the_chinese_term(engine: SearchEngine) -> None:
    plan = engine.plan("hallucination")
    assert plan.slots and plan.slots[0].alternatives  # found through 幻觉


# -- rejection -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "糖醋排骨怎么做", "明天股市会涨吗", "世界杯冠军是谁", "best pizza recipe", "how do I reset my password",
    "translate this sentence into French", "今天天气怎么样",
])
def test_off_topic_questions_get_no_answer(engine: SearchEngine, query: str) -> None:
    assert engine.search(query) == []


def test_a_lower_threshold_shows_looser_matches(engine: SearchEngine) -> None:
    assert engine.search("今天天气怎么样", min_confidence=0.0)


def test_scores_are_confidences_in_ranking_order(engine: SearchEngine) -> None:
    hits = engine.search("自回归模型 预测下一个 token", limit=5)
    assert len(hits) >= 2
    assert all(0 < h.score <= 1 for h in hits)
    assert hits[0].score >= MIN_CONFIDENCE
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_when_one_passage_answers_its_next_paragraphs_carry_on(engine: SearchEngine) -> None:
    hits = engine.search("深度学习假说到底是个啥")  # the slide's title, then what it says
    first = hits[0].passage
    assert "深度学习假说" in first.text and len(hits) == 3
    following = engine.catalog.neighbours(first.key, before=0, after=2)
    assert [h.passage for h in hits] == following and "10 层的大型神经网络" in hits[1].passage.text
    assert [h.score for h in hits] == [hits[0].score] * 3  # no surer than the passage they follow
    assert engine.search("今天天气怎么样") == []  # nothing to carry on from


def test_offset_pages_through_the_same_ranking(engine: SearchEngine) -> None:
    both = engine.search("神经网络", limit=2)
    assert len(both) == 2
    assert engine.search("神经网络", limit=1, offset=1)[0].passage == both[1].passage


# -- filters -------------------------------------------------------------------------------------------


def test_speaker_only_skips_the_questions(engine: SearchEngine) -> None:
    query = "自动纠正将会成为未来模型的核心特性之一"
    assert engine.search(query)[0].passage.role == "questioner"
    hits = engine.search(query, speaker_only=True, limit=5)
    assert hits and all(h.passage.role == "speaker" for h in hits)


def test_best_quote_is_a_sentence_of_the_speaker(engine: SearchEngine) -> None:
    found = engine.best_quote("数据是人工智能的化石燃料")
    assert found is not None
    quote, score = found
    assert "化石燃料" in quote.text and quote.passage.role == "speaker" and score >= MIN_CONFIDENCE


@pytest.fixture(scope="module")
def two_talks(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """The seed talk and a second, different talk in one library."""
    folder = tmp_path_factory.mktemp("content")
    (folder / "ilya.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "other.md").write_text(
        "---\nid: other-talk\ntitle: Another talk\nspeaker: Someone Else\nevent: Meetup\ndate: 2025-01-01\n"
        "language: zh\nsource: https://example.com/talk\n---\n\n## Key points\n- 数据\n\n## Talk\n"
        "我们讨论化石燃料和数据的巅峰,以及合成数据的前景。\n\n另一段话讲的是别的事情。\n", encoding="utf-8")
    return SearchEngine(load_library(folder), None)


def test_talk_filter_keeps_to_one_talk(two_talks: SearchEngine) -> None:
    query = "化石燃料 数据的巅峰"
    talks = {h.passage.talk_id for h in two_talks.search(query, limit=5)}
    assert talks == {"ilya-neurips-2024", "other-talk"}
    for talk in talks:
        hits = two_talks.search(query, limit=5, talk=talk)
        assert hits and {h.passage.talk_id for h in hits} == {talk}
    assert two_talks.search(query, talk="no-such-talk") == []


# -- odd input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "", "   ", "\n\t", "？？？!!!", "😀🎉🔥", "\x00\x01\x1b[31m", "'; DROP TABLE passages; --",
    "<script>alert('预训练')</script>", "<b>化石燃料</b>", "%_%' OR 1=1 --", "\u200b\u200d\ufeff",
    "a" * 10_000, "预训练" * 5_000, "🙂 预训练 🙂",
])
def test_odd_queries_never_raise(engine: SearchEngine, query: str) -> None:
    hits = engine.search(query, limit=3)
    assert isinstance(hits, list) and len(hits) <= 3
    engine.plan(query)
    engine.best_quote(query)


def test_symbols_only_make_an_empty_plan(engine: SearchEngine) -> None:
    assert engine.plan("😀🎉🔥 ？？").empty
    assert not engine.plan("预训练").empty


def test_markup_around_words_still_finds_them(engine: SearchEngine) -> None:
    assert "化石燃料" in top_text(engine, "<b>化石燃料</b>")
    assert "预训练" in top_text(engine, "🙂 预训练时代 🙂")


def test_a_very_long_query_is_cut_and_answered_quickly(engine: SearchEngine) -> None:
    query = "数据是人工智能的化石燃料" + "。" * 20 + "填充" * 5_000
    plan = engine.plan(query)
    assert len(plan.compact) <= MAX_QUERY_CHARS
    assert "化石燃料" in top_text(engine, query)


# -- the persisted index -------------------------------------------------------------------------------


def test_the_index_is_persisted_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = load_library(CONTENT)
    SearchEngine(library, tmp_path)
    assert (tmp_path / FILE_NAME).exists()

    def no_build(texts: object) -> InvertedIndex:
        raise AssertionError("the index was rebuilt although the content did not change")

    monkeypatch.setattr(InvertedIndex, "build", staticmethod(no_build))
    assert SearchEngine(library, tmp_path).search("化石燃料")


def test_the_index_is_rebuilt_when_content_changes(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    talk = content / "talk.md"
    talk.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    index = tmp_path / "index"
    assert SearchEngine(load_library(content), index).search("量子纠缠的蝴蝶效应") == []
    before = (index / FILE_NAME).stat().st_mtime_ns
    talk.write_text(talk.read_text(encoding="utf-8").replace(
        "这些都是非常值得做的事。", "这些都是非常值得做的事,比如研究量子纠缠的蝴蝶效应。"), encoding="utf-8")
    engine = SearchEngine(load_library(content), index)
    assert "量子纠缠" in top_text(engine, "量子纠缠的蝴蝶效应")
    assert (index / FILE_NAME).stat().st_mtime_ns != before


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_corrupt_index_file_is_rebuilt(tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    library = load_library(CONTENT)
    SearchEngine(library, tmp_path)
    path = tmp_path / FILE_NAME
    data = path.read_bytes()
    path.write_bytes({"garbage": b"not an index" * 100, "truncated": data[: len(data) // 2], "empty": b""}[damage])
    with caplog.at_level(logging.WARNING):
        engine = SearchEngine(library, tmp_path)
    assert "化石燃料" in top_text(engine, "化石燃料")
    assert "rebuilding" in caplog.text
    assert SearchEngine(library, tmp_path).index.n_docs == len(library.passages)  # and written back whole


def test_an_unwritable_index_folder_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert SearchEngine(load_library(CONTENT), blocker / "index").search("化石燃料")


# -- the command line ----------------------------------------------------------------------------------


def test_search_batch_json_prints_one_object_per_line(tmp_path: Path) -> None:
    queries = ["数据是人工智能的化石燃料", "糖醋排骨怎么做", "", "fossil fuel of AI", "😀"]
    env = {**os.environ, "BOT_CONTENT_DIR": str(CONTENT), "BOT_INDEX_DIR": str(tmp_path / "index"),
           "BOT_DATABASE": str(tmp_path / "bot.sqlite3")}
    done = subprocess.run([sys.executable, "-m", "bot", "search", "--batch", "--json", "--limit", "3"],
                          input="\n".join(queries) + "\n", capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert len(lines) == len(queries)
    rows = [json.loads(line) for line in lines]
    assert [r["query"] for r in rows] == queries
    for row in rows:
        assert set(row) == {"query", "results"}
        assert len(row["results"]) <= 3
        for result in row["results"]:
            assert set(result) == {"text", "score", "talk", "section", "paragraph", "speaker", "start", "link"}
            assert isinstance(result["score"], float) and isinstance(result["paragraph"], int)
    first = rows[0]["results"][0]
    assert "化石燃料" in first["text"] and first["talk"] == "ilya-neurips-2024" and first["section"] == "Talk"
    assert first["speaker"] == "Ilya Sutskever"
    assert rows[1]["results"] == [] and rows[2]["results"] == [] and rows[4]["results"] == []
    assert "化石燃料" in rows[3]["results"][0]["text"]


def test_markup_is_not_evidence_but_its_text_is(engine: SearchEngine) -> None:
    assert engine.search("**bold** _x_ `code` [l](http://x)") == engine.search("bold code")
    assert engine.search("<b>预训练</b>")  # the tags go, the question stays
    assert any("X 轴" in h.passage.text for h in engine.search("X 轴是什么"))
    assert any("X 轴" in h.passage.text for h in engine.search("what is the x axis"))
