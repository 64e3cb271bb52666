"""Answer-type cues of a question, for any talk and any speaker."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.search.normalise import normalise

# Answer-type cues: a "why" question is answered by a passage that gives a reason; a question about
# what "he" answered or thinks is answered by the speaker rather than by the person asking him.
WHY = re.compile(r"为什么|为何|原因|\bwhy\b")
BECAUSE_ZH = ("因为", "原因", "所以", "为什")  # a passage that gives the reason, or asks the same "why"
YES_NO = re.compile(r"吗\W*$|能不能|会不会|是不是|要不要|可不可以|有没有|能否|[能会要][^,，。]{1,12}[不没]\W*$"
                    r"|^(?:can|could|will|would|does|do|is|are|should)\b")
_PRONOUNS_ZH = "他|她|ta"
_PRONOUNS_EN = "he|she|they"
_POSSESSIVES_EN = "his|her|their"


def asks_speaker_pattern(names: Iterable[str] = ()) -> re.Pattern[str]:
    """What asks for the speaker's own answer or view: a pronoun or one of the speakers' names, any speaker."""
    folded = sorted({normalise(n) for n in names if n.strip()}, key=len, reverse=True)
    named = "".join(f"|{re.escape(n)}" for n in folded)
    owned = "".join(f"|{re.escape(n)}'s" for n in folded)
    return re.compile(
        rf"(?:{_PRONOUNS_ZH}{named}).{{0,4}}(回答|回应|答复|看法|观点|怎么看|如何看|认为|觉得|咋看|怎么说|反应|态度|意见|评价|立场)"
        rf"|\b(?:{_PRONOUNS_EN}{named})('s)? (answer|respond|repl|think|view|feel)"
        rf"|\b(?:{_POSSESSIVES_EN}{owned}) (answer|response|reply|view|opinion|take)\b"
        rf"|\bdo(?:es)? (?:{_PRONOUNS_EN}{named}) (think|say|feel)")
