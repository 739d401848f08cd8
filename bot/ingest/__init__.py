"""Feed ingestion: fetch feeds and pages safely, parse RSS/Atom, extract full text.

Returns data only; storage, scheduling and platforms live elsewhere. The HTTP client (and so the
transport) and the clock are passed in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ingest.backoff import MAX_FAILURES, next_attempt_delay, parse_retry_after
    from bot.ingest.feeds import FeedFormatError, FeedPoller, parse_feed
    from bot.ingest.fetch import USER_AGENT, ResponseTooLarge, make_client
    from bot.ingest.files import read_article_file
    from bot.ingest.fulltext import extract_article, fetch_article
    from bot.ingest.models import FeedState, FetchedItem, PollResult
    from bot.ingest.opml import parse_opml, write_opml
    from bot.ingest.safety import (
        SafeNetworkBackend,
        SafeTransport,
        address_problem,
        check_public_url,
        feed_url,
    )

# Where each name lives: the submodules are imported on first use, so a command that
# never fetches anything (``feeds list``) does not pay for httpx, feedparser and the rest.
_WHERE = {
    "FeedFormatError": "bot.ingest.feeds",
    "FeedPoller": "bot.ingest.feeds",
    "FeedState": "bot.ingest.models",
    "FetchedItem": "bot.ingest.models",
    "MAX_FAILURES": "bot.ingest.backoff",
    "PollResult": "bot.ingest.models",
    "ResponseTooLarge": "bot.ingest.fetch",
    "SafeNetworkBackend": "bot.ingest.safety",
    "SafeTransport": "bot.ingest.safety",
    "USER_AGENT": "bot.ingest.fetch",
    "address_problem": "bot.ingest.safety",
    "check_public_url": "bot.ingest.safety",
    "extract_article": "bot.ingest.fulltext",
    "feed_url": "bot.ingest.safety",
    "fetch_article": "bot.ingest.fulltext",
    "make_client": "bot.ingest.fetch",
    "next_attempt_delay": "bot.ingest.backoff",
    "parse_feed": "bot.ingest.feeds",
    "parse_opml": "bot.ingest.opml",
    "parse_retry_after": "bot.ingest.backoff",
    "read_article_file": "bot.ingest.files",
    "write_opml": "bot.ingest.opml",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "MAX_FAILURES",
    "USER_AGENT",
    "FeedFormatError",
    "FeedPoller",
    "FeedState",
    "FetchedItem",
    "PollResult",
    "ResponseTooLarge",
    "SafeNetworkBackend",
    "SafeTransport",
    "address_problem",
    "check_public_url",
    "extract_article",
    "feed_url",
    "fetch_article",
    "make_client",
    "next_attempt_delay",
    "parse_feed",
    "parse_opml",
    "parse_retry_after",
    "read_article_file",
    "write_opml",
]
