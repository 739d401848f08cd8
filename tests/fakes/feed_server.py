"""A loopback HTTP server for tests and benchmarks that serves feeds and pages.

It runs its own event loop in a background thread, so it works from sync and async tests alike
and never competes with the code under test for the test's loop. Each path is a ``Route``:
status, headers, a body (bytes, or a generator factory for endless streams that are never
materialised), ETag/Last-Modified validators answered with 304, gzip, delays and a mode that
never answers. Every request is recorded, and the body bytes written per path are counted.

    with FeedServer() as server:
        server.route("/feed.xml", rss_feed("Daily Planet", [...]), etag='"v1"')
        url = server.url("/feed.xml")
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip as gzip_module
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http import HTTPStatus
from types import TracebackType

BodyFactory = Callable[[], Iterable[bytes]]


@dataclass
class Route:
    """How the server answers one path."""

    body: bytes | BodyFactory = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False  # compress a bytes body when the client accepts gzip
    delay: float = 0.0  # seconds to wait before answering
    chunk_delay: float = 0.0  # seconds between chunks of a streamed body
    never_answer: bool = False  # read the request, then say nothing until the server stops
    hold: threading.Event | None = None  # answer only once the test sets this event


@dataclass
class RecordedRequest:
    """One request the server received; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]


class FeedServer:
    """See the module docstring. Use as a (sync or async) context manager, or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.bytes_sent: dict[str, int] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._stopping: asyncio.Event | None = None

    # -- configuration ------------------------------------------------------------------------

    def route(self, path: str, body: bytes | str | BodyFactory = b"", **options: object) -> Route:
        """Serve ``body`` at ``path`` (replacing any earlier route); options are Route fields."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        route = Route(body=body, **options)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def redirect(self, path: str, location: str, status: int = 302) -> Route:
        """Answer ``path`` with a redirect to ``location`` (absolute, or a path on this server)."""
        return self.route(path, b"", status=status, headers={"Location": location})

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FeedServer:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._open())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="feed-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("feed server did not start")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FeedServer:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Stopping joins the server thread; do it off the caller's loop.
        await asyncio.to_thread(self.stop)

    async def _open(self) -> None:
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(
            self._track, self.host, 0, limit=1 << 16, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        assert self._server is not None and self._stopping is not None
        self._stopping.set()
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    # -- serving ------------------------------------------------------------------------------

    async def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve_connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # The server is stopping. Ending quietly: Python 3.11's start_server logs an
            # error for every connection handler that ends cancelled.
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed the connection
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = [*lines[0].split(" "), "", ""][:3]
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(length)
            with self._lock:
                self.requests.append(RecordedRequest(method, target, headers))
            route = self.routes.get(target) or self.routes.get(target.split("?", 1)[0])
            keep_alive = await self._respond(writer, target, route, headers)
            if not keep_alive or headers.get("connection", "").lower() == "close":
                return

    async def _respond(
        self,
        writer: asyncio.StreamWriter,
        path: str,
        route: Route | None,
        request_headers: dict[str, str],
    ) -> bool:
        """Write one response; returns whether the connection may be reused."""
        if route is None:
            await self._write_head(writer, 404, {"Content-Type": "text/plain"}, b"not found")
            return True
        if route.never_answer:
            assert self._stopping is not None
            await self._stopping.wait()
            return False
        if route.delay:
            await asyncio.sleep(route.delay)
        while route.hold is not None and not route.hold.is_set():
            await asyncio.sleep(0.005)
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200 and self._not_modified(route, request_headers):
            for name in ("Content-Type",):
                headers.pop(name, None)
            await self._write_head(writer, 304, headers, b"")
            return True
        if isinstance(route.body, bytes):
            body = route.body
            if route.gzip and "gzip" in request_headers.get("accept-encoding", ""):
                body = gzip_module.compress(body)
                headers["Content-Encoding"] = "gzip"
            await self._write_head(writer, route.status, headers, body)
            self._count(path, len(body))
            return headers.get("Connection", "").lower() != "close"
        headers["Connection"] = "close"
        await self._write_head(writer, route.status, headers, None)
        for chunk in route.body():
            writer.write(chunk)
            await writer.drain()  # back-pressure: a client that stops reading stops us too
            self._count(path, len(chunk))
            if route.chunk_delay:
                await asyncio.sleep(route.chunk_delay)
        return False

    @staticmethod
    def _not_modified(route: Route, request_headers: dict[str, str]) -> bool:
        if route.etag and route.etag in {
            tag.strip() for tag in request_headers.get("if-none-match", "").split(",")
        }:
            return True
        return bool(
            route.last_modified
            and "if-none-match" not in request_headers
            and request_headers.get("if-modified-since") == route.last_modified
        )

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self.bytes_sent[path] = self.bytes_sent.get(path, 0) + n

    @staticmethod
    async def _write_head(
        writer: asyncio.StreamWriter, status: int, headers: dict[str, str], body: bytes | None
    ) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {status} {phrase}"]
        if body is not None:
            headers = {**headers, "Content-Length": str(len(body))}
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        await writer.drain()


# -- documents to serve ---------------------------------------------------------------------


@dataclass
class FeedItem:
    """An item for ``rss_feed``/``atom_feed``: ``summary`` goes in description, ``content`` (HTML)
    in content:encoded when given."""

    title: str
    link: str
    summary: str = ""
    content: str = ""
    guid: str = ""
    published: datetime | None = None


def rss_feed(title: str, items: Sequence[FeedItem], link: str = "https://example.org/") -> str:
    """A real-shaped RSS 2.0 document."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        "<channel>",
        f"<title>{escape(title)}</title>",
        f"<link>{escape(link)}</link>",
        "<description>Test feed</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        parts.append(f"<link>{escape(item.link)}</link>")
        parts.append(f'<guid isPermaLink="false">{escape(item.guid or item.link)}</guid>')
        if item.published is not None:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        if item.summary:
            parts.append(f"<description>{escape(item.summary)}</description>")
        if item.content:
            parts.append(f"<content:encoded><![CDATA[{item.content}]]></content:encoded>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>"]
    return "\n".join(parts)


def atom_feed(title: str, items: Sequence[FeedItem]) -> str:
    """A real-shaped Atom 1.0 document."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title>",
        "<id>urn:test:feed</id>",
        "<updated>2024-05-01T12:00:00Z</updated>",
    ]
    for item in items:
        parts.append("<entry>")
        parts.append(f"<title>{escape(item.title)}</title>")
        parts.append(f'<link href="{escape(item.link)}"/>')
        parts.append(f"<id>{escape(item.guid or item.link)}</id>")
        when = item.published.isoformat() if item.published else "2024-05-01T12:00:00+00:00"
        parts.append(f"<updated>{when}</updated>")
        if item.summary:
            parts.append(f"<summary>{escape(item.summary)}</summary>")
        if item.content:
            parts.append(f'<content type="html">{escape(item.content)}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts)


def article_page(title: str, paragraphs: Sequence[str], outlet: str = "Daily Planet") -> str:
    """A real-shaped news article page: navigation, the article, a footer."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | {escape(outlet)}</title>
<meta property="og:site_name" content="{escape(outlet)}">
<meta property="og:title" content="{escape(title)}">
<meta property="article:published_time" content="2024-05-01T09:30:00+00:00">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<main><article><h1>{escape(title)}</h1>
{body}
</article></main>
<footer>Copyright {escape(outlet)}. All rights reserved.</footer>
</body></html>"""


def endless(chunk_size: int = 64 * 1024, total: int | None = None) -> BodyFactory:
    """A body factory producing ``total`` bytes (default: without end), one chunk at a time."""

    def generate() -> Iterable[bytes]:
        chunk = b"<rss>" + b"x" * (chunk_size - 5)
        sent = 0
        while total is None or sent < total:
            yield chunk
            sent += len(chunk)

    return generate
