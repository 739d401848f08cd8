"""Acceptance 2: every kind of bad feed fails alone with a clear reason; the others are ingested.

All feeds are polled together in one ``poll_many`` against one loopback server.
"""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.ingest import FeedPoller, FeedState, PollResult, parse_feed
from bot.ingest.feeds import FeedFormatError
from tests.fakes.feed_server import FeedItem, FeedServer, endless, rss_feed

CAP = 1_000_000
TEN_GB = 10 * 10**9
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CONTENT = "<p>" + " ".join(["The minister said the bridge would be finished next year."] * 30)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>
"""


def gzip_bomb() -> Iterable[bytes]:
    """gzip of endless zeros: a few MB on the wire would be gigabytes decoded."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    while True:
        chunk = packer.compress(zeros)
        if chunk:
            yield chunk


def good_feed(name: str) -> str:
    return rss_feed(
        name, [FeedItem(f"{name} story", f"https://example.org/{name}", content=CONTENT)]
    )


def serve_everything(server: FeedServer) -> dict[str, str]:
    """Route every bad case plus two good feeds; returns name -> URL."""
    server.route("/good-1.xml", good_feed("Alpha"))
    server.route("/good-2.xml", good_feed("Beta"))
    server.route("/malformed.xml", b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Br')
    server.route(
        "/html",
        b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>",
        content_type="text/html; charset=utf-8",
    )
    server.route("/huge.xml", endless(total=TEN_GB))
    server.route("/bomb.xml", gzip_bomb, headers={"Content-Encoding": "gzip"})
    server.route("/silent.xml", never_answer=True)
    server.redirect("/loop-a", "/loop-b")
    server.redirect("/loop-b", "/loop-a")
    server.route("/laughs.xml", BILLION_LAUGHS)
    server.route("/missing.xml", b"gone", status=404, content_type="text/plain")
    server.route("/error.xml", b"oops", status=500, content_type="text/plain")
    server.route("/busy.xml", b"", status=429, headers={"Retry-After": "120"})
    later = format_datetime(NOW + timedelta(minutes=30), usegmt=True)
    server.route("/down.xml", b"", status=503, headers={"Retry-After": later})
    names = [
        "good-1.xml",
        "good-2.xml",
        "malformed.xml",
        "html",
        "huge.xml",
        "bomb.xml",
        "silent.xml",
        "loop-a",
        "laughs.xml",
        "missing.xml",
        "error.xml",
        "busy.xml",
        "down.xml",
    ]
    return {name: server.url("/" + name) for name in names}


async def test_each_bad_feed_fails_alone_with_a_clear_reason(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    urls = serve_everything(server)
    poller = FeedPoller(client, concurrency=4, max_bytes=CAP, clock=lambda: NOW)

    tracemalloc.start()
    try:
        results: dict[str, PollResult] = {}
        async for result in poller.poll_many([FeedState(url) for url in urls.values()]):
            results[result.url] = result
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    by_name = {name: results[url] for name, url in urls.items()}
    assert len(results) == len(urls)
    for name in ("good-1.xml", "good-2.xml"):
        assert by_name[name].status == "ok", by_name[name].error
        assert len(by_name[name].items) == 1
    expected = {
        "malformed.xml": "malformed XML: line 2",
        "html": "not a feed: got HTML",
        "huge.xml": "response larger than 1 MB, cut",
        "bomb.xml": "response larger than 1 MB, cut",
        "silent.xml": "timed out after 1 s",
        "loop-a": "too many redirects (10)",
        "laughs.xml": "entity expansion refused",
        "missing.xml": "HTTP 404 Not Found",
        "error.xml": "HTTP 500 Internal Server Error",
        "busy.xml": "HTTP 429 Too Many Requests",
        "down.xml": "HTTP 503 Service Unavailable",
    }
    for name, reason in expected.items():
        result = by_name[name]
        assert result.status == "failed", name
        assert result.items == []
        assert result.error is not None and result.error.startswith(reason), (name, result.error)
    assert by_name["busy.xml"].retry_after == 120
    assert by_name["down.xml"].retry_after == 30 * 60
    assert by_name["missing.xml"].retry_after is None

    # The 10 GB stream and the bomb were cut near the cap: the server could send only what the
    # socket buffers held before the client hung up, and our memory stayed near the cap.
    assert server.bytes_sent["/huge.xml"] < 64 * CAP
    assert server.bytes_sent["/bomb.xml"] < 64 * CAP
    assert peak < 16 * CAP
    # The loop was followed exactly up to the limit, no further.
    assert len(server.requests_for("/loop-a")) + len(server.requests_for("/loop-b")) == 11


async def test_failures_keep_the_feeds_validators(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/error.xml", b"oops", status=500, content_type="text/plain")
    result = await FeedPoller(client).poll(FeedState(server.url("/error.xml"), '"v7"', "yesterday"))
    assert (result.status, result.etag, result.last_modified) == ("failed", '"v7"', "yesterday")


async def test_invalid_utf8_is_decoded_with_replacement_not_a_crash(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    doc = (
        rss_feed(
            "Zürich Herald",
            [
                FeedItem(
                    "Bad bytes",
                    "https://example.org/bad",
                    summary="The mayor said BAD it was fine.",
                ),
            ],
        )
        .encode("utf-8")
        .replace(b"BAD", b"\xff\xfe\xfa")
    )
    server.route("/bad-utf8.xml", doc)
    result = await FeedPoller(client, fetch_full_text=False).poll(
        FeedState(server.url("/bad-utf8.xml"))
    )

    assert result.status == "ok", result.error
    assert result.feed_title == "Zürich Herald"
    [item] = result.items
    assert "\ufffd" in item.text
    assert item.text.startswith("The mayor said")


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
