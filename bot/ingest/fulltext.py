"""Full article text: fetch a page (capped, timed out, address-checked) and extract the
article with trafilatura, keeping title, outlet, URL and published time."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.errors import FetchError
from bot.ingest.fetch import download
from bot.ingest.models import FetchedItem

log = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    | {"section", "article", "header", "footer", "tr", "table", "pre", "figure", "figcaption"}
    | {"dd", "dt", "hr"}
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "iframe"})


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, with line breaks at block elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed summary or content), one paragraph per line."""
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    collector = _TextCollector()
    try:
        collector.feed(fragment)
        collector.close()
    except (AssertionError, ValueError):  # pragma: no cover - HTMLParser is very lenient
        return _tidy(re.sub(r"<[^>]*>", " ", fragment))
    return _tidy("".join(collector.parts))


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def outlet_from_url(url: str) -> str:
    """The site's host name without "www.", when nothing better names the outlet."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def extract_article(html: str, url: str) -> FetchedItem:
    """The article in an HTML page; raises FetchError when the page holds no readable article."""
    import trafilatura  # imported lazily: it is slow to import and only needed here

    try:
        document: Any = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params={
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
                "original_date": True,
                "extensive_search": False,
            },
        )
    except Exception as exc:  # trafilatura/lxml can fail in many ways on hostile input
        log.warning("article extraction failed for %s: %s", url, exc)
        raise FetchError(f"could not extract an article from {url}: {type(exc).__name__}") from exc
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not text:
        raise FetchError(f"no article text found at {url}")
    title = (document.title or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()  # trafilatura repeats the headline as the first line
    return FetchedItem(
        guid=url,
        url=url,
        title=title,
        published=_parse_date(document.date),
        outlet=(document.sitename or "").strip() or outlet_from_url(url),
        text=text,
    )


def decode_html(body: bytes, content_type: str) -> str:
    """Page bytes to text: the declared charset, else a sniffed one; bad bytes replaced."""
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if match:
        try:
            return body.decode(match.group(1), errors="replace")
        except LookupError:
            pass
    head = body[:4096]
    meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", head, re.IGNORECASE)
    if meta:
        try:
            return body.decode(meta.group(1).decode("ascii"), errors="replace")
        except (LookupError, UnicodeDecodeError):
            pass
    return body.decode("utf-8", errors="replace")


async def fetch_article(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int = 5_000_000,
    total_timeout: float | None = None,
) -> FetchedItem:
    """Fetch a page and extract its article. Raises FetchError (HTTP status, timeout, size,
    not HTML, no article) or UnsafeURLError (address or scheme refused)."""
    page = await download(client, url, max_bytes=max_bytes, total_timeout=total_timeout)
    content_type = page.headers.get("content-type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime not in _HTML_TYPES:
        raise FetchError(f"not an article page: got {mime}")
    html = decode_html(page.body, content_type)
    if mime == "text/plain":
        text = _tidy(html)
        if not text:
            raise FetchError(f"no article text found at {url}")
        item = FetchedItem(url, url, "", None, outlet_from_url(url), text)
    else:
        # Extraction is CPU work on lxml: keep it off the event loop.
        item = await asyncio.to_thread(extract_article, html, url)
    item.url = url
    item.guid = url or hashlib.sha256(item.text.encode()).hexdigest()
    return item
