"""Feed ingestion: fetch feeds and pages safely, parse RSS/Atom, extract full text.

Returns data only; storage, scheduling and platforms live elsewhere. The HTTP client (and so the
transport) and the clock are passed in.
"""

from __future__ import annotations

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
