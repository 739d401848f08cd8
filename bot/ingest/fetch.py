"""The HTTP side of ingestion: a safe client, and a GET that streams with a byte cap.

Every body is read as a stream and reading stops at ``max_bytes`` (raw and decoded, so a
gzip bomb is cut like a plain endless stream); nothing is buffered beyond the cap.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass

import httpx

from bot.errors import FetchError, UnsafeURLError
from bot.ingest.safety import SafeTransport, check_public_url

log = logging.getLogger(__name__)

USER_AGENT = "newsbrief/0.1 (+https://github.com/newsbrief)"
MAX_REDIRECTS = 10
ACCEPT_ENCODING = "gzip, deflate"


def make_client(
    *,
    allow_private: bool,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for feeds and pages: safe addresses only (unless ``allow_private``),
    connect/read timeouts, at most 10 redirects (each hop checked), gzip, an honest User-Agent.

    A ``transport`` given by the caller is used as is (tests pass a MockTransport or a
    SafeTransport with exemptions).
    """
    return httpx.AsyncClient(
        transport=transport or SafeTransport(allow_private=allow_private),
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        trust_env=False,
    )


def human_size(n: int) -> str:
    """1_000_000 -> "1 MB", 65_536 -> "65536 bytes": sizes in reasons a user reads."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    if n >= 10**6:
        return f"{n / 10**6:.1f} MB"
    return f"{n} bytes"


class ResponseTooLarge(FetchError):
    """The body went past the byte cap; reading stopped there."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        super().__init__(f"response larger than {human_size(max_bytes)}, cut")


class HTTPStatusFailure(FetchError):
    """The server answered with an error status."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        phrase = response.reason_phrase or httpx.codes.get_reason_phrase(response.status_code)
        super().__init__(f"HTTP {response.status_code} {phrase}".rstrip())


class _Decoder:
    """Content-Encoding decoding that never produces more than it is allowed to."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        self._raw_deflate_fallback = False
        self._started = False
        if not codings:
            self._inflater = None
        elif codings == ["gzip"] or codings == ["x-gzip"]:
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif codings == ["deflate"]:
            self._inflater = zlib.decompressobj()
            self._raw_deflate_fallback = True
        else:
            raise FetchError(f"unsupported content encoding {content_encoding!r}")

    def decode(self, chunk: bytes, limit: int) -> bytes:
        """Decode ``chunk``, returning at most ``limit`` bytes (more means the cap is passed)."""
        if self._inflater is None:
            return chunk
        try:
            out = self._inflater.decompress(chunk, limit)
        except zlib.error as exc:
            if self._raw_deflate_fallback and not self._started:
                # Some servers send raw deflate without the zlib wrapper.
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_deflate_fallback = False
                return self.decode(chunk, limit)
            raise FetchError(f"could not decode the compressed response: {exc}") from exc
        self._started = True
        return out

    def flush(self, limit: int) -> bytes:
        if self._inflater is None:
            return b""
        try:
            return self._inflater.flush()[:limit]
        except zlib.error:
            return b""


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body of a streamed response, raising ResponseTooLarge past ``max_bytes``."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(max_bytes)
    decoder = _Decoder(response.headers.get("content-encoding", ""))
    parts: list[bytes] = []
    raw_total = 0
    total = 0
    async for chunk in response.aiter_raw():
        raw_total += len(chunk)
        if raw_total > max_bytes:
            raise ResponseTooLarge(max_bytes)
        out = decoder.decode(chunk, max_bytes - total + 1)
        total += len(out)
        if total > max_bytes:
            raise ResponseTooLarge(max_bytes)
        if out:
            parts.append(out)
    tail = decoder.flush(max_bytes - total + 1)
    total += len(tail)
    if total > max_bytes:
        raise ResponseTooLarge(max_bytes)
    parts.append(tail)
    return b"".join(parts)


@dataclass
class Download:
    """A completed GET: the final URL after redirects, status, headers and (capped) body."""

    url: str
    status_code: int
    headers: httpx.Headers
    body: bytes


async def download(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    total_timeout: float | None = None,
) -> Download:
    """GET ``url``; a 200 is read up to ``max_bytes``, a 304 comes back with no body, any
    other status raises HTTPStatusFailure. Network failures become FetchError with a reason.
    """
    check_public_url(url)
    total = total_timeout if total_timeout is not None else default_total(client)
    try:
        async with asyncio.timeout(total):
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Download(str(response.url), 304, response.headers, b"")
                if response.status_code != 200:
                    raise HTTPStatusFailure(response)
                body = await read_capped(response, max_bytes)
                return Download(str(response.url), 200, response.headers, body)
    except (FetchError, UnsafeURLError):
        raise
    except TimeoutError as exc:
        raise FetchError(f"timed out after {total:g} s") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        # InvalidURL is not an HTTPError: a URL httpx cannot even build a request for.
        raise FetchError(describe_http_error(exc, client)) from exc


def default_total(client: httpx.AsyncClient) -> float:
    """A whole-download deadline, so a server trickling a byte per read timeout cannot hang us."""
    read = client.timeout.read or 10.0
    return max(3 * read, 30.0)


def describe_http_error(exc: httpx.HTTPError | httpx.InvalidURL, client: httpx.AsyncClient) -> str:
    """A short reason a user can act on, for an httpx failure."""
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            seconds = client.timeout.connect
            what = "connecting timed out"
        else:
            seconds = client.timeout.read
            what = "timed out"
        return f"{what} after {seconds:g} s" if seconds is not None else what
    if isinstance(exc, httpx.TooManyRedirects):
        return f"too many redirects ({client.max_redirects})"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"refused: unsupported URL scheme ({exc})"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc}" if str(exc) else "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP protocol: {exc}"
    if isinstance(exc, httpx.DecodingError):
        return f"could not decode the response: {exc}"
    if isinstance(exc, httpx.InvalidURL):
        return f"invalid URL: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
