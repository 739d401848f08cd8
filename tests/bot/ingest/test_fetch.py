"""Capped, decoded, timed-out downloads."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest

from bot.errors import FetchError
from bot.ingest import ResponseTooLarge, make_client
from bot.ingest.fetch import download, human_size, read_capped
from tests.fakes.feed_server import FeedServer, endless
from tests.timing import PATIENT

BODY = b"<rss>" + b"the council met on Tuesday " * 2000 + b"</rss>"


async def test_body_within_the_cap_is_read_whole(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/f", BODY)
    page = await download(client, server.url("/f"), max_bytes=len(BODY))
    assert (page.status_code, page.body) == (200, BODY)


async def test_declared_length_over_the_cap_is_refused_before_reading(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/f", BODY)
    with pytest.raises(ResponseTooLarge, match="response larger than 1 KB, cut"):
        await download(client, server.url("/f"), max_bytes=1000)


async def test_a_stream_without_length_is_cut_at_the_cap(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/stream", endless(chunk_size=4096))
    with pytest.raises(ResponseTooLarge, match="response larger than 100 KB, cut"):
        await download(client, server.url("/stream"), max_bytes=100_000)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib wrapper
    ],
)
async def test_compressed_bodies_are_decoded(
    server: FeedServer, client: httpx.AsyncClient, encoding: str, compress: object
) -> None:
    assert callable(compress)
    server.route("/z", compress(BODY), headers={"Content-Encoding": encoding})
    page = await download(client, server.url("/z"), max_bytes=len(BODY))
    assert page.body == BODY


async def test_the_cap_applies_to_the_decoded_size(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    packed = gzip.compress(b"\0" * 5_000_000)
    server.route("/bomb", packed, headers={"Content-Encoding": "gzip"})
    assert len(packed) < 100_000
    with pytest.raises(ResponseTooLarge):
        await download(client, server.url("/bomb"), max_bytes=100_000)


async def test_unknown_content_encoding_is_a_clear_failure(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/br", b"\x1b\x00", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="unsupported content encoding 'br'"):
        await download(client, server.url("/br"), max_bytes=1000)


async def test_a_trickling_server_hits_the_whole_download_deadline(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    """Each chunk arrives well within the read timeout, but the whole never ends."""
    server.route("/slow", endless(chunk_size=16), chunk_delay=0.05)
    with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
        await download(client, server.url("/slow"), max_bytes=10**9, total_timeout=0.3)


async def test_connection_refused_is_a_clear_failure() -> None:
    with FeedServer() as gone:
        url = gone.url("/f")
    async with make_client(allow_private=True, timeout=PATIENT) as client:
        with pytest.raises(FetchError, match="connection failed"):
            await download(client, url, max_bytes=1000)


async def test_read_capped_counts_raw_bytes_too() -> None:
    """A compressed stream that decodes to nothing still cannot be read forever."""
    empty_blocks = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = b"".join(
        empty_blocks.compress(b"") + empty_blocks.flush(zlib.Z_FULL_FLUSH) for _ in range(1000)
    )

    async def stream():  # type: ignore[no-untyped-def]
        while True:
            yield chunk

    response = httpx.Response(200, headers={"Content-Encoding": "deflate"}, content=stream())
    with pytest.raises(ResponseTooLarge):
        await read_capped(response, 50_000)


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (10_000_000, "10 MB"),
        (5_000_000, "5 MB"),
        (1_000, "1 KB"),
        (65_536, "65536 bytes"),
        (10**10, "10 GB"),
        (2_500_000, "2500 KB"),
        (2_500_001, "2.5 MB"),
    ],
)
def test_human_size(n: int, shown: str) -> None:
    assert human_size(n) == shown


async def test_a_url_httpx_cannot_build_is_a_fetch_error_with_its_reason() -> None:
    """httpx's InvalidURL is not an HTTPError: it must not escape as an internal error."""
    async with make_client(allow_private=True, timeout=PATIENT) as client:
        with pytest.raises(FetchError) as raised:
            await download(client, "http://127.0.0.1:9/a\nb.xml", max_bytes=1000)
    assert str(raised.value).startswith("invalid URL: ")
