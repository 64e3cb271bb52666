"""Text normalisation for matching: NFKC, case folding, Traditional→Simplified, script runs, stems, sounds."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import opencc
import Stemmer

from bot.search import lemmas

# Taiwan and Hong Kong wording is folded by phrase (網路 → 网络, 軟體 → 软件), then any character by character.
_TW2SP = opencc.OpenCC("tw2sp")
_HK2S = opencc.OpenCC("hk2s")
_T2S = opencc.OpenCC("t2s")
_STEMMER = Stemmer.Stemmer("english")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run is either Chinese characters or a Latin/digit word (keeps "gpt-2", "3.5", "o1" together).
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[.\-'][a-z0-9]+)*")
_IS_CJK = re.compile(rf"[{_CJK}]")
_PARTS = re.compile(r"[-']")
# Characters whose sound the sound table knows (unified ideographs and extension A).
SOUND_FIRST, SOUND_LAST = 0x3400, 0x9FFF

# Question and filler words: kept, but they weigh little so they neither dominate nor vanish.
FILLERS_ZH = (
    "为什么", "是什么", "什么", "怎么样", "怎么", "如何", "哪些", "哪个", "哪里", "是不是", "是否", "有没有",
    "请问", "一下", "他说", "她说", "说了", "说过", "提到", "谈到", "讲了", "关于", "吗", "呢", "吧", "啊", "呀",
    "的", "了", "么", "他", "她", "它", "他们", "是", "谁", "到底", "究竟", "能不能", "会不会", "算不算", "对不对",
    "多少", "哪",
    # chat forms: question patterns, polite filler and trailing particles weigh as little as 什么
    "什么意思", "怎么看", "如何看", "怎么理解", "怎么回事", "回事", "是个", "一个", "这个", "那个",
    "来着", "玩意", "玩意儿", "东西", "大佬", "大神", "各位", "大家", "老哥", "兄弟", "朋友们",
    "有人", "哈", "哈哈", "嘛", "呐", "哇", "噢", "哦",
    "嗯", "诶", "喔", "咯", "啦", "呗", "哎", "讲讲", "说说", "聊聊", "讲的", "说的", "还是",
    "就是", "是说", "说白了", "到底是", "还有", "那么", "这么", "怎样", "为何",
    "意思",
)
# Greetings are filler where a message opens ("求助 …"), thanks where it closes ("… 谢了哈"); elsewhere they are
# what it asks about ("他开场谢了谁").
GREETINGS_ZH = ("你好", "您好", "大家好", "求助", "求问", "请教", "麻烦")
THANKS_ZH = ("谢谢", "多谢", "谢了", "谢啦")
_AFTER_THANKS = "[啊呀哈嘛啦呗哦噢喔咯呐了]|大家|各位|大佬|大神|老哥|兄弟|朋友们"  # may follow a closing thanks
_STOPWORDS = (
    # markup and links pasted into a question are not what it is about
    "http", "https", "www", "com", "org", "html", "href", "script", "amp", "nbsp", "quot", "lt", "gt",
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done",
    "doing", "have", "has", "had", "having", "will", "would", "shall", "should", "can", "could", "may", "might",
    "must", "i", "me", "my", "you", "your", "he", "him", "his", "she", "her", "it", "its", "we", "us", "our",
    "they", "them", "their", "this", "that", "these", "those", "what", "which", "who", "whom", "whose", "why",
    "how", "when", "where", "there", "here", "of", "in", "on", "at", "to", "for", "from", "by", "with", "about",
    "as", "into", "onto", "than", "then", "so", "and", "or", "but", "if", "not", "no", "yes", "any", "some",
    "all", "just", "also", "very", "too", "much", "many", "more", "most", "less", "say", "says", "said",
    "saying", "tell", "tells", "told", "talk", "talks", "talked", "speaker", "speech", "pls", "plz", "thanks",
    "thank", "thx", "hi", "hello", "hey", "guys", "everyone", "anyone", "somebody", "mean", "means", "meant",
    "mention", "mentions", "mentioned", "think", "thinks", "thought", "according", "please", "explain",
    "describe", "discuss", "discussed", "something", "anything", "thing", "things", "s", "t", "don", "doesn",
    "didn", "isn", "aren", "wasn", "weren", "won", "wouldn", "cannot", "go", "goe", "going", "went", "gone",
    "get", "got", "gett", "come", "came", "know", "knew", "want", "really", "actually", "maybe", "perhaps",
    "even", "still", "already", "ever", "only", "again", "there", "one", "ones", "someone", "kind", "sort",
    "lot", "bit", "well", "yeah", "okay", "ok", "whether", "while", "because", "since", "until", "though",
    "although", "however", "each", "every", "other", "others", "another", "such", "able", "via", "per", "upon",
    "within", "let", "lets", "like", "toward", "towards", "without", "always", "sometimes", "often", "usually",
    "thus", "therefore", "exactly", "basically", "simply", "quite", "rather", "whole", "much",
    # greetings and politeness around a question ("pre-training pls")
    "thx", "ty", "pls", "plz", "hi", "hello", "hey", "dear", "lol", "btw", "bot", "sir",
)
_FILLER_RE = re.compile("|".join(sorted(FILLERS_ZH, key=len, reverse=True)))
_GREETING_RE = re.compile("^(?:{})+".format("|".join(GREETINGS_ZH)))
_THANKS_RE = re.compile("(?:{})+(?=(?:{})*$)".format("|".join(THANKS_ZH), _AFTER_THANKS))

# Colloquial question words people type in chat, mapped to the standard form.
_COLLOQUIAL = {"为啥": "为什么", "干嘛": "为什么", "干啥": "做什么", "啥": "什么", "咋样": "怎么样", "咋": "怎么",
               "哪儿": "哪里", "神马": "什么", "肿么": "怎么", "木有": "没有", "没啥": "没什么", "嘛意思": "什么意思"}
_COLLOQUIAL_RE = re.compile("|".join(sorted(_COLLOQUIAL, key=len, reverse=True)))


def _read_colloquial() -> dict[str, list[str]]:
    """The chat-form table shipped beside this module (colloquial = standard | standard)."""
    table: dict[str, list[str]] = {}
    data = resources.files("bot.search") / "data" / "colloquial_zh.txt"
    for line in data.read_text(encoding="utf-8").splitlines():
        word, eq, standard = line.partition("=")
        if line.startswith("#") or not eq:
            continue
        table[_T2S.convert(word.strip())] = [_T2S.convert(w.strip()) for w in standard.split("|") if w.strip()]
    return table


# Colloquial and internet words (凉了, 币圈, 瞎编) and the standard wordings they stand for.
COLLOQUIAL = _read_colloquial()
LONGEST_COLLOQUIAL = max((len(w) for w in COLLOQUIAL), default=0)


def fold(text: str) -> str:
    """NFKC, case-folded, Simplified text: the form every comparison uses (uncached, for passages)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if _IS_CJK.search(text):
        text = _T2S.convert(_HK2S.convert(_TW2SP.convert(text)))
        text = _COLLOQUIAL_RE.sub(lambda m: _COLLOQUIAL[m.group(0)], text)
    return text


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """NFKC, case-folded, Simplified text: the form every comparison uses (cached, for queries and terms)."""
    return fold(text)


def runs(text: str) -> list[str]:
    """Chinese runs and Latin words of normalised text, in order (punctuation and spaces dropped)."""
    return _RUN.findall(text)


def has_cjk(text: str) -> bool:
    """True when a text holds at least one Chinese character."""
    return _IS_CJK.search(text) is not None


def query_language(text: str) -> str:
    """'zh' for a question holding Chinese characters, else 'en' (the language to name topics in)."""
    return "zh" if _IS_CJK.search(text) else "en"


def is_cjk(run: str) -> bool:
    """True for a run of Chinese characters."""
    return bool(run) and _IS_CJK.match(run[0]) is not None


def _snowball(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def irregular_forms() -> dict[str, str]:
    """Irregular English form → its dictionary form, as lemma() uses them (see lemmas.py)."""
    return lemmas.table(_snowball)


def lemma(word: str) -> str:
    """The dictionary form of an irregular English verb or noun (chose → choose, children → child), when it
    has just one; the word itself otherwise ("left" may be "leave" or the side, so it stays "left")."""
    return lemmas.table(_snowball).get(word, word)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English Snowball stem of a word's dictionary form (plural, -ing, -ed and -ly forms and irregular
    ones meet: built, building → build); digits and codes as they are."""
    return _snowball(lemma(word)) if word.isalpha() else word


def stems(words: list[str]) -> list[str]:
    """The stems of many alphabetic words at once (as stem() gives them, without its cache)."""
    return [str(s) for s in _STEMMER.stemWords([lemma(w) for w in words])]


# English words that carry no meaning for search, as written and as stemmed ("does" → "doe"); their irregular
# forms are listed too (was, went, said), so Snowball alone stems them.
STOPWORDS_EN = frozenset({*_STOPWORDS, *(_snowball(w) for w in _STOPWORDS)})


def latin_parts(run: str) -> list[str]:
    """Stems of the parts of one Latin run ("gpt-2" → gpt, 2; "today's" → today)."""
    return [stem(part) for part in _PARTS.split(run) if part]


def english_words(text: str) -> list[str]:
    """Stems of the Latin words of normalised text, with hyphenated words split."""
    return [w for run in runs(text) if not is_cjk(run) for w in latin_parts(run)]


def filler_spans(run: str) -> list[tuple[int, int]]:
    """Where the question and filler words of a Chinese run start and end."""
    return [match.span() for pattern in (_GREETING_RE, _THANKS_RE, _FILLER_RE) for match in pattern.finditer(run)]


def filler_mask(run: str) -> list[bool]:
    """For each character of a Chinese run, whether it belongs to a question or filler word."""
    mask = [False] * len(run)
    for start, end in filler_spans(run):
        mask[start:end] = [True] * (end - start)
    return mask


def filler_joins(run: str) -> list[bool]:
    """For each character of a Chinese run, whether it continues a filler word: no other word starts there."""
    joins = [False] * (len(run) + 1)
    for start, end in filler_spans(run):
        joins[start + 1 : end] = [True] * (end - start - 1)
    return joins


def sound_table() -> tuple[list[str], npt.NDArray[np.uint16]]:
    """Toneless pinyin syllables and, per character from SOUND_FIRST to SOUND_LAST, its syllable number (0: none).

    Built once with the index and stored in it, so answering queries never loads the pinyin dictionaries.
    """
    from pypinyin import Style, lazy_pinyin

    def blank(unknown: str) -> list[str]:  # one empty sound per character without a reading keeps the order
        return [""] * len(unknown)

    chars = [chr(c) for c in range(SOUND_FIRST, SOUND_LAST + 1)]
    sounds: list[str] = lazy_pinyin(chars, style=Style.NORMAL, errors=cast(Any, blank))
    if len(sounds) != len(chars):  # one reading per character is what the table needs
        sounds = [(lazy_pinyin(c, style=Style.NORMAL, errors="ignore") or [""])[0] for c in chars]
    syllables = sorted({s for s in sounds if s and s.isascii() and s.isalpha()})
    number = {s: i + 1 for i, s in enumerate(syllables)}
    table = np.fromiter((number.get(s, 0) for s in sounds), dtype=np.uint16, count=len(chars))
    return syllables, table
