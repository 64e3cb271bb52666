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
        "en": "Ask me something about the talk, e.g. /ask {example}",
        "zh": "请在 /ask 后面写上问题，例如：/ask {example}",
    },
    "no_match": {
        "en": "No good match in the talk for “{query}”.",
        "zh": "演讲中没有找到与“{query}”相符的内容。",
    },
    "no_match_hint": {
        "en": "This talk covers, among others: {topics}. Try one of those, or /summary for the key points.",
        "zh": "这场演讲谈到了：{topics}。可以试试这些话题，或用 /summary 查看要点。",
    },
    "no_match_hint_many": {
        "en": "The talks cover, among others: {topics}. Try one of those, or /summary for the key points.",
        "zh": "这些演讲谈到了：{topics}。可以试试这些话题，或用 /summary 查看要点。",
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
        "zh": "这个按钮已失效，请重新提问。",
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
    "summary_auto_title": {"en": "Summary (automatic): {title}", "zh": "自动摘要：{title}"},
    "summary_auto": {
        "en": "Automatic summary: the speaker's most central sentences, picked by the bot (the talk has no "
              "curated key points).",
        "zh": "自动摘要：由机器挑选的演讲者最核心的句子（这场演讲还没有人工整理的要点）。",
    },
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
    "daily_none": {
        "en": "There is no daily quote in this chat. Admins can start one with {example} "
              "(the time zone is optional, {zone} by default).",
        "zh": "本聊天还没有开启每日金句。管理员可以用 {example} 开启（时区可省略，默认 {zone}）。",
    },
    "daily_on": {
        "en": "Daily quote: every day at {time} ({zone}), {source}. Next: {next}.",
        "zh": "每日金句：每天 {time}（{zone}），{source}。下一次：{next}。",
    },
    "daily_set": {
        "en": "Daily quote set: every day at {time} ({zone}), {source}. Next: {next}.",
        "zh": "已设置每日金句：每天 {time}（{zone}），{source}。下一次：{next}。",
    },
    "daily_off_state": {
        "en": "The daily quote is off in this chat. Admins can turn it on again with /daily {time} {zone}.",
        "zh": "本聊天的每日金句已关闭。管理员可以用 /daily {time} {zone} 重新开启。",
    },
    "daily_disabled": {
        "en": "The daily quote is paused: it could not be delivered here {days} days in a row ({reason}). "
              "Admins can restart it with /daily {time} {zone}.",
        "zh": "每日金句已暂停：连续 {days} 天无法发送到这里（{reason}）。管理员可以用 /daily {time} {zone} 重新开启。",
    },
    "daily_last_sent": {"en": "Last sent: {day}.", "zh": "上次发送：{day}。"},
    "daily_turned_off": {
        "en": "Daily quote turned off. Turn it on again with /daily {time} {zone}.",
        "zh": "已关闭每日金句。可以用 /daily {time} {zone} 重新开启。",
    },
    "daily_was_off": {
        "en": "There is no daily quote in this chat to turn off.",
        "zh": "本聊天没有开启每日金句，无需关闭。",
    },
    "daily_denied": {
        "en": "Only admins of this chat can change the daily quote. Anyone can see it with /daily.",
        "zh": "只有本聊天的管理员可以更改每日金句。任何人都可以用 /daily 查看。",
    },
    "daily_bad_time": {
        "en": "“{text}” is not a time I understand. Use the 24-hour clock, e.g. {example} "
              "(8:30, 0830 and 8:30pm work too).",
        "zh": "无法识别时间“{text}”。请使用 24 小时制，例如 {example}（也可以写 8:30、0830 或 8点30）。",
    },
    "daily_need_time": {
        "en": "Give the time first, e.g. {example}.",
        "zh": "请先写时间，例如 {example}。",
    },
    "daily_bad_zone": {
        "en": "“{text}” is not a time zone I know. Use an IANA name such as Asia/Shanghai, Europe/Berlin or "
              "America/New_York, or an offset such as UTC+8, e.g. {example}.",
        "zh": "无法识别时区“{text}”。请使用 IANA 时区名，如 Asia/Shanghai、Europe/Berlin、America/New_York，"
              "或 UTC+8 这样的偏移，例如 {example}。",
    },
    "daily_two_zones": {
        "en": "Give one time zone only: {first} and “{second}” are both zones, e.g. {example}.",
        "zh": "只需写一个时区：{first} 和“{second}”都是时区，例如 {example}。",
    },
    "daily_ambiguous_zone": {
        "en": "“{text}” could be {candidates}. Please write the full name, e.g. /daily {time} {first}.",
        "zh": "“{text}”可能是 {candidates}。请写完整的时区名，例如 /daily {time} {first}。",
    },
    "daily_bad_word": {
        "en": "I don't understand “{text}”. After the time, give a time zone and, if you like, a talk ({talks}), "
              "e.g. {example}.",
        "zh": "无法理解“{text}”。时间后面可以写时区，以及可选的演讲（{talks}），例如 {example}。",
    },
    "daily_source_all": {"en": "from all talks", "zh": "来自全部演讲"},
    "daily_source_talk": {"en": "from “{title}”", "zh": "来自《{title}》"},
    "daily_today": {"en": "today {time}", "zh": "今天 {time}"},
    "daily_tomorrow": {"en": "tomorrow {time}", "zh": "明天 {time}"},
    "daily_due_now": {"en": "now (due at {time})", "zh": "马上（{time} 到期）"},
    "managers_only": {
        "en": "Only admins of this chat can use /{command}.",
        "zh": "只有本聊天的管理员可以使用 /{command}。",
    },
    "restarting": {
        "en": "The bot is restarting. Please try again in a minute.",
        "zh": "机器人正在重启，请稍后再试。",
    },
    # commands: help_<name> and args_<name> for /help and menus, option_<name> for typed options (Discord)
    "help_ask": {"en": "Find the passages of the talk that answer a question", "zh": "查找回答问题的演讲原文"},
    "args_ask": {"en": "<question>", "zh": "<问题>"},
    "help_quote": {
        "en": "A line of the speaker, random or matching keywords",
        "zh": "随机或按关键词给出演讲者的一句原话",
    },
    "args_quote": {"en": "[keywords]", "zh": "[关键词]"},
    "help_summary": {"en": "The talk's key points and source", "zh": "演讲要点和出处"},
    "args_summary": {"en": "[talk]", "zh": "[演讲]"},
    "help_daily": {
        "en": "Daily quote in this chat: /daily HH:MM [time zone] [talk], /daily off",
        "zh": "每日金句：/daily HH:MM [时区] [演讲]，/daily off",
    },
    "args_daily": {"en": "[HH:MM [zone] [talk] | off]", "zh": "[HH:MM [时区] [演讲] | off]"},
    "help_about": {"en": "Talks loaded, sources and credits", "zh": "已加载的演讲、来源和致谢"},
    "args_about": {"en": "", "zh": ""},
    "help_stats": {"en": "Usage numbers", "zh": "使用统计"},
    "args_stats": {"en": "", "zh": ""},
    "help_help": {"en": "This list of commands", "zh": "命令列表"},
    "args_help": {"en": "", "zh": ""},
    "help_start": {"en": "Welcome and commands", "zh": "欢迎与命令列表"},
    "args_start": {"en": "", "zh": ""},
    "help_more": {"en": "More passages for a question (a button)", "zh": "更多相符的段落（按钮）"},
    "args_more": {"en": "", "zh": ""},
    "help_context": {"en": "The paragraphs around a passage (a button)", "zh": "段落的上下文（按钮）"},
    "args_context": {"en": "", "zh": ""},
    "help_feedback": {"en": "Rate an answer 👍 or 👎 (its buttons)", "zh": "评价回答 👍 或 👎（按钮）"},
    "args_feedback": {"en": "", "zh": ""},
    "help_report": {"en": "The usage report as an HTML file (owners only)", "zh": "使用报告 HTML 文件（仅限所有者）"},
    "args_report": {"en": "[days]", "zh": "[天数]"},
    "option_question": {"en": "Your question about the talks", "zh": "关于演讲的问题"},
    "option_keywords": {"en": "Words to look for (optional)", "zh": "要查找的关键词（可选）"},
    "option_talk": {"en": "Which talk (optional)", "zh": "哪一场演讲（可选）"},
    "option_time": {"en": "Time of day as HH:MM, or off to stop", "zh": "每天的时间（HH:MM），填 off 取消"},
    "option_timezone": {"en": "Time zone, e.g. Asia/Shanghai", "zh": "时区，例如 Asia/Shanghai"},
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
