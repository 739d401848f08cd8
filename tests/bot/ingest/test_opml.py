"""OPML import and export."""

from __future__ import annotations

import pytest

from bot.errors import UserInputError
from bot.ingest import parse_opml, write_opml


def test_round_trip_keeps_urls_titles_and_order() -> None:
    feeds = [
        ("https://example.org/world.xml", "World & Politics"),
        ("https://news.example.com/rss?x=1&y=2", "Über <News>"),
        ("https://example.net/feed", ""),
    ]
    document = write_opml(feeds, "Channel #general")
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    parsed = parse_opml(document.encode("utf-8"))
    assert parsed == [
        ("https://example.org/world.xml", "World & Politics"),
        ("https://news.example.com/rss?x=1&y=2", "Über <News>"),
        ("https://example.net/feed", "https://example.net/feed"),
    ]


def test_nested_outlines_and_duplicates() -> None:
    document = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>Mine</title></head><body>
  <outline text="Politics">
    <outline text="Alpha" type="rss" xmlUrl="https://a.example/feed"/>
    <outline text="Beta" title="Beta Title" type="rss" xmlUrl="https://b.example/feed"/>
  </outline>
  <outline text="Alpha again" type="rss" xmlUrl="https://a.example/feed"/>
  <outline text="A folder without a feed"/>
</body></opml>"""
    assert parse_opml(document) == [
        ("https://a.example/feed", "Alpha"),
        ("https://b.example/feed", "Beta Title"),
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<opml><body><outline", "not a valid OPML file"),
        (b"<rss version='2.0'></rss>", "not an OPML file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]>'
            b'<opml><body><outline xmlUrl="&a;"/></body></opml>',
            "OPML refused",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:9/opml.dtd">'
            b"<opml><body/></opml>",
            "OPML refused",
        ),
    ],
)
def test_bad_documents_are_refused(document: bytes, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        parse_opml(document)
