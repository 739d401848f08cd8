"""Acceptance 2: every kind of bad feed fails alone with a clear reason; the others are ingested.

All feeds are polled together in one ``poll_many`` against one loopback server.
"""

from __future__ import annotations

import tracemalloc

import httpx
import pytest

from bot.ingest import FeedPoller, FeedState, PollResult, make_client, parse_feed
from bot.ingest.feeds import FeedFormatError, check_utf8
from bot.ingest.safety import SafeTransport
from tests.bot.ingest.bad_feeds import (
    BAD_UTF8_AT,
    BILLION_LAUGHS,
    CAP,
    EXPECTED,
    GOOD,
    NOW,
    TIMEOUT,
    CountingTransport,
    invalid_utf8_feed,
    serve_everything,
)
from tests.fakes.feed_server import FeedServer


async def test_each_bad_feed_fails_alone_with_a_clear_reason(server: FeedServer) -> None:
    urls = serve_everything(server)
    counting = CountingTransport(SafeTransport(allow_private=True))

    tracemalloc.start()
    try:
        results: dict[str, PollResult] = {}
        async with make_client(allow_private=True, timeout=TIMEOUT, transport=counting) as client:
            poller = FeedPoller(client, concurrency=4, max_bytes=CAP, clock=lambda: NOW)
            async for result in poller.poll_many([FeedState(url) for url in urls.values()]):
                results[result.url] = result
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    by_name = {name: results[url] for name, url in urls.items()}
    assert len(results) == len(urls)
    for name in GOOD:
        assert by_name[name].status == "ok", by_name[name].error
        assert len(by_name[name].items) == 1
    for name, reason in EXPECTED.items():
        result = by_name[name]
        assert result.status == "failed", name
        assert result.items == []
        assert result.error is not None and result.error.startswith(reason), (name, result.error)
    assert by_name["bad-utf8.xml"].error == (
        f"invalid UTF-8 at byte {BAD_UTF8_AT} (declared utf-8)"
    )
    assert by_name["busy.xml"].retry_after == 120
    assert by_name["down.xml"].retry_after == 30 * 60
    assert by_name["missing.xml"].retry_after is None

    # The 10 GB stream was read up to the cap and one network read past it, no further; the
    # bomb's few compressed bytes were cut when their decoded size passed the cap.
    assert CAP < counting.bytes_read["/huge.xml"] <= CAP + 64 * 1024
    assert counting.bytes_read["/bomb.xml"] < CAP
    # The server could send only what the socket buffers held once the client hung up.
    assert server.bytes_sent["/huge.xml"] < 64 * CAP
    assert peak < 16 * CAP
    # The loop was followed exactly up to the limit, no further.
    assert len(server.requests_for("/loop-a")) + len(server.requests_for("/loop-b")) == 11


async def test_failures_keep_the_feeds_validators(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/error.xml", b"oops", status=500, content_type="text/plain")
    result = await FeedPoller(client).poll(FeedState(server.url("/error.xml"), '"v7"', "yesterday"))
    assert (result.status, result.etag, result.last_modified) == ("failed", '"v7"', "yesterday")


async def test_invalid_utf8_fails_the_feed_naming_the_byte(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/bad-utf8.xml", invalid_utf8_feed())
    result = await FeedPoller(client, fetch_full_text=False).poll(
        FeedState(server.url("/bad-utf8.xml"))
    )

    assert (result.status, result.items) == ("failed", [])
    assert result.error == f"invalid UTF-8 at byte {BAD_UTF8_AT} (declared utf-8)"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<rss>caf\xe9</rss>", "", "invalid UTF-8 at byte 8 (no encoding declared, so UTF-8)"),
        (
            b'<?xml version="1.0" encoding="UTF-8"?><rss>\xc3</rss>',
            "text/xml",
            "invalid UTF-8 at byte 43 (declared utf-8)",
        ),
        (  # an encoded surrogate is not UTF-8
            b"<rss>\xed\xa0\x80</rss>",
            "application/rss+xml; charset=utf8",
            "invalid UTF-8 at byte 5 (declared utf8)",
        ),
    ],
)
def test_invalid_utf8_reasons(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(FeedFormatError) as raised:
        check_utf8(body, content_type)
    assert str(raised.value).startswith(reason)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<rss>Zürich</rss>".encode(), ""),
        ("\ufeff<rss>Zürich</rss>".encode(), "application/xml; charset=utf-8"),
        ('<?xml version="1.0" encoding="iso-8859-1"?><rss>Zürich</rss>'.encode("latin-1"), ""),
        ("<rss>Zürich</rss>".encode("latin-1"), "text/xml; charset=windows-1252"),
        ('<?xml version="1.0" encoding="utf-16"?><rss>Zürich</rss>'.encode("utf-16"), ""),
        ("<rss>Zürich</rss>".encode("utf-16-le"), ""),
    ],
)
def test_valid_utf8_and_other_declared_encodings_pass(body: bytes, content_type: str) -> None:
    check_utf8(body, content_type)


def test_a_feed_declaring_latin1_is_read_in_latin1() -> None:
    doc = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        "<title>Zürich Herald</title><item><title>Ä</title><guid>1</guid>"
        "<description>Words.</description></item></channel></rss>"
    ).encode("latin-1")
    assert parse_feed(doc).title == "Zürich Herald"


async def test_external_entities_are_refused_without_fetching_them(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/secret", b"top secret", content_type="text/plain")
    doc = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{server.url("/secret")}">]>\n'
        '<rss version="2.0"><channel><title>&xxe;</title></channel></rss>'
    ).encode()
    server.route("/xxe.xml", doc)
    result = await FeedPoller(client).poll(FeedState(server.url("/xxe.xml")))

    assert result.status == "failed"
    assert result.error is not None and result.error.startswith("entity expansion refused")
    assert server.requests_for("/secret") == []


async def test_entity_declarations_in_utf16_are_refused(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route(
        "/laughs16.xml",
        BILLION_LAUGHS.decode().replace('"1.0"?>', '"1.0" encoding="utf-16"?>', 1).encode("utf-16"),
    )
    result = await FeedPoller(client).poll(FeedState(server.url("/laughs16.xml")))
    assert result.error is not None and result.error.startswith("entity expansion refused")


def feed_with_doctype(declarations: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f"<!DOCTYPE rss [\n{declarations}\n]>\n"
        '<rss version="2.0"><channel><title>Caf&eacute;&nbsp;Daily</title>'
        "<item><title>One</title><guid>1</guid><description>Words.</description></item>"
        "</channel></rss>"
    ).encode()


def test_short_literal_entities_as_real_feeds_use_them_are_allowed() -> None:
    doc = feed_with_doctype('<!ENTITY nbsp "&#160;">\n<!ENTITY eacute "&#xE9;">')
    parsed = parse_feed(doc)
    assert parsed.title == "Caf\u00e9\u00a0Daily"
    assert len(parsed.entries) == 1


@pytest.mark.parametrize(
    "declarations",
    [
        '<!ENTITY a "&#160;">\n<!ENTITY b "&a;&a;&a;">',  # nesting
        '<!ENTITY big "' + "x" * 100 + '">',  # a long literal multiplies the document
        '<!ENTITY ext SYSTEM "file:///etc/passwd">',
        '<!ENTITY % param "&#160;">',
        '<!ENTITY ext PUBLIC "-//x//y" "http://127.0.0.1:9/x.dtd">',
        "\n".join(f'<!ENTITY e{n} "x">' for n in range(100)),  # too many
    ],
)
def test_dangerous_entity_declarations_are_refused(declarations: str) -> None:
    with pytest.raises(FeedFormatError, match="entity expansion refused"):
        parse_feed(feed_with_doctype(declarations))
