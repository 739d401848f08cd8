"""Polling RSS and Atom feeds: conditional GET, capped download, safe parsing, full text.

``FeedPoller.poll_many`` polls many feeds with bounded concurrency and yields each result as it
completes; a failing feed becomes a failed ``PollResult`` with a reason and never stops the others.
Every entry of a feed is read, newest first (the download's byte cap bounds how many there
can be); its pages are fetched within the feed's own deadline.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import logging
import re
import xml.sax
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from bot.errors import FetchError, UnsafeURLError
from bot.fit import OUTLET_MAX, TITLE_MAX, clean_text, fit_guid, fit_link, one_line
from bot.ingest.backoff import parse_retry_after
from bot.ingest.fetch import HTTPStatusFailure, default_total, download
from bot.ingest.fulltext import fetch_article, html_to_text, outlet_from_url
from bot.ingest.models import FeedState, FetchedItem, PollResult

log = logging.getLogger(__name__)

FULL_TEXT_MIN_CHARS = 1000
"""Feed content shorter than this is taken for a summary, and the page is fetched instead."""

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
EARLIEST_PUBLISHED = datetime(1990, 1, 1, tzinfo=UTC)
"""A published date before this is a feed's mistake (no web feed is older)."""
FUTURE_SKEW = timedelta(hours=6)
"""How far after the fetch a published date may lie (clocks and time zones get it wrong)."""

KnownItems = Callable[[FeedState, Sequence[FetchedItem]], Awaitable[Collection[str]]]
"""Given a feed and its items, the GUIDs of those the caller has already (their pages are
not fetched again); called once per poll, so one batched look-up off the event loop."""

_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>])", re.I | re.S
)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY = re.compile(rb"<!ENTITY", re.I)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY([^>]*)>", re.I)
# A general entity whose value is one character reference or a short literal without
# references: it cannot nest, recurse or point outside the document.
_SAFE_ENTITY = re.compile(
    rb"^\s+[A-Za-z_][\w.-]*\s+"
    rb"""(?:"(?:&#x?[0-9A-Fa-f]{1,6};|[^"&%<]{0,8})"|'(?:&#x?[0-9A-Fa-f]{1,6};|[^'&%<]{0,8})')"""
    rb"\s*$"
)
_MAX_SAFE_ENTITIES = 64


class FeedFormatError(FetchError):
    """The body was fetched but is not a feed we can (or will) read."""


@dataclass
class ParsedFeed:
    """The feedparser result we use: the feed's title and its entries."""

    title: str
    entries: list[Any] = field(default_factory=list)
    version: str = ""


def _declares_entities(body: bytes) -> bool:
    """True when the document declares XML entities that could expand or fetch anything.

    Entity declarations are how billion-laughs and external-entity attacks work, so such
    documents are refused before any XML parser sees them. The one harmless use seen in real
    feeds is kept: a few short literal entities such as ``<!ENTITY nbsp "&#160;">``.
    """
    for encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        if "<!DOCTYPE".encode(encoding) in body and "<!ENTITY".encode(encoding) in body:
            return True
    if not (_DOCTYPE.search(body) and _ENTITY.search(body)):
        return False
    declarations = _ENTITY_DECLARATION.findall(body)
    if len(declarations) != len(_ENTITY.findall(body)) or len(declarations) > _MAX_SAFE_ENTITIES:
        return True
    return not all(_SAFE_ENTITY.match(declaration) for declaration in declarations)


def looks_like_html(body: bytes) -> bool:
    """True when the body starts like an HTML page (after a BOM, whitespace and comments)."""
    return bool(_HTML_START.match(body[:4096].removeprefix(b"\xef\xbb\xbf")))


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([\w.:-]+)["']""")
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.I)


def check_utf8(body: bytes, content_type: str = "") -> None:
    """Refuse a feed that is to be read as UTF-8 but is not valid UTF-8.

    A feed declaring UTF-8 (in its Content-Type or its XML declaration), or declaring nothing
    (XML's default is UTF-8), must decode as UTF-8; feedparser would otherwise quietly re-read
    it in a guessed 8-bit encoding and garble its words. Feeds declaring another encoding, and
    UTF-16/32 documents (a byte-order mark, or NUL bytes among the first four as XML's
    encoding detection reads them), are left to feedparser.
    """
    if body.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in body[:4]:
        return
    header = _CHARSET.search(content_type)
    prolog = _XML_ENCODING.match(body[:200].removeprefix(b"\xef\xbb\xbf"))
    named = [
        found.lower()
        for found in (
            header.group(1) if header else None,
            prolog.group(1).decode("ascii") if prolog else None,
        )
        if found
    ]
    if any(found.replace("_", "-") not in ("utf-8", "utf8") for found in named):
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        how = f"declared {named[0]}" if named else "no encoding declared, so UTF-8"
        raise FeedFormatError(f"invalid UTF-8 at byte {exc.start} ({how})") from None


def _looks_like_markup(body: bytes) -> bool:
    head = body[:1024].removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith((b"<", b"\xff\xfe", b"\xfe\xff"))


def _describe_bozo(exc: object) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            f"malformed XML: line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
            f"{exc.getMessage()}"
        )
    return f"malformed XML: {exc}" if str(exc) else "malformed XML"


def parse_feed(body: bytes, *, url: str = "", content_type: str = "") -> ParsedFeed:
    """Parse RSS or Atom bytes with feedparser; raises FeedFormatError with a clear reason."""
    import feedparser

    if not body.strip():
        raise FeedFormatError("not a feed: the response was empty")
    if _declares_entities(body):
        raise FeedFormatError("entity expansion refused: the document declares XML entities")
    if not looks_like_html(body):  # a page gets the clearer reason below
        check_utf8(body, content_type)
    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    try:
        result = feedparser.parse(
            body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True
        )
    except Exception as exc:  # feedparser is lenient, but hostile input must never crash a poll
        log.warning("feedparser crashed on %s: %r", url, exc)
        raise FeedFormatError(f"could not parse the feed ({type(exc).__name__})") from exc
    entries = list(result.get("entries") or [])
    version = str(result.get("version") or "")
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    if not entries:
        if looks_like_html(body) and not version:
            raise FeedFormatError("not a feed: got HTML")
        if not version and not _looks_like_markup(body):
            raise FeedFormatError("not a feed: no RSS or Atom elements found")
        if isinstance(bozo, xml.sax.SAXException):
            raise FeedFormatError(_describe_bozo(bozo))
        if not version:
            raise FeedFormatError("not a feed: no RSS or Atom elements found")
    elif bozo is not None:
        log.info("feed %s is not well-formed (%s); kept what could be read", url, bozo)
    title = str(result.get("feed", {}).get("title") or "").strip()
    return ParsedFeed(title=title, entries=entries, version=version)


def _entry_text(entry: Any) -> str:
    """The longest text the entry carries: its content blocks or its summary."""
    candidates = [str(c.get("value") or "") for c in entry.get("content") or []]
    candidates.append(str(entry.get("summary") or ""))
    texts = [html_to_text(c) for c in candidates if c]
    return max(texts, key=len, default="")


def _entry_title(entry: Any) -> str:
    title = str(entry.get("title") or "")
    detail = entry.get("title_detail") or {}
    if "html" in str(detail.get("type") or ""):
        title = html_to_text(title)
    return one_line(title, TITLE_MAX)


def _entry_published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def sane_published(published: datetime | None, fetched: datetime) -> tuple[datetime | None, bool]:
    """The published date to keep, and whether it was replaced: a date later than the fetch
    (beyond FUTURE_SKEW) or before 1990 cannot be true, so the fetch time stands in for it."""
    if published is None:
        return None, False
    if published > fetched + FUTURE_SKEW or published < EARLIEST_PUBLISHED:
        return fetched, True
    return published, False


def entry_to_item(
    entry: Any, *, base_url: str, outlet: str, fetched: datetime | None = None
) -> FetchedItem:
    """A feed entry as an item: ``text`` is what the feed carries (maybe only a summary).
    Every value is fit for the store (see bot.fit); an impossible published date is
    replaced by ``fetched`` and flagged."""
    link = str(entry.get("link") or "").strip()
    link = fit_link(urljoin(base_url, link)) if link else ""
    title = _entry_title(entry)
    text = clean_text(_entry_text(entry))
    guid = fit_guid(str(entry.get("id") or "")) or link
    if not guid:
        guid = "sha256:" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    published, doubtful = sane_published(_entry_published(entry), fetched or datetime.now(UTC))
    return FetchedItem(
        guid=guid,
        url=link,
        title=title,
        published=published,
        outlet=one_line(outlet, OUTLET_MAX),
        text=text,
        published_replaced=doubtful,
    )


def _newest_first(items: list[FetchedItem]) -> list[FetchedItem]:
    """Dated items newest first, then the undated ones in the feed's order."""
    dated = [item for item in items if item.published is not None]
    dated.sort(key=lambda item: item.published, reverse=True)  # type: ignore[arg-type,return-value]
    return dated + [item for item in items if item.published is None]


class FeedPoller:
    """Polls feeds through one HTTP client; see the module docstring.

    ``known_items``, when given, tells the poller which items the caller already has, so
    their pages are not fetched again. ``clock`` gives the time for Retry-After dates and
    the fetch time of items. ``total_timeout`` bounds each feed's poll as a whole: its
    download and the pages of its items (pages still unread at the deadline are left for
    the next poll).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        concurrency: int = 32,
        max_bytes: int = 10_000_000,
        fetch_full_text: bool = True,
        page_max_bytes: int = 5_000_000,
        page_concurrency: int = 16,
        total_timeout: float | None = None,
        clock: Callable[[], datetime] | None = None,
        known_items: KnownItems | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.concurrency = concurrency
        self.max_bytes = max_bytes
        self.fetch_full_text = fetch_full_text
        self.page_max_bytes = page_max_bytes
        self.total_timeout = total_timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        self._known_items = known_items
        self._page_slots = asyncio.Semaphore(page_concurrency)

    async def poll_many(self, feeds: Sequence[FeedState]) -> AsyncIterator[PollResult]:
        """Poll every enabled feed, at most ``concurrency`` at a time; yield results as they
        complete. Disabled feeds are skipped."""
        waiting = iter([feed for feed in feeds if not feed.disabled])
        running: set[asyncio.Task[PollResult]] = set()

        def start_more() -> None:
            while len(running) < self.concurrency:
                feed = next(waiting, None)
                if feed is None:
                    return
                running.add(asyncio.create_task(self.poll(feed), name=f"poll {feed.url}"))

        start_more()
        try:
            while running:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                running.difference_update(done)
                start_more()
                for task in done:
                    yield task.result()
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def poll(self, feed: FeedState) -> PollResult:
        """Poll one feed. Never raises for the feed's own faults: they become a failed result."""
        try:
            return await self._poll(feed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("polling %s failed unexpectedly", feed.url)
            return self._failed(feed, f"internal error while polling ({type(exc).__name__})")

    def _failed(self, feed: FeedState, reason: str, retry_after: float | None = None) -> PollResult:
        # Keep the old validators: a failure says nothing about the feed's last good version.
        return PollResult(
            url=feed.url,
            status="failed",
            items=[],
            etag=feed.etag,
            last_modified=feed.last_modified,
            error=reason,
            retry_after=retry_after,
        )

    def _deadline(self) -> float:
        """When this feed's poll must be over, on the loop's clock."""
        total = self.total_timeout if self.total_timeout is not None else default_total(self.client)
        return asyncio.get_running_loop().time() + total

    async def _poll(self, feed: FeedState) -> PollResult:
        deadline = self._deadline()
        headers = {"Accept": FEED_ACCEPT}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        try:
            response = await download(
                self.client,
                feed.url,
                max_bytes=self.max_bytes,
                headers=headers,
                total_timeout=deadline - asyncio.get_running_loop().time(),
            )
        except HTTPStatusFailure as exc:
            retry_after = None
            if exc.status_code in (429, 503):
                retry_after = parse_retry_after(exc.headers.get("retry-after"), self._clock())
            log.info("feed %s failed: %s", feed.url, exc)
            return self._failed(feed, str(exc), retry_after)
        except (FetchError, UnsafeURLError) as exc:
            log.info("feed %s failed: %s", feed.url, exc)
            return self._failed(feed, str(exc))

        etag = response.headers.get("etag") or None
        last_modified = response.headers.get("last-modified") or None
        if response.status_code == 304:
            # Not modified: nothing to parse. Servers may omit the validators on a 304. The
            # items that had no text are tried again all the same.
            items, pending = await self.complete_items(feed.retry, deadline)
            return PollResult(
                url=feed.url,
                status="not_modified",
                items=items,
                etag=etag or feed.etag,
                last_modified=last_modified or feed.last_modified,
                pending=pending,
            )

        content_type = response.headers.get("content-type", "")
        fetched = self._clock()
        try:
            # Parsing is CPU work (and the entries' HTML with it): off the event loop.
            parsed, drafts = await asyncio.to_thread(
                _parse_items, response.body, response.url, content_type, fetched
            )
        except FeedFormatError as exc:
            log.info("feed %s failed: %s", feed.url, exc)
            return self._failed(feed, str(exc))

        drafts = await self._unknown(feed, drafts)
        listed = {item.guid for item in drafts}
        drafts += [item for item in feed.retry if item.guid not in listed]
        items, pending = await self.complete_items(drafts, deadline)
        return PollResult(
            url=feed.url,
            status="ok",
            items=items,
            etag=etag,
            last_modified=last_modified,
            feed_title=parsed.title,
            pending=pending,
        )

    async def _unknown(self, feed: FeedState, drafts: list[FetchedItem]) -> list[FetchedItem]:
        if self._known_items is None or not drafts:
            return drafts
        known = await self._known_items(feed, drafts)
        return [item for item in drafts if item.guid not in known]

    async def complete_items(
        self, items: Sequence[FetchedItem], deadline: float | None = None
    ) -> tuple[list[FetchedItem], list[FetchedItem]]:
        """Fill in the full text of ``items`` from their pages (by ``deadline``, on the loop's
        clock; default: a feed's whole timeout from now). Returns the items with text, and
        those still without any (for the caller to try again on a later poll)."""
        if deadline is None:
            deadline = self._deadline()
        completed = await asyncio.gather(*(self._complete(item, deadline) for item in items))
        done = [item for item in completed if item.text.strip()]
        pending = [item for item in completed if not item.text.strip()]
        return done, pending

    async def _complete(self, item: FetchedItem, deadline: float) -> FetchedItem:
        """Fill in the full text from the page when the feed gave only a summary.

        A page that cannot be read leaves the summary in place; an item left with no text at
        all comes back empty (the caller tries it again on a later poll)."""
        if not (
            self.fetch_full_text
            and len(item.text) < FULL_TEXT_MIN_CHARS
            and urlsplit(item.url).scheme in ("http", "https")
        ):
            return item
        loop = asyncio.get_running_loop()
        try:
            async with self._page_slots:
                left = deadline - loop.time()
                if left <= 0:
                    raise FetchError("the feed's time was up before this page was read")
                page = await fetch_article(
                    self.client, item.url, max_bytes=self.page_max_bytes, total_timeout=left
                )
        except (FetchError, UnsafeURLError) as exc:
            log.info("article page %s not read (%s); keeping the feed's summary", item.url, exc)
            item.error = str(exc)
        else:
            if len(page.text) > len(item.text):
                item.text = clean_text(page.text)
            item.title = item.title or one_line(page.title, TITLE_MAX)
            if item.published is None and page.published is not None:
                item.published, item.published_replaced = sane_published(
                    page.published, self._clock()
                )
        return item


def _parse_items(
    body: bytes, url: str, content_type: str, fetched: datetime
) -> tuple[ParsedFeed, list[FetchedItem]]:
    """The feed and every one of its entries as items, newest first, each GUID once."""
    parsed = parse_feed(body, url=url, content_type=content_type)
    outlet = parsed.title or outlet_from_url(url)
    items: list[FetchedItem] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        item = entry_to_item(entry, base_url=url, outlet=outlet, fetched=fetched)
        if item.guid not in seen:
            seen.add(item.guid)
            items.append(item)
    return parsed, _newest_first(items)
