"""Every platform limit holds after escaping and encoding, whatever the articles say:
property-based tests (Hypothesis) over random titles, URLs, names, outlets and notice
reasons, for the Discord and the Slack renderer. The oracle is what the local fakes of
the two APIs refuse (``embed_violations``, ``block_violations``), so a rendering that
passes here is one the fakes, and the platforms, accept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.render import URL_MAX
from adapters.discord.render import render_briefing as discord_briefing
from adapters.discord.render import render_reply as discord_reply
from adapters.discord.render import safe_url as discord_url
from adapters.slack.render import render_briefing as slack_briefing
from adapters.slack.render import render_reply as slack_reply
from bot.commands import ErrorReply, StatusReply
from bot.fit import ERROR_MAX, LINK_MAX, OUTLET_MAX, TITLE_MAX
from bot.ports import ChannelRef
from bot.service import ChannelStatus, FeedStatus, feed_notices
from briefings.models import Actor, Briefing, Bullet, Kind, Said, Source, Split, Stance, StoryBrief
from tests.fakes.discord_api import embed_violations
from tests.fakes.slack_api import block_violations

WHEN = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
# What escaping grows: markdown and Slack's control characters, mention starters.
SPECIAL = "&<>*_~`|\\@[]()#:!.-"
chars = st.characters(codec="utf-8", exclude_categories=("Cs",))
text_chars = st.one_of(chars, st.sampled_from(SPECIAL))
GROWS = "&<>*_~`|\\@"  # one character that escaping makes two or more


def texts(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Any text, text made only of what escaping grows, or one such character repeated up
    to the maximum (the worst case, which random text rarely reaches)."""
    return st.one_of(
        st.text(text_chars, min_size=min_size, max_size=max_size),
        st.text(st.sampled_from(GROWS), min_size=min_size, max_size=max_size),
        st.builds(
            lambda c, n: c * n,
            st.sampled_from(GROWS),
            st.integers(max(min_size, 1), max(max_size, 1)),
        ),
    )


# Article links as the store keeps them (at most 2,048 characters before encoding): ASCII
# ones and IRIs whose non-ASCII characters grow up to 12-fold when percent-encoded.
url_paths = st.one_of(
    st.text(st.sampled_from("abcdefghij/-_.%?=&()|<> "), max_size=LINK_MAX - 30),
    st.text(st.characters(min_codepoint=0xA0, max_codepoint=0x10FFFF, codec="utf-8"), max_size=800),
    st.builds(lambda c, n: c * n, st.sampled_from("ü€😀 "), st.integers(1, 1000)),
    texts(600),
)
urls = st.one_of(
    st.builds(lambda p: f"https://news.example.org/{p}"[:LINK_MAX], url_paths),
    st.sampled_from(["", "javascript:alert(1)", "ftp://x.example/"]),
)

names = texts(200, min_size=1)
bullets = st.builds(
    Bullet,
    label=names,
    actor=st.one_of(st.none(), st.builds(Actor, id=st.just("XX"), name=texts(100, 1))),
    speaker_name=names,
    role=st.one_of(st.none(), texts(150)),
    text=texts(1200),
    kind=st.sampled_from(list(Kind)),
    stance=st.sampled_from(list(Stance)),
    statements=st.integers(1, 5),
    outlets=st.integers(1, 5),
    cue=texts(30),
    also=st.lists(
        st.builds(Said, cue=texts(30), text=texts(600), kind=st.just(Kind.DIRECT)), max_size=2
    ).map(tuple),
)
stories = st.builds(
    StoryBrief,
    title=texts(TITLE_MAX),
    url=urls,
    outlet=texts(OUTLET_MAX),
    published=st.one_of(st.none(), st.just(WHEN)),
    bullets=st.lists(bullets, max_size=3).map(tuple),
    sources=st.lists(st.builds(Source, outlet=texts(OUTLET_MAX), url=urls), max_size=6).map(tuple),
    issue=texts(100),
    split=st.one_of(
        st.none(),
        st.builds(
            Split,
            issue=texts(200),
            sides=st.lists(
                st.tuples(texts(20), st.lists(texts(100), max_size=4).map(tuple)), max_size=3
            ).map(tuple),
        ),
    ),
)
feeds = st.builds(
    FeedStatus,
    url=urls,
    title=texts(500),
    last_polled=st.just(WHEN),
    last_error=st.one_of(st.none(), texts(ERROR_MAX)),
    failures=st.integers(0, 20),
    disabled=st.just(True),
)
briefings = st.builds(
    Briefing,
    title=texts(400),
    stories=st.lists(stories, max_size=4).map(tuple),
    generated=st.just(WHEN),
    notices=st.one_of(
        st.lists(texts(ERROR_MAX), max_size=8).map(tuple),
        st.lists(feeds, max_size=8).map(feed_notices),
    ),
    also=st.lists(stories, max_size=4).map(tuple),
    more=st.integers(0, 3),
)

PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def discord_payload(message: Any) -> dict[str, Any]:
    """A rendered message as DiscordPublisher sends it."""
    return {
        "content": message.content or None,
        "embeds": list(message.embeds),
        "allowed_mentions": {"parse": []},
    }


def slack_payload(message: Any) -> dict[str, Any]:
    return {"text": message.text, "blocks": list(message.blocks), "link_names": False}


@PROPERTY
@given(briefings)
def test_every_discord_briefing_message_is_one_discord_accepts(briefing: Briefing) -> None:
    for message in discord_briefing(briefing):
        assert embed_violations(discord_payload(message)) == []


@PROPERTY
@given(briefings)
def test_every_slack_briefing_message_is_one_slack_accepts(briefing: Briefing) -> None:
    for message in slack_briefing(briefing):
        assert block_violations(slack_payload(message)) == []


@PROPERTY
@given(st.lists(feeds, max_size=6), texts(ERROR_MAX))
def test_status_and_error_replies_fit_on_both_platforms(
    feed_list: list[FeedStatus], reason: str
) -> None:
    status = ChannelStatus(
        ChannelRef("x", "w", "c"), tuple(feed_list), (), "0 8 * * *", "UTC", WHEN, WHEN
    )
    for reply in (StatusReply(status), ErrorReply(reason)):
        for message in discord_reply(reply):
            assert embed_violations(discord_payload(message)) == []
        for slack in slack_reply(reply):
            assert block_violations(slack_payload(slack)) == []


@PROPERTY
@given(urls)
def test_a_discord_link_is_within_2048_characters_after_percent_encoding(url: str) -> None:
    target = discord_url(url)
    assert target is None or (len(target) <= URL_MAX and target.isascii())


def test_a_long_non_ascii_url_is_dropped_not_sent_over_the_limit() -> None:
    """The finding's case: a 733-character IRI grows to 4,219 characters encoded. The story
    is shown without its link (Discord would refuse the whole message)."""
    iri = "https://news.example.org/" + "ü" * 6 + "€" * 700 + "/x"
    assert len(iri) == 733
    assert discord_url(iri) is None
    story = StoryBrief("A title", iri, "Outlet", WHEN, ())
    [message] = discord_briefing(Briefing("Morning", (story,), WHEN))
    assert embed_violations(discord_payload(message)) == []
    assert "url" not in message.embeds[0]


def test_notices_carry_a_bounded_reason() -> None:
    feed = FeedStatus("https://f.example/rss", "F", WHEN, "x" * ERROR_MAX, 9, True)
    [notice] = feed_notices([feed])
    assert len(notice) < 500
    assert "x" * 100 in notice


def test_the_findings_cases_fit_after_escaping() -> None:
    """Discord content of 2,035 (a title and notices full of markdown) and Slack sections of
    3,125 (a story head) and 3,549 (notices) were sent before the limits were checked
    after escaping."""
    url = "https://news.example.org/" + "a" * 1900
    story = StoryBrief("&" * 500, url, "<Outlet>", WHEN, ())
    briefing = Briefing("*" * 400, (story,), WHEN, notices=("_&" * 400,) * 7)
    [discord] = discord_briefing(briefing)
    assert len(discord.content) <= 2000 and "and 2 more" in discord.content
    assert embed_violations(discord_payload(discord)) == []
    for slack in slack_briefing(briefing):
        assert block_violations(slack_payload(slack)) == []
