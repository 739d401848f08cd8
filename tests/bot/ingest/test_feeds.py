"""Polling feeds from a loopback server: parsing, conditional GET, full text, item fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import bot.ingest.feeds as feeds_module
from bot.ingest import USER_AGENT, FeedPoller, FeedState, FetchedItem, parse_feed
from bot.ingest.feeds import FeedFormatError
from tests.fakes.feed_server import FeedItem, FeedServer, article_page, atom_feed, rss_feed

PARAGRAPHS = [
    "The harbour authority said on Tuesday that the new pier would open in the spring.",
    '"We have waited long enough," said Mara Lindqvist, the authority\'s chair, adding that '
    "the delays had cost the town two summers of ferry traffic.",
    "Opposition councillors said the budget had doubled since the plan was first approved.",
]
LONG_CONTENT = "<p>" + " ".join(["The committee met again to review the plans."] * 40) + "</p>"


def summary_feed(server: FeedServer, title: str = "Harbour News") -> str:
    """A feed whose items carry only one-line summaries; the pages hold the articles."""
    server.route(
        "/a/pier.html",
        article_page("Pier to open in spring", PARAGRAPHS),
        content_type="text/html; charset=utf-8",
    )
    items = [
        FeedItem(
            title="Pier to open in spring",
            link=server.url("/a/pier.html"),
            summary="The pier opens soon.",
            guid="pier-1",
            published=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        )
    ]
    return rss_feed(title, items)


async def test_summary_only_item_gets_full_text_from_its_page(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/feed.xml", summary_feed(server))
    result = await FeedPoller(client).poll(FeedState(server.url("/feed.xml"), None, None))

    assert result.status == "ok", result.error
    assert result.feed_title == "Harbour News"
    [item] = result.items
    assert item.guid == "pier-1"
    assert item.url == server.url("/a/pier.html")
    assert item.title == "Pier to open in spring"
    assert item.outlet == "Harbour News"
    assert item.published == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert "Mara Lindqvist" in item.text
    assert "Opposition councillors" in item.text
    assert "All rights reserved" not in item.text  # page furniture is not article text
    assert len(server.requests_for("/a/pier.html")) == 1


async def test_item_with_full_content_needs_no_page_fetch(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    items = [FeedItem("Plans reviewed", server.url("/a/plans.html"), content=LONG_CONTENT)]
    server.route("/feed.xml", rss_feed("Council Watch", items))
    result = await FeedPoller(client).poll(FeedState(server.url("/feed.xml")))

    assert result.status == "ok"
    [item] = result.items
    assert item.text.startswith("The committee met again")
    assert server.requests_for("/a/plans.html") == []


async def test_atom_feed_is_read(server: FeedServer, client: httpx.AsyncClient) -> None:
    items = [FeedItem("Plans reviewed", "https://example.org/plans", content=LONG_CONTENT)]
    server.route("/atom.xml", atom_feed("Council Atom", items), content_type="application/atom+xml")
    result = await FeedPoller(client).poll(FeedState(server.url("/atom.xml")))

    assert result.status == "ok"
    assert result.feed_title == "Council Atom"
    assert [i.url for i in result.items] == ["https://example.org/plans"]
    assert result.items[0].published == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def test_page_failure_keeps_the_summary_and_the_feed(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    items = [
        FeedItem("Gone", server.url("/a/gone.html"), summary="The summary survives.", guid="g1"),
        FeedItem("Here", server.url("/a/here.html"), summary="Short.", guid="g2"),
    ]
    server.route("/a/here.html", article_page("Here", PARAGRAPHS), content_type="text/html")
    server.route("/feed.xml", rss_feed("Mixed", items))
    result = await FeedPoller(client).poll(FeedState(server.url("/feed.xml")))

    assert result.status == "ok"
    by_guid = {item.guid: item for item in result.items}
    assert by_guid["g1"].text == "The summary survives."
    assert "Mara Lindqvist" in by_guid["g2"].text


async def test_item_without_any_text_is_dropped_until_its_page_can_be_read(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    items = [FeedItem("Title only", server.url("/a/missing.html"), guid="t1")]
    server.route("/feed.xml", rss_feed("Titles", items))
    result = await FeedPoller(client).poll(FeedState(server.url("/feed.xml")))

    assert result.status == "ok"
    assert result.items == []


async def test_full_text_can_be_switched_off(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.route("/feed.xml", summary_feed(server))
    result = await FeedPoller(client, fetch_full_text=False).poll(
        FeedState(server.url("/feed.xml"))
    )

    assert [i.text for i in result.items] == ["The pier opens soon."]
    assert server.requests_for("/a/pier.html") == []


async def test_known_items_are_skipped_without_fetching_their_pages(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/feed.xml", summary_feed(server))
    asked: list[list[str]] = []

    async def known(feed: FeedState, items: Sequence[FetchedItem]) -> set[str]:
        asked.append([item.guid for item in items])
        return {"pier-1"}

    poller = FeedPoller(client, known_items=known)
    result = await poller.poll(FeedState(server.url("/feed.xml")))

    assert result.status == "ok"
    assert result.items == []
    assert server.requests_for("/a/pier.html") == []
    assert asked == [["pier-1"]]  # one batched question per poll


async def test_conditional_get_sends_validators_and_a_304_costs_no_parsing(
    server: FeedServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lm = "Wed, 01 May 2024 10:00:00 GMT"
    server.route("/feed.xml", summary_feed(server), etag='"v1"', last_modified=lm)
    poller = FeedPoller(client)
    first = await poller.poll(FeedState(server.url("/feed.xml")))
    assert (first.status, first.etag, first.last_modified) == ("ok", '"v1"', lm)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(feeds_module, "parse_feed", no_parsing)
    second = await poller.poll(FeedState(first.url, first.etag, first.last_modified))

    assert second.status == "not_modified"
    assert second.items == []
    assert (second.etag, second.last_modified) == ('"v1"', lm)
    request = server.requests_for("/feed.xml")[-1]
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == lm


async def test_last_modified_alone_gives_a_304(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    lm = "Wed, 01 May 2024 10:00:00 GMT"
    server.route("/feed.xml", summary_feed(server), last_modified=lm)
    result = await FeedPoller(client).poll(FeedState(server.url("/feed.xml"), None, lm))

    assert result.status == "not_modified"
    assert result.last_modified == lm


async def test_requests_carry_an_honest_user_agent_and_accept_gzip(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/feed.xml", summary_feed(server), gzip=True)
    result = await FeedPoller(client, fetch_full_text=False).poll(
        FeedState(server.url("/feed.xml"))
    )

    assert result.status == "ok"
    assert result.items[0].title == "Pier to open in spring"
    request = server.requests_for("/feed.xml")[0]
    assert request.headers["user-agent"] == USER_AGENT
    assert "gzip" in request.headers["accept-encoding"]


async def test_redirected_feed_resolves_relative_links_against_the_final_url(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.redirect("/old.xml", "/new/feed.xml", status=301)
    items = [FeedItem("Relative", "story.html", content=LONG_CONTENT)]
    server.route("/new/feed.xml", rss_feed("Moved", items))
    result = await FeedPoller(client).poll(FeedState(server.url("/old.xml")))

    assert result.status == "ok"
    assert result.url == server.url("/old.xml")
    assert result.items[0].url == server.url("/new/story.html")


def test_items_without_guid_or_link_get_a_content_hash_guid() -> None:
    doc = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>No id</title><description>Words here.</description></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(doc)
    item = feeds_module.entry_to_item(parsed.entries[0], base_url="", outlet="T")
    assert item.guid.startswith("sha256:")
    again = feeds_module.entry_to_item(parse_feed(doc).entries[0], base_url="", outlet="T")
    assert again.guid == item.guid


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a feed: the response was empty"),
        (b"<!DOCTYPE html><html><body><p>Hello</p></body></html>", "not a feed: got HTML"),
        (b'{"items": []}', "not a feed: no RSS or Atom elements found"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Bro', "malformed XML"),
    ],
)
def test_parse_feed_reasons(body: bytes, reason: str) -> None:
    with pytest.raises(FeedFormatError) as raised:
        parse_feed(body)
    assert str(raised.value).startswith(reason)


def test_an_empty_but_valid_feed_is_ok() -> None:
    doc = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    parsed = parse_feed(doc)
    assert (parsed.title, parsed.entries) == ("Quiet", [])


async def test_every_entry_is_read_newest_first_however_many(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    """A feed listed oldest first, with more entries than any count cap: all are read, and
    the newest come first (the download's byte cap is the only bound)."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items = [
        FeedItem(
            f"Story {n}",
            f"https://example.org/{n}",
            content=LONG_CONTENT,
            published=start + timedelta(hours=n),
        )
        for n in range(150)
    ]
    server.route("/many.xml", rss_feed("Many", items))
    result = await FeedPoller(client).poll(FeedState(server.url("/many.xml")))
    assert [i.url for i in result.items] == [f"https://example.org/{n}" for n in range(149, -1, -1)]


@pytest.mark.parametrize(
    ("published", "replaced"),
    [
        (datetime(9999, 12, 31, tzinfo=UTC), True),
        (datetime(2099, 1, 1, tzinfo=UTC), True),
        (datetime(1989, 12, 31, tzinfo=UTC), True),
        (datetime(2024, 5, 2, 17, 0, tzinfo=UTC), False),  # within the skew
        (datetime(2024, 5, 1, 9, 0, tzinfo=UTC), False),
    ],
)
async def test_impossible_published_dates_become_the_fetch_time_and_are_flagged(
    server: FeedServer, client: httpx.AsyncClient, published: datetime, replaced: bool
) -> None:
    fetched = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
    item = FeedItem("Dated", "https://example.org/d", content=LONG_CONTENT, published=published)
    server.route("/dated.xml", rss_feed("Dated", [item]))
    result = await FeedPoller(client, clock=lambda: fetched).poll(
        FeedState(server.url("/dated.xml"))
    )
    (got,) = result.items
    assert got.published_replaced is replaced
    assert got.published == (fetched if replaced else published)


async def test_year_one_is_replaced_too() -> None:
    entry = {
        "id": "x",
        "title": "Old",
        "summary": "Text.",
        "published_parsed": (1, 1, 1, 0, 0, 0, 0, 1, 0),
    }
    fetched = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
    item = feeds_module.entry_to_item(
        entry, base_url="https://e.example/", outlet="E", fetched=fetched
    )
    assert (item.published, item.published_replaced) == (fetched, True)
