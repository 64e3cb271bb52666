"""The bot's own words in Chinese and English, chosen from a request's locale."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "welcome": {
        "en": "Hi! I bring the exact words of a talk into your chat: quotes, key points and the passage that "
              "answers your question, always with a citation.",
        "zh": "你好！我把演讲的原话带进聊天：金句、要点，以及回答你问题的段落，并附上出处。",
    },
    "help_title": {"en": "Commands", "zh": "命令"},
    "help_footer": {
        "en": "Add a talk id as the first word to pick a talk when several are loaded, e.g. /summary {example}.",
        "zh": "加载了多个演讲时，可把演讲 id 作为第一个词来指定，例如 /summary {example}。",
    },
    "ask_usage": {
        "en": "Ask me something about the talk, e.g. /ask why will pre-training end?",
        "zh": "请在 /ask 后面写上问题，例如：/ask 为什么预训练会结束",
    },
    "no_match": {
        "en": "No good match in the talk for “{query}”.",
        "zh": "演讲中没有找到与“{query}”相符的内容。",
    },
    "no_match_hint": {
        "en": "This talk covers, among others: {topics}. Try one of those, or /summary for the key points.",
        "zh": "这场演讲谈到了：{topics}。可以试试这些话题，或用 /summary 查看要点。",
    },
    "empty_query": {
        "en": "That has no words I can search for (only symbols or emoji). Try /ask with a few words.",
        "zh": "这里没有可以搜索的文字（只有符号或表情）。请在 /ask 后写几个词。",
    },
    "long_query": {
        "en": "Your question is long; I matched its beginning.",
        "zh": "问题较长，我只按开头部分进行了匹配。",
    },
    "results_title": {"en": "From the talk", "zh": "演讲原文"},
    "more_title": {"en": "More from the talk", "zh": "更多原文"},
    "no_more": {"en": "No further passages match that question.", "zh": "没有更多相符的段落了。"},
    "context_title": {"en": "In context", "zh": "上下文"},
    "stale_button": {
        "en": "This button has expired. Please ask again.",
        "zh": "这个按钮已过期，请重新提问。",
    },
    "button_more": {"en": "More", "zh": "更多"},
    "button_context": {"en": "Context", "zh": "上下文"},
    "button_source": {"en": "Watch the talk", "zh": "观看演讲"},
    "quote_title": {"en": "Quote", "zh": "金句"},
    "quote_no_match": {
        "en": "No line of the speaker matches “{query}”. Here is another one:",
        "zh": "没有与“{query}”相符的原话，换一句给你：",
    },
    "summary_title": {"en": "Key points: {title}", "zh": "要点：{title}"},
    "summary_pick": {
        "en": "Several talks are loaded; pick one with /summary <id>:",
        "zh": "已加载多个演讲，请用 /summary <id> 选择：",
    },
    "unknown_talk": {
        "en": "There is no talk called “{name}”. Loaded talks: {talks}.",
        "zh": "没有名为“{name}”的演讲。已加载：{talks}。",
    },
    "about_title": {"en": "About this bot", "zh": "关于本机器人"},
    "about_talks": {"en": "{count} talk(s) loaded:", "zh": "已加载 {count} 场演讲："},
    "about_footer": {
        "en": "Quotes are the translators' and publishers' text, cited with their source. transcript-bot {version}.",
        "zh": "引文来自译者和发布者的文本，均注明出处。transcript-bot {version}。",
    },
    "stats_title": {"en": "Usage", "zh": "使用统计"},
    "stats_body": {
        "en": "{total} requests in all, {today} today, {week} in the last 7 days. "
              "{answered}% of questions found a passage.",
        "zh": "共 {total} 次请求，今天 {today} 次，最近 7 天 {week} 次。{answered}% 的问题找到了段落。",
    },
    "stats_top": {"en": "Most used: {commands}", "zh": "最常用：{commands}"},
    "unknown_command": {
        "en": "I don't know the command /{command}. Try /help.",
        "zh": "没有 /{command} 这个命令。试试 /help。",
    },
    "error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "zh": "抱歉，我这边出了点问题，请稍后再试。",
    },
    "speaker_questioner": {"en": "audience question", "zh": "观众提问"},
    "speaker_host": {"en": "host", "zh": "主持人"},
    "daily_title": {"en": "Quote of the day", "zh": "每日金句"},
}

COMMAND_HELP: dict[str, tuple[str, str, str, str]] = {
    # name: (english help, chinese help, english args, chinese args)
    "ask": ("Find the passages of the talk that answer a question", "查找回答问题的演讲原文", "<question>", "<问题>"),
    "quote": ("A line of the speaker, random or matching keywords", "随机或按关键词给出演讲者的一句原话",
              "[keywords]", "[关键词]"),
    "summary": ("The talk's key points and source", "演讲要点和出处", "[talk]", "[演讲]"),
    "daily": ("Daily quote in this chat: /daily HH:MM [time zone], /daily off",
              "每日金句：/daily HH:MM [时区]，/daily off",
              "[HH:MM [zone] | off]", "[HH:MM [时区] | off]"),
    "about": ("Talks loaded, sources and credits", "已加载的演讲、来源和致谢", "", ""),
    "stats": ("Usage numbers", "使用统计", "", ""),
    "help": ("This list of commands", "命令列表", "", ""),
    "start": ("Welcome and commands", "欢迎与命令列表", "", ""),
}


def language_of(locale: str | None, default: str) -> str:
    """'zh' or 'en' for a platform locale (zh, zh-hans, zh-CN, zh-TW, en-US, ...), else the default."""
    if not locale:
        return default
    code = locale.strip().lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh"
    if code:
        return "en"
    return default


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in language `lang` (English when missing), with values filled in."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text
