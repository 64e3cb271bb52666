"""Search for every talk: English sentences, speaker names from headers, the dictionary, chat wording, junk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.content.loader import ContentError, load_library, load_talk
from bot.content.model import Library, split_sentences
from bot.search.commonness import chinese_share, chinese_zipf, english_share
from bot.search.cues import defined_term, definition_of, edge_of
from bot.search.dictionary import parse
from bot.search.engine import SearchEngine
from bot.search.features import BIGRAM, run_features
from bot.search.normalise import FILLERS_ZH, STOPWORDS_EN, filler_joins, normalise, query_language, stem
from bot.search.plan import Slot
from bot.search.segment import Kind, Word, segment
from bot.search.topics import talk_topics

REPO = Path(__file__).resolve().parent.parent
EISENHOWER = REPO / "tests" / "talks" / "eisenhower-farewell-1961.md"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """The shipped talk and an English talk without a glossary, loaded together."""
    library = Library([*load_library(REPO / "content").talks, *load_library(EISENHOWER.parent).talks])
    return SearchEngine(library, tmp_path_factory.mktemp("index"))


def texts(engine: SearchEngine, query: str) -> list[str]:
    return [h.passage.text for h in engine.search(query, limit=3)]


# -- sentences ---------------------------------------------------------------------------------------


def test_periods_end_sentences_but_not_abbreviations_initials_or_decimals() -> None:
    text = "We choose to go to the moon. Mr. Smith met the U.S. Senate at 3.5 p.m. today. Quoc V. Le agreed!"
    assert split_sentences(text) == ["We choose to go to the moon.", "Mr. Smith met the U.S. Senate at 3.5 p.m. today.",
                                     "Quoc V. Le agreed!"]
    assert split_sentences("我们只有一个互联网。数据是化石燃料！") == ["我们只有一个互联网。", "数据是化石燃料！"]


def test_an_english_talk_quotes_whole_sentences() -> None:
    quotes = [q.text for q in load_talk(EISENHOWER).quotes()]
    assert "We should take nothing for granted." in quotes
    assert len(quotes) > 40
    assert all(q[-1] in ".!?\"”" for q in quotes)


# -- nothing about one talk in generic code ------------------------------------------------------------


def test_speaker_names_and_pronoun_come_from_the_header() -> None:
    talk = load_talk(EISENHOWER)
    assert talk.speaker_names == ("Eisenhower", "Ike") and talk.pronoun == "he"
    assert "speaker_names" not in dict(talk.credits)
    assert not {"ilya", "sutskever"} & STOPWORDS_EN and "伊利亚" not in FILLERS_ZH


def test_a_bad_pronoun_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "talk.md"
    bad.write_text(EISENHOWER.read_text(encoding="utf-8").replace("pronoun: he", "pronoun: it"), encoding="utf-8")
    with pytest.raises(ContentError, match="pronoun"):
        load_talk(bad)


def test_a_speaker_name_in_the_question_is_not_what_it_is_about(engine: SearchEngine) -> None:
    assert any("military-industrial complex" in t for t in texts(engine, "what did Eisenhower say about the "
                                                                            "military-industrial complex"))
    assert engine.plan("what does Ike think about disarmament").asks_speaker
    assert engine.plan("有人说这是自动更正,他啥反应").asks_speaker and engine.plan("伊利亚什么态度").asks_speaker
    assert not engine.plan("反应时间是多少").asks_speaker  # a reaction, but not the speaker's
    assert engine.plan("有人问要不要照搬人脑结构 大神咋回的").asks_speaker  # in chat, 大神 is the speaker
    assert engine.plan("can LLMs generalize or not? his final answer pls").asks_speaker
    assert not engine.plan("他说的这是怎么回事").asks_speaker


# -- English ----------------------------------------------------------------------------------------


def test_english_stems_typos_and_phrases(engine: SearchEngine) -> None:
    assert "plowshares" in texts(engine, "plowshars and swords")[0]
    assert "solitary inventor" in " ".join(texts(engine, "the solitery inventer tinkering"))
    assert engine.planner.correct("mooon") == "moon" or engine.planner.correct("moon") is None


def test_off_topic_english_is_rejected_with_both_talks_loaded(engine: SearchEngine) -> None:
    for query in ("what is the best pizza topping", "how do I reset my router password"):
        assert texts(engine, query) == [], query


# -- cross-language without a glossary ---------------------------------------------------------------------


def test_chinese_questions_find_the_english_talk(engine: SearchEngine) -> None:
    assert "armaments industry" in " ".join(texts(engine, "美国以前没有军火工业吗"))
    assert "disappointment" in " ".join(texts(engine, "他为什么对裁军感到失望"))


def plain_chinese_talk(folder: Path, first: str) -> SearchEngine:
    """An engine over one Chinese talk without glossary: the seed's header, three short paragraphs."""
    seed = (REPO / "content" / "ilya-neurips-2024.md").read_text(encoding="utf-8")
    header = seed[: seed.index("## Key points")].replace("id: ilya-neurips-2024", "id: plain-zh")
    header = header.replace("aliases: ilya; sutskever; neurips-2024", "aliases: plain")
    body = (f"## Key points\n\n- {first[:2]}\n\n## Talk\n\n{first}\n\n"
            "今天的天气很好,我们去公园散步。\n\n他们在研究新的电池材料。\n")
    (folder / "plain.md").write_text(header + body, encoding="utf-8")
    return SearchEngine(load_library(folder), None)


def test_a_chinese_question_naming_an_english_speaker_is_answered_from_their_talk(engine: SearchEngine) -> None:
    assert "strict supervision of all banking" in texts(engine, "罗斯福对银行和投机要怎么监管")[0]
    selma = texts(engine, "约翰逊怎么看塞尔玛发生的事，他觉得骄傲吗")
    assert "no cause for pride in what has happened in Selma" in selma[0]
    for off_topic in ("罗斯福喜欢吃什么", "卡特喜欢什么颜色", "约翰逊有几个孩子"):
        assert texts(engine, off_topic) == [], off_topic


def test_english_words_find_a_chinese_talk_without_glossary(tmp_path: Path) -> None:
    engine = plain_chinese_talk(tmp_path, "我们讨论了裁军和意识形态的问题。")
    hits = engine.search("disarmament and ideology")
    assert hits and "裁军" in hits[0].passage.text


def test_the_dictionary_reads_cedict_lines() -> None:
    found = parse(["# comment", "裁軍 裁军 [cai2 jun1] /disarmament/", "數據 数据 [shu4 ju4] /data/",
                   "一 一 [yi1] /one/", "失望 失望 [shi1 wang4] /disappointed/to lose hope/CL:個|个[ge4]/"])
    assert found.glosses["裁军"] == [("disarma",)]
    assert found.words[("data",)] == ["数据"] and ("lose", "hope") in found.glosses["失望"]
    assert "一" not in found.glosses and "失望" in found.vocabulary


def test_a_name_is_translated_by_its_naming_word() -> None:
    found = parse(["越南戰爭 越南战争 [Yue4 nan2 Zhan4 zheng1] /Vietnam War (1955-1975)/",
                   "休斯敦 休斯敦 [Xiu1 si1 dun1] /Houston, Texas/",
                   "約翰遜 约翰逊 [Yue1 han4 xun4] /Johnson or Johnston (name)/",
                   "珍珠港 珍珠港 [Zhen1 zhu1 Gang3] /Pearl Harbor (Hawaii)/",
                   "二戰 二战 [Er4 zhan4] /World War II/"])
    assert found.glosses["越南战争"] == [("vietnam", "war"), ("vietnam",)]  # "the agony of Vietnam"
    assert ("vietnam",) not in found.words  # a translation of 越南战争, not what "Vietnam" means in Chinese
    assert found.glosses["休斯敦"] == [("houston",)]  # the name, not where it lies
    assert found.glosses["约翰逊"] == [("johnson",), ("johnston",)]
    assert found.glosses["珍珠港"] == [("pearl", "harbor")]  # two rare words: neither names it alone
    assert found.glosses["二战"] == [("world", "war", "ii")]


def test_a_negated_gloss_is_no_translation_of_its_other_words(engine: SearchEngine) -> None:
    found = parse(["不同 不同 [bu4 tong2] /different/not the same/", "不行 不行 [bu4 xing2] /won't do/no good/"])
    assert found.glosses["不同"] == [("differ",), ("not", "same")] and found.glosses["不行"][0] == ("not", "win")
    same = engine.index.vocab["w:same"]  # "not the same" does not make 不同 a translation of "same"
    assert not any(same in alt.terms for slot in engine.plan("不同").slots for alt in slot.alternatives)


# -- Chinese wording ---------------------------------------------------------------------------------------


def test_taiwan_and_hong_kong_wording_is_folded_by_phrase() -> None:
    assert normalise("網路") == "网络" and normalise("軟體") == "软件" and normalise("資料庫") == "数据库"
    assert query_language("預訓練") == "zh" and query_language("pre-training") == "en"


def test_a_chat_form_ending_in_a_particle_still_counts(engine: SearchEngine) -> None:
    assert "结束" in texts(engine, "预训练是不是要凉了")[0]  # 凉了 → 结束, though 了 alone is filler


def test_a_thesaurus_synonym_finds_other_wording(tmp_path: Path) -> None:
    engine = plain_chinese_talk(tmp_path, "会议在晚上九点结束,大家各自回家。")
    assert "结束" in engine.dictionary.same_meaning("收尾")  # Cilin: 收尾 and 结束 are one meaning
    ended = engine.index.vocab[BIGRAM + "结束"]
    assert any(ended in alt.terms for slot in engine.plan("大家几点收尾").slots for alt in slot.alternatives)
    hits = engine.search("大家几点收尾", min_confidence=0.0)
    assert hits and "九点结束" in hits[0].passage.text


def test_a_glossary_term_is_also_matched_through_its_dictionary_translations(engine: SearchEngine) -> None:
    ideology = engine.index.vocab["w:" + stem("ideology")]  # the seed's glossary: 思想 = idea; CEDICT: ideology
    assert "ideology" not in engine.glossary.synonyms["思想"]
    assert any(alt.terms == (ideology,) for slot in engine.plan("思想").slots for alt in slot.alternatives)


def test_english_words_sharing_two_translations_are_related() -> None:
    found = parse(["害怕 害怕 [hai4 pa4] /to be afraid/to be scared/", "惊吓 惊吓 [jing1 xia4] /to frighten/to scare/",
                   "吓坏 吓坏 [xia4 huai4] /to frighten/to scare/"])
    cut = found.restricted(lambda word: False, lambda stem_: stem_ in {"frighten", "afraid"})
    assert cut.related_words("scare") == ["frighten"]  # one shared translation (害怕 "afraid") is not enough
    assert cut.related_words("frighten") == []  # a word some passage has is matched as itself


def test_an_english_word_no_passage_has_is_matched_by_a_related_one(engine: SearchEngine) -> None:
    assert "employ" in engine.dictionary.related_words("hire")  # 雇用, 雇佣: hire; employ
    found = texts(engine, "is the government going to hire people itself")
    assert "direct recruiting by the Government itself" in found[0]


def test_the_dictionary_keeps_thesaurus_groups_and_english_words() -> None:
    found = parse(["數據 数据 [shu4 ju4] /data/"], {"收尾": ["结束", "收场", "完"], "完": ["结束"]})
    assert found.same_meaning("收尾") == ["结束", "收场"] and "完" not in found.thesaurus
    assert "收尾" in found.vocabulary and "data" in found.english


def test_english_passages_also_take_the_translations_of_same_meaning_words(engine: SearchEngine) -> None:
    found = parse(["富有 富有 [fu4 you3] /rich/", "有錢 有钱 [you3 qian2] /well-off/"], {"有钱": ["富有"]})
    cut = found.restricted(lambda word: False, lambda stem: stem == "rich")
    assert cut.borrowed == {"有钱": [("rich",)]}  # 有钱 = 富有 "rich", though 有钱's own gloss is not in the talks
    student = engine.index.vocab["w:" + stem("students")]
    def terms(plan_slots: list[Slot]) -> set[int]:
        return {t for slot in plan_slots for alt in slot.alternatives for t in alt.terms}
    assert student in terms(engine.planner.plan("学童", english_only=True).slots)  # 学童 = 学生 "student"
    assert student not in terms(engine.plan("学童").slots)  # not where Chinese passages compete


def test_a_real_english_word_is_not_taken_for_a_typo(engine: SearchEngine) -> None:
    slots = engine.plan("banana bread").slots  # "bread" is a word of its own, not a misspelt "read"
    assert all(not slot.alternatives for slot in slots)
    assert texts(engine, "anyone have a good banana bread recipe") == []
    assert engine.plan("solitery").slots[0].alternatives  # a misspelling is still corrected


def test_a_run_is_cut_into_its_likeliest_words() -> None:
    lexicon = {"点数": Kind.WORD, "数据": Kind.WORD, "学会": Kind.WORD, "投机": Kind.WORD, "机要": Kind.WORD,
               "凉了": Kind.CHAT}
    cut = segment("少喂点数据就学会", [False] * 8, lexicon.get, chinese_zipf, 6)
    assert [w.text for w in cut] == ["数据", "学会"]  # read from the left, 点数 would hide 数据
    assert [w.text for w in segment("银行和投机要", [False] * 6, lexicon.get, chinese_zipf, 6)] == ["投机"]
    assert [w.text for w in segment("要凉了", [False, False, True], lexicon.get, chinese_zipf, 6)] == ["凉了"]
    assert segment("点数", [False, True], lexicon.get, chinese_zipf, 6) == []  # no filler inside a word
    nations = {"美国": Kind.WORD, "美国人": Kind.WORD}  # the frequency list lacks the compound, not its parts
    assert chinese_zipf("美国人") == 0 < chinese_zipf("美国")
    assert [w.text for w in segment("对美国人有", [False] * 5, nations.get, chinese_zipf, 6)] == ["美国人"]
    people = {"个人": Kind.TERM}  # a glossary term may hold a filler character, but not half a filler word
    assert segment("这个人", [True, True, False], people.get, chinese_zipf, 6) == [Word(1, "个人", Kind.TERM)]
    assert segment("这个人", [True, True, False], people.get, chinese_zipf, 6, filler_joins("这个人")) == []


def test_everyday_words_weigh_less_than_words_of_a_subject(engine: SearchEngine) -> None:
    assert chinese_share("今天") < chinese_share("数据") < chinese_share("预训练") == 1.0
    assert english_share(("good",)) < english_share(("enemi",)) <= english_share(("lstm",)) == 1.0
    assert texts(engine, "who won the champions league final last night") == []  # not "my last good night"


def test_a_question_naming_a_speaker_keeps_to_their_talks(engine: SearchEngine) -> None:
    assert {h.passage.talk_id for h in engine.search("艾森豪威尔说了什么关于和平")} == {"eisenhower-farewell-1961"}
    assert engine.plan("what did Eisenhower say about peace").names == {"eisenhow"}  # as stemmed
    # a name that is also an everyday word names the speaker only when written with a capital
    assert engine.plan("what did Johnson say about Selma").names == {"johnson"}
    assert engine.plan("what did johnson say about selma").names == frozenset()
    assert engine.search("Eisenhower on pre-training") == []  # not another speaker's words instead
    assert engine.search("罗斯福喜欢吃什么") == []


def test_a_speakers_chinese_name_comes_from_the_dictionary(engine: SearchEngine) -> None:
    """No test talk's header writes its speaker's name in Chinese: CC-CEDICT knows how Chinese writes it."""
    assert engine.dictionary.chinese_names("Dwight D. Eisenhower") == ["艾森豪威尔"]
    assert "肯尼迪" in parse(["肯尼迪 肯尼迪 [Ken3 ni2 di2] /Kennedy (name)/J.F. Kennedy (1917-1963), US president/"],
                          ).people["kennedy"]
    found = parse(["甘迺迪 甘迺迪 [Gan1 nai3 di2] /Kennedy (name)/", "约翰 约翰 [Yue1 han4] /John (name)/",
                   "现代 现代 [xian4 dai4] /modern times (name)/"])  # not a proper noun: no capital in its pinyin
    assert found.chinese_names("John F. Kennedy") == ["甘迺迪"]  # by the last name, not by "John"
    assert "modern times" not in found.people
    assert {h.passage.talk_id for h in engine.search("艾森豪威尔说了什么关于和平")} == {"eisenhower-farewell-1961"}
    assert "strict supervision of all banking" in texts(engine, "罗斯福对银行和投机要怎么监管")[0]


def test_irregular_english_forms_meet_their_dictionary_form(engine: SearchEngine) -> None:
    assert stem("chose") == stem("choose") and stem("built") == stem("building") and stem("children") == stem("child")
    assert stem("left") == "left" and stem("strongest") != stem("strong")  # two readings; a degree of its own
    index_dir = engine._index_dir
    assert index_dir is not None  # the table is kept beside the index: later starts need not read lemminflect
    kept = json.loads((index_dir / "dictionary.json").read_text(encoding="utf-8"))["irregular"]
    assert kept["chose"] == "choose" and "left" not in kept and "strongest" not in kept


def test_a_hyphenated_word_is_found_written_whole_too() -> None:
    assert run_features("viet-nam") == ["w:viet", "w:nam", "w:vietnam"]
    assert run_features("pre-training")[-1] == "w:" + stem("pretraining")
    assert run_features("today's") == ["w:today", "w:s"]  # only hyphens join


def test_a_repeated_word_is_one_unit_of_the_question(engine: SearchEngine) -> None:
    assert len(engine.plan("peace peace").slots) == len(engine.plan("peace").slots) == 1


def test_chat_wording_and_filler_keep_a_good_query(engine: SearchEngine) -> None:
    plain = texts(engine, "为什么预训练会结束")[0]
    assert texts(engine, "为啥预训练会结束啊 谢谢 pls 7 🙏")[0] == plain
    assert any("加密货币" in t for t in texts(engine, "他咋评价币圈"))


@pytest.mark.parametrize("junk", ["1", "1=1", "@everyone", "SELECT * FROM users", "42 ???", "🙏🙏"])
def test_junk_without_content_words_is_rejected(engine: SearchEngine, junk: str) -> None:
    assert engine.search(junk) == []


def test_an_audience_question_brings_the_answer(engine: SearchEngine) -> None:
    hits = engine.search("自动纠正将会成为未来模型的核心特性之一")
    roles = [h.passage.role for h in hits[:2]]
    assert roles == ["questioner", "speaker"]
    assert engine.search("自动纠正将会成为未来模型的核心特性之一", speaker_only=True)[0].passage.role == "speaker"


@pytest.mark.parametrize("question", ["他怎么看自动纠正会成为未来模型的核心特性",
                                      "自动纠正会成为核心特性吗,他怎么回答的",
                                      "does he think autocorrect will be a core feature of future models"])
def test_asking_what_the_speaker_answered_gets_the_answer_first(engine: SearchEngine, question: str) -> None:
    hits = engine.search(question)
    roles = [h.passage.role for h in hits[:3]]
    assert roles[0] == "speaker" and "questioner" in roles  # the answer (and its rest), then the question
    assert hits[0].passage.text.startswith("是的") and hits[0].score == hits[1].score


def test_a_yes_or_no_question_in_other_words_gets_the_answer_first(engine: SearchEngine) -> None:
    assert engine.plan("模型以后能自己改错吗").yes_no and engine.plan("can models fix their own mistakes").yes_no
    assert not engine.plan("模型怎么改错").yes_no
    assert engine.plan("模型以后能自己改错吗,就不瞎编了").yes_no  # 吗 closes a clause, not only the message
    assert engine.plan("大模型能举一反三吗还是只会背题").yes_no and engine.plan("so did it work or not").yes_no
    assert engine.search("模型以后能自己改错吗,就不瞎编了")[0].passage.text.startswith("是的,答案是肯定的")
    hits = engine.search("AI要不要给它权利啊")  # the audience asked it too: the speaker's answer comes first
    assert hits[0].passage.role == "speaker" and "需要权利吗" in hits[1].passage.text
    quoted = engine.search("未来,你认为如果模型具备推理能力,它能自己纠正错误吗")  # the question, word for word
    assert quoted[0].passage.role == "questioner"


def test_a_speakers_lead_in_comes_with_the_paragraph_it_announces(engine: SearchEngine) -> None:
    hits = engine.search("我们研究工作的总结可以归纳为以下三个要点")  # "…three points:" then the points
    assert hits[0].passage.text.endswith("三个要点:")
    assert hits[1].passage.text.startswith("一个基于文本训练的自回归模型")
    listed = engine.search("研究工作的总结是哪三个要点")  # asking for the items: the list first, then its lead-in
    assert listed[0].passage.text.startswith("一个基于文本训练的自回归模型")
    assert listed[1].passage.text.endswith("三个要点:")
    asked = engine.search("这张幻灯片究竟要传达什么")  # the speaker's own question, then the answer
    assert asked[0].passage.text.endswith("呢?") and asked[1].passage.text.startswith("它的意思是")


def test_an_answer_is_found_past_a_question_of_several_paragraphs(engine: SearchEngine) -> None:
    hits = engine.search("未来,你认为如果模型具备推理能力,它能自己纠正错误吗")  # a question of two paragraphs
    assert hits[0].passage.role == "questioner" and hits[1].passage.text.startswith("是的")
    assert "\n我认为你所描述的" in hits[1].passage.text  # a one-line answer is shown with the rest of it
    assert hits[1].passage.key == "ilya-neurips-2024/81"  # under its own key (context, feedback, links)
    assert all("我认为你所描述的" not in h.passage.text for h in hits[2:])  # and the rest is not shown twice
    quote = engine.best_quote("推理的模型能自己纠正幻觉吗 极其有可能")  # /quote picks among both paragraphs' sentences
    assert quote is not None and quote[0].text == "我认为你所描述的这个观点极其有可能发生。"


def test_a_question_for_what_a_term_means_prefers_the_passage_that_says_it(engine: SearchEngine) -> None:
    assert defined_term(normalise("LSTM说白了是个啥玩意")) == "lstm"
    assert defined_term(normalise("什么是预训练")) == "预训练"
    assert defined_term(normalise("So what is an LSTM?")) == "lstm"
    assert defined_term(normalise("why did pre-training end")) == ""
    assert definition_of("lstm").search("对于不熟悉的人来说,lstm 是深度学习研究人员在 transformer 出现之前的技术")
    assert "LSTM 是深度学习研究人员" in texts(engine, "LSTM说白了是个啥玩意")[0]  # not "那就是 LSTM,它比…"


def test_the_opening_or_close_of_a_talk_is_where_a_question_about_it_looks(engine: SearchEngine) -> None:
    assert edge_of("开场谢了谁") == ("opening", " 谢了谁")
    assert edge_of("what does he say at the end of the speech")[0] == "closing"
    assert edge_of("at the end of the day who won")[0] == edge_of("at the end of the war")[0] == ""
    assert edge_of("他最后给的答案是什么")[0] == ""  # a bare 最后 is "finally" as often as "at the end"
    assert engine.search("他开场先感谢了谁")[0].passage.key == "ilya-neurips-2024/1"


def test_asking_only_how_a_talk_opens_or_ends_gets_its_first_or_last_paragraphs(engine: SearchEngine) -> None:
    opening = engine.search("how does Eisenhower open his speech")
    assert [h.passage.key for h in opening] == [f"eisenhower-farewell-1961/{n}" for n in (1, 2, 3)]
    assert engine.search("how does the speech end") == []  # several talks are loaded: which one is not said
    closing = engine.search("how does the speech end", talk="eisenhower-farewell-1961")
    assert closing[-1].passage.text.startswith("You and I -- my fellow citizens")


# -- topics ----------------------------------------------------------------------------------------------


def test_topics_of_a_talk_without_glossary_in_both_languages(engine: SearchEngine) -> None:
    topics = talk_topics(load_talk(EISENHOWER), engine.dictionary)
    assert "research" in topics["en"] and topics["zh"]
    assert all(len(t) for t in topics["zh"])
