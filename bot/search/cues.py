"""Answer-type cues of a question, for any talk and any speaker."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.search.normalise import filler_mask, normalise

# Answer-type cues: a "why" question is answered by a passage that gives a reason; a question about
# what "he" answered or thinks is answered by the speaker rather than by the person asking him.
WHY = re.compile(r"为什么|为何|原因|\bwhy\b")
BECAUSE_ZH = ("因为", "原因", "所以", "为什")  # a passage that gives the reason, or asks the same "why"
YES_NO = re.compile(r"吗(?!啡)|能不能|会不会|是不是|要不要|可不可以|有没有|能否|[能会要][^,，。]{1,12}[不没]\W*$"
                    r"|^(?:(?:so|and|but|ok|okay|wait|hmm),? )?"
                    r"(?:can|could|will|would|does|do|is|are|should|did|was|were)\b|\bor not\b")
# Where in a talk the question looks: its opening ("开场谢了谁", "how does the speech start") or its close
# ("结尾", "what does he ask at the end of the speech"). Only wordings that name the place: a bare 最后 or
# "at the end" is as often "finally" or the end of something the talk speaks of.
_TALK = r"(?:speech|talk|address|lecture|video|q&a)\b"
_WHOSE = r"(?:the|his|her|their|this)"
OPENING = re.compile(rf"开场|开头|开篇|一开始|最开始|\b(?:at|in) the (?:very )?(?:start|beginning) of {_WHOSE} {_TALK}"
                     rf"|\b(?:open|begin|start)s? {_WHOSE} {_TALK}|\b{_TALK} (?:open|begin|start)s?\b")
CLOSING = re.compile(rf"结尾|末尾|临结束|快结束|结束前|讲完|最后(?=说|讲|问|提|怎么|还)|\bin closing\b"
                     rf"|\bat the (?:very )?end of {_WHOSE} {_TALK}|\bclosing (?:words|remarks|lines)\b"
                     rf"|\b(?:end|close|finish|wrap)s? (?:up )?{_WHOSE} {_TALK}|\b{_TALK} (?:end|close|finish)s?\b")


def edge_of(text: str) -> tuple[str, str]:
    """Whether a question asks about a talk's "opening" or "closing" (or ""), and the text without those words."""
    for kind, pattern in (("opening", OPENING), ("closing", CLOSING)):
        found = pattern.search(text)
        if found is not None:
            return kind, f"{text[: found.start()]} {text[found.end() :]}"
    return "", text


# A question for the items of a list ("哪三点", "有哪些", "which three"): the list answers it, not its announcement.
ITEMS = re.compile(r"哪[几两俩一二三四五六七八九十]+[个点条项样种位件]|哪些|\bwhich (?:two|three|four|five|ones)\b"
                   r"|\bwhat (?:are|were) the (?:two|three|four|five|main|key)\b")
# A question for what a term means ("lstm说白了是个啥", "什么是预训练", "what is an lstm"): a passage that says
# what the term is ("lstm 是…", "an lstm is …") answers it.
_DEFINITION_ZH = re.compile(r"^(.{1,16}?)(?:到底|究竟)?(?:是个|是一个|是)什么|什么是(.{1,16})")
_DEFINITION_EN = re.compile(r"^(?:so |and |but )?what(?: is|'s| are| was| were) (?:a |an |the )?"
                            r"([a-z0-9][a-z0-9 .+-]{0,30}?)\s*\??$")
_DEFINES = r"\s*(?:是|就是|指的是|指|is|are|was|were|means|refers)"
MAX_TERM_WORDS = 3  # of an English term asked about
MAX_TERM_CHARS = 12  # of a Chinese one, its filler left out


def defined_term(text: str) -> str:
    """The term a normalised question asks to have defined, or ""."""
    found = _DEFINITION_EN.search(text.strip())
    if found is not None:
        return found.group(1) if len(found.group(1).split()) <= MAX_TERM_WORDS else ""
    found = _DEFINITION_ZH.search(text)
    if found is None:
        return ""
    asked = found.group(1) or found.group(2)
    term = "".join(ch for ch, filler in zip(asked, filler_mask(asked), strict=True) if not filler).strip()
    return term if len(term) <= MAX_TERM_CHARS else ""


def definition_of(term: str) -> re.Pattern[str]:
    """What a passage that says what a term is holds (the term, then 是 / is / means …)."""
    return re.compile(re.escape(term) + _DEFINES)


_PRONOUNS_ZH = "他|她|ta|大佬|大神"  # in chat, 大佬 and 大神 are the speaker
_PRONOUNS_EN = "he|she|they"
_POSSESSIVES_EN = "his|her|their"


def asks_speaker_pattern(names: Iterable[str] = ()) -> re.Pattern[str]:
    """What asks for the speaker's own answer or view: a pronoun or one of the speakers' names, any speaker."""
    folded = sorted({normalise(n) for n in names if n.strip()}, key=len, reverse=True)
    named = "".join(f"|{re.escape(n)}" for n in folded)
    owned = "".join(f"|{re.escape(n)}'s" for n in folded)
    return re.compile(
        rf"(?:{_PRONOUNS_ZH}{named}).{{0,4}}(回答|回应|答复|看法|观点|怎么看|如何看|认为|觉得|咋看|怎么说|怎么回(?!事)|反应|态度|意见|评价|立场)"
        rf"|\b(?:{_PRONOUNS_EN}{named})('s)? (answer|respond|repl|think|view|feel)"
        rf"|\b(?:{_POSSESSIVES_EN}{owned}) (?:\w+ )?(answer|response|reply|view|opinion|take)\b"
        rf"|\bdo(?:es)? (?:{_PRONOUNS_EN}{named}) (think|say|feel)")
