"""Text normalisation for matching: NFKC, case folding, Traditional→Simplified, script runs, pinyin."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

_T2S = opencc.OpenCC("t2s")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run is either Chinese characters or a Latin/digit word (keeps "gpt-2", "3.5", "o1" together).
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[.\-'][a-z0-9]+)*")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Question and filler words: kept, but they weigh little so they neither dominate nor vanish.
FILLERS_ZH = (
    "为什么", "是什么", "什么", "怎么样", "怎么", "如何", "哪些", "哪个", "哪里", "是不是", "是否", "有没有",
    "请问", "一下", "他说", "说了", "说过", "提到", "谈到", "讲了", "关于", "吗", "呢", "吧", "啊", "呀",
    "的", "了", "么", "他", "伊利亚", "是", "谁",
)
STOPWORDS_EN = frozenset(
    """a an the is are was were be been being am do does did done doing have has had having will would shall should
    can could may might must i me my you your he him his she her it its we us our they them their this that these
    those what which who whom whose why how when where there here of in on at to for from by with about as into
    onto than then so and or but if not no yes any some all just also very too much many more most less
    say says said saying tell tells told talk talks talked speaker speech ilya sutskever mention mentions mentioned
    think thinks thought according please explain describe discuss discussed something anything thing things
    s t don doesn didn isn aren wasn weren won wouldn""".split()
)
_FILLER_RE = re.compile("|".join(sorted(FILLERS_ZH, key=len, reverse=True)))


# Colloquial question words people type in chat, mapped to the standard form.
_COLLOQUIAL = {"为啥": "为什么", "干嘛": "为什么", "干啥": "做什么", "啥": "什么", "咋样": "怎么样", "咋": "怎么", "哪儿": "哪里"}
_COLLOQUIAL_RE = re.compile("|".join(sorted(_COLLOQUIAL, key=len, reverse=True)))


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """NFKC, case-folded, Simplified text: the form every comparison uses."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if _IS_CJK.search(text):
        text = _COLLOQUIAL_RE.sub(lambda m: _COLLOQUIAL[m.group(0)], _T2S.convert(text))
    return text


def runs(text: str) -> list[str]:
    """Chinese runs and Latin words of normalised text, in order (punctuation and spaces dropped)."""
    return _RUN.findall(text)


def is_cjk(run: str) -> bool:
    """True for a run of Chinese characters."""
    return bool(run) and _IS_CJK.match(run[0]) is not None


@lru_cache(maxsize=65536)
def pinyin(char: str) -> str:
    """Toneless pinyin of one character (its most common reading)."""
    return lazy_pinyin(char, style=Style.NORMAL, errors="ignore")[0] if _IS_CJK.match(char) else char


def stem(word: str) -> str:
    """A light English stem, enough to match plural, -ing and -ed forms with the glossary."""
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
        if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
            word = word[:-1]
    elif len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    return word


def english_words(text: str) -> list[str]:
    """Stems of the Latin words of normalised text, with hyphenated words split."""
    words: list[str] = []
    for run in runs(text):
        if not is_cjk(run):
            words.extend(stem(w) for w in re.split(r"[-']", run) if w)
    return words


def filler_mask(run: str) -> list[bool]:
    """For each character of a Chinese run, whether it belongs to a question or filler word."""
    mask = [False] * len(run)
    for match in _FILLER_RE.finditer(run):
        for i in range(match.start(), match.end()):
            mask[i] = True
    return mask
