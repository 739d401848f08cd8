"""Article pages: extraction with trafilatura, and the limits on fetching them."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from bot.errors import FetchError
from bot.ingest import extract_article, fetch_article, make_client
from bot.ingest.fulltext import decode_html, html_to_text
from tests.fakes.feed_server import FeedServer, article_page, endless
from tests.timing import SHORT

PARAGRAPHS = [
    "Fishermen in the northern bays said the new quotas would halve their catch this year.",
    '"Nobody asked us," said Tomas Berg, who has fished the bay for thirty years.',
    "The fisheries agency said the quotas followed scientific advice and would be reviewed.",
]


def test_extract_article_keeps_title_outlet_date_and_body() -> None:
    html = article_page("Quotas anger fishermen", PARAGRAPHS, outlet="Coastal Times")
    item = extract_article(html, "https://coastal.example/quotas")

    assert item.title == "Quotas anger fishermen"
    assert item.outlet == "Coastal Times"
    assert item.url == "https://coastal.example/quotas"
    assert item.published == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert item.text.splitlines()[0] == PARAGRAPHS[0]  # the headline is not repeated
    assert "Tomas Berg" in item.text
    assert "Home" not in item.text and "All rights reserved" not in item.text


def test_a_page_without_an_article_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match="no article text"):
        extract_article("<html><body></body></html>", "https://coastal.example/empty")


def test_outlet_falls_back_to_the_host_name() -> None:
    html = "<html><body><article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article>"
    item = extract_article(html + "</body></html>", "https://www.coastal.example/x")
    assert item.outlet == "coastal.example"


async def test_fetch_article_over_http(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.route("/a.html", article_page("Quotas", PARAGRAPHS), content_type="text/html")
    item = await fetch_article(client, server.url("/a.html"))
    assert item.url == item.guid == server.url("/a.html")
    assert "Tomas Berg" in item.text


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (
            {"body": b"%PDF-1.4", "content_type": "application/pdf"},
            "not an article page: got application/pdf",
        ),
        ({"body": b"nope", "status": 404, "content_type": "text/plain"}, "HTTP 404 Not Found"),
        ({"body": endless(), "content_type": "text/html"}, "response larger than 100 KB, cut"),
    ],
)
async def test_fetch_article_failures(
    server: FeedServer, client: httpx.AsyncClient, route: dict[str, object], message: str
) -> None:
    server.route("/p", **route)  # type: ignore[arg-type]
    with pytest.raises(FetchError, match=message):
        await fetch_article(client, server.url("/p"), max_bytes=100_000)


async def test_a_page_that_never_answers_times_out(server: FeedServer) -> None:
    server.route("/p", never_answer=True)
    async with make_client(allow_private=True, timeout=SHORT) as client:
        with pytest.raises(FetchError, match=f"timed out after {SHORT:g} s"):
            await fetch_article(client, server.url("/p"))


async def test_plain_text_pages_are_taken_as_they_are(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.route("/t.txt", "\n".join(PARAGRAPHS), content_type="text/plain; charset=utf-8")
    item = await fetch_article(client, server.url("/t.txt"))
    assert item.text.splitlines() == PARAGRAPHS


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    fragment = (
        "<p>First &amp; foremost.</p><script>alert('x')</script>"
        "<p>Second<br>line</p><style>p{}</style>   <div>Third</div>"
    )
    assert html_to_text(fragment) == "First & foremost.\nSecond\nline\nThird"
    assert html_to_text("plain  text\n") == "plain text"


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        ("Zürich".encode(), "text/html; charset=utf-8", "Zürich"),
        ("Zürich".encode("latin-1"), "text/html; charset=ISO-8859-1", "Zürich"),
        (b'<meta charset="windows-1252">Caf\xe9', "text/html", '<meta charset="windows-1252">Café'),
        (b"bad \xff byte", "text/html", "bad \ufffd byte"),
        (b"x", "text/html; charset=no-such-codec", "x"),
    ],
)
def test_decode_html(body: bytes, content_type: str, text: str) -> None:
    assert decode_html(body, content_type) == text
