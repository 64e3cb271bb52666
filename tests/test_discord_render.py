"""Reply → Discord embeds and buttons: every limit, citations, mentions, custom ids."""

from __future__ import annotations

import re

import discord

from bot.adapters.discord_render import (
    CONTENT_LIMIT,
    MAX_MESSAGES,
    Outgoing,
    neutralise,
    notice,
    render,
)
from bot.adapters.discord_views import CallbackButton, build_view, button_type, custom_id, parse_custom_id
from bot.core.types import Block, Button, Citation, Reply

CITE = Citation("ilya-neurips-2024", "Sequence to sequence learning, ten years on", "Q&A", 12, "Ilya Sutskever",
                "https://www.youtube.com/watch?v=WQQdd6qGxNs")
SENTENCE_END = re.compile(r"[。！？.!?…”]$")


def long_answer(n_sentences: int = 600) -> str:
    """Mixed Chinese and English sentences, in paragraphs of ten."""
    zh = "第{}句：预训练的时代终将结束，因为数据不会无限增长。"
    en = "Sentence {} says that scaling alone is not enough."
    sentences = [(zh if i % 2 else en).format(i) for i in range(n_sentences)]
    return "\n\n".join(" ".join(sentences[i:i + 10]) for i in range(0, n_sentences, 10))


def check(messages: list[Outgoing], most: int = MAX_MESSAGES) -> None:
    """Discord's limits for every message."""
    assert 1 <= len(messages) <= most
    for message in messages:
        assert len(message.embeds) <= 10
        assert sum(len(e) for e in message.embeds) <= 6000
        assert message.content is None or len(message.content) <= CONTENT_LIMIT
        for embed in message.embeds:
            assert len(embed.title or "") <= 256
            assert len(embed.description or "") <= 4096
            assert len(embed.footer.text or "") <= 2048


def descriptions(messages: list[Outgoing]) -> list[str]:
    return [e.description or "" for m in messages for e in m.embeds]


def test_a_cited_passage_links_the_video_and_cites_in_the_footer() -> None:
    [message] = render(Reply((Block("passage", "Pre-training as we know it will end.", CITE),)))
    [embed] = message.embeds
    assert embed.description == "Pre-training as we know it will end."
    assert embed.title == CITE.talk_title
    assert embed.url == CITE.url
    assert embed.footer.text == "— Ilya Sutskever · Sequence to sequence learning, ten years on · Q&A ¶12"


def test_a_title_block_titles_the_passage_that_follows_and_is_clipped_to_256() -> None:
    [message] = render(Reply((Block("title", "Q: " + "why " * 200), Block("passage", "Because.", CITE))))
    [embed] = message.embeds
    assert embed.title is not None and 250 <= len(embed.title) <= 256 and embed.title.endswith("…")
    assert embed.url == CITE.url


def test_a_long_answer_is_split_at_sentence_ends_within_every_limit() -> None:
    text = long_answer()
    assert len(text) > 20_000
    messages = render(Reply((Block("title", "Answer"), Block("passage", text, CITE))), max_messages=None)
    check(messages, most=len(messages))
    pieces = descriptions(messages)
    assert len(pieces) >= 6 and len(messages) >= 5
    assert all(SENTENCE_END.search(piece) for piece in pieces)
    assert re.sub(r"\s+", "", "".join(pieces)) == re.sub(r"\s+", "", text)
    embeds = [e for m in messages for e in m.embeds]
    assert embeds[0].title == "Answer" and embeds[0].url == CITE.url
    assert all(e.title is None for e in embeds[1:])
    assert embeds[-1].footer.text and all(not e.footer.text for e in embeds[:-1])


def test_many_passages_are_packed_ten_embeds_per_message() -> None:
    blocks = tuple(Block("passage", f"Passage {i}.", CITE) for i in range(25))
    messages = render(Reply(blocks))
    check(messages)
    assert [len(m.embeds) for m in messages] == [10, 10, 5]


def test_embeds_are_packed_within_6000_characters_per_message() -> None:
    blocks = tuple(Block("passage", "Word. " * 400, CITE) for _ in range(3))  # ~2400 characters each
    messages = render(Reply(blocks))
    check(messages)
    assert [len(m.embeds) for m in messages] == [2, 1]


def test_a_huge_citation_still_fits_one_embed() -> None:
    cite = Citation("t", "T" * 3000, "S" * 500, 1, "X" * 500, None)
    messages = render(Reply((Block("passage", "Text. " * 2000, cite),)))
    check(messages)
    assert all(len(e) <= 6000 for m in messages for e in m.embeds)


def test_a_six_thousand_character_question_echoed_back_stays_within_limits() -> None:
    question = ("Why does pre-training end? " * 230)[:6000]
    messages = render(Reply((Block("title", question), Block("text", f"You asked: {question}"),
                             Block("hint", question))))
    check(messages)
    assert "".join(descriptions(messages)).count("pre-training") >= 2 * question.count("pre-training") - 2


def test_everyone_and_here_are_neutralised_in_all_text() -> None:
    reply = Reply((Block("title", "@everyone"), Block("text", "hi @here <@123> <@&456>")))
    [message] = render(reply)
    [embed] = message.embeds
    assert "@everyone" not in (embed.title or "") and "@here" not in (embed.description or "")
    assert "<@123>" in (embed.description or "")  # harmless in an embed; allowed_mentions is the guarantee
    assert neutralise("@everyone") == "@\u200beveryone"
    assert "@here" not in (notice("@here").content or "")


def test_block_kinds_have_their_own_style() -> None:
    reply = Reply((Block("item", "one"), Block("item", "two"), Block("hint", "try /ask"), Block("error", "oops"),
                   Block("quote", "a line")))
    [message] = render(reply)
    assert message.embeds[0].description == "• one\n• two\n\n*try /ask*\n\n⚠️ oops\n\n> a line"


def test_unusable_urls_are_left_out() -> None:
    cite = Citation("t", "Talk", "S", 1, "X", "javascript:alert(1)")
    [message] = render(Reply((Block("passage", "Text.", cite),)))
    assert message.embeds[0].url is None


def test_an_empty_reply_still_makes_a_message() -> None:
    [message] = render(Reply(()))
    assert message.content


def test_a_runaway_answer_is_capped() -> None:
    messages = render(Reply((Block("text", long_answer(4000)),)))
    check(messages)
    assert len(messages) == MAX_MESSAGES == 3
    assert (messages[-1].embeds[-1].description or "").endswith("…")


def test_outcome_colours() -> None:
    ok = render(Reply((Block("text", "x"),)))[0].embeds[0]
    error = render(Reply((Block("error", "x"),), outcome="error"))[0].embeds[0]
    assert ok.colour != error.colour == discord.Colour.red()


def test_custom_ids_round_trip_and_stay_within_100_characters() -> None:
    assert custom_id("more", "0123456789abcdef 3") == "tb:more:0123456789abcdef 3"
    assert parse_custom_id("tb:more:0123456789abcdef 3") == ("more", "0123456789abcdef 3")
    assert parse_custom_id("tb:context:ilya-neurips-2024/12") == ("context", "ilya-neurips-2024/12")
    assert custom_id("more", "x" * 100) is None
    assert custom_id("Bad Command", "x") is None
    for malformed in ("", "tb:", "tb::x", "more:abc", "tb:MORE:x", "garbage"):
        assert parse_custom_id(malformed) is None


async def test_a_view_holds_link_buttons_and_persistent_callback_buttons() -> None:
    async def ignore(interaction: object, target: object) -> None:
        return None

    item_type = button_type(ignore)
    buttons = (Button("More results", "more", "0123456789abcdef 3"), Button("Source", url=CITE.url),
               Button("L" * 120, "context", "t/1"), Button("Too long", "more", "x" * 200),
               Button("Bad link", url="ftp://example.org"))
    view = build_view(buttons, item_type)
    assert view is not None and view.timeout is None
    items = view.children
    assert len(items) == 3
    assert isinstance(items[0], CallbackButton) and items[0].custom_id == "tb:more:0123456789abcdef 3"
    assert isinstance(items[1], discord.ui.Button) and items[1].url == CITE.url
    assert isinstance(items[2], CallbackButton) and len(items[2].item.label or "") == 80
    assert build_view((), item_type) is None
    many = build_view(tuple(Button(str(i), "more", str(i)) for i in range(40)), item_type)
    assert many is not None and len(many.children) == 25


def test_echoed_markdown_cannot_make_a_masked_link() -> None:
    from bot.adapters.discord_render import render
    from bot.core.types import Block, Reply

    (message,) = render(Reply((Block("text", "No good match for “[free nitro](https://evil.example)”"),)))
    description = message.embeds[0].description or ""
    assert "\\[free nitro](https://evil.example)" in description
