"""The default feeds (``config/feeds.opml``): world desks of public broadcasters and
international outlets, for a first run that shows the product and for
``/briefing feeds defaults``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources

from bot.ingest.opml import parse_opml

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0  # seconds to wait for a connection before calling the network down
PROBES = 3  # default feeds' hosts tried


def default_feeds() -> list[tuple[str, str]]:
    """(url, title) of each default feed, as the packaged OPML lists them."""
    return parse_opml(resources.files("config").joinpath("feeds.opml").read_bytes())


async def reachable(urls: Sequence[str], timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether any of the first feeds answers at all (any HTTP status): the network is
    there. Through the environment's proxy settings, like every download."""
    import httpx

    async with httpx.AsyncClient(timeout=timeout, trust_env=True) as client:
        for url in urls[:PROBES]:
            try:
                await client.head(url)
            except httpx.HTTPError as exc:
                log.debug("cannot reach %s: %s", url, exc)
                continue
            return True
    return False
