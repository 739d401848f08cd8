"""Acceptance 2's bad feeds, served next to good ones, with the reason each must fail with.

Shared by the poller's test (tests/bot/ingest/test_bad_feeds.py) and the runtime's, which
takes them through to the store. ``CountingTransport`` counts the bytes the client read and
gives the silent feed alone a short read timeout: every other request has ``TIMEOUT``, far
more than it needs however busy the machine, so each fails for its own reason (the redirect
loop by its count of hops), never by running out of time.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

from tests.fakes.feed_server import FeedItem, FeedServer, endless, rss_feed
from tests.timing import PATIENT, SHORT

CAP = 1_000_000  # the byte cap the tests poll with
TIMEOUT = PATIENT  # the client's timeouts (seconds): no request but the silent one meets them
SILENT = "/silent.xml"  # the one path whose read timeout is SHORT
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


def invalid_utf8_feed() -> bytes:
    """A feed declaring UTF-8 with one bad sequence in an item (and a genuine "ü" before it)."""
    doc = rss_feed(
        "Zürich Herald",
        [FeedItem("Bad bytes", "https://example.org/bad", summary="The mayor said BAD it was.")],
    ).encode("utf-8")
    return doc.replace(b"BAD", b"\xff\xfe\xfa")


BAD_UTF8_AT = invalid_utf8_feed().index(b"\xff")  # where the bad sequence starts


def gzip_bomb() -> Iterable[bytes]:
    """gzip of endless zeros: a few MB on the wire would be gigabytes decoded."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    while True:
        chunk = packer.compress(zeros)
        if chunk:
            yield chunk


def good_feed(name: str) -> str:
    """A feed whose one item carries its full text (no page to fetch)."""
    content = CONTENT.replace("<p>", f"<p>{name} reports. ", 1)
    return rss_feed(
        name, [FeedItem(f"{name} story", f"https://example.org/{name}", content=content)]
    )


# Every bad feed and the start of the reason it must fail with (at CAP bytes).
EXPECTED = {
    "malformed.xml": "malformed XML: line 2",
    "html": "not a feed: got HTML",
    "huge.xml": "response larger than 1 MB, cut",
    "bomb.xml": "response larger than 1 MB, cut",
    "silent.xml": "timed out after",
    "loop-a": "too many redirects (10)",
    "laughs.xml": "entity expansion refused",
    "bad-utf8.xml": "invalid UTF-8 at byte",
    "missing.xml": "HTTP 404 Not Found",
    "error.xml": "HTTP 500 Internal Server Error",
    "busy.xml": "HTTP 429 Too Many Requests",
    "down.xml": "HTTP 503 Service Unavailable",
}
GOOD = ("good-1.xml", "good-2.xml")


def serve_everything(server: FeedServer) -> dict[str, str]:
    """Route every bad case plus two good feeds; returns name -> URL (good ones first)."""
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
    server.route(SILENT, never_answer=True)
    server.redirect("/loop-a", "/loop-b")
    server.redirect("/loop-b", "/loop-a")
    server.route("/laughs.xml", BILLION_LAUGHS)
    server.route("/bad-utf8.xml", invalid_utf8_feed())
    server.route("/missing.xml", b"gone", status=404, content_type="text/plain")
    server.route("/error.xml", b"oops", status=500, content_type="text/plain")
    server.route("/busy.xml", b"", status=429, headers={"Retry-After": "120"})
    later = format_datetime(NOW + timedelta(minutes=30), usegmt=True)
    server.route("/down.xml", b"", status=503, headers={"Retry-After": later})
    return {name: server.url("/" + name) for name in (*GOOD, *EXPECTED)}


class _CountedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, counts: dict[str, int], path: str) -> None:
        self.inner = inner
        self.counts = counts
        self.path = path

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.counts[self.path] = self.counts.get(self.path, 0) + len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport and counts the body bytes the client read, per URL path (as they
    came over the wire, before any gzip decoding). The silent feed's request alone waits
    only ``SHORT`` for an answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bytes_read: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == SILENT:
            request.extensions["timeout"] = {**request.extensions["timeout"], "read": SHORT}
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CountedStream(response.stream, self.bytes_read, request.url.path),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
