"""Values made fit for the database before they reach it.

PostgreSQL refuses NUL in text and any string longer than its ``varchar(n)``; SQLite takes
both and stores garbage. So every value from outside (a feed, a page, a command line) passes
through here first: control characters are dropped, one-line values are cut to their
column, and values that cannot be cut without changing what they mean (an ETag, a link) are
refused or replaced.
"""

from __future__ import annotations

import hashlib
import re

# The store's column widths (bot/store/models.py), named once for the code that fills them.
FEED_URL_MAX = 2048
FEED_TITLE_MAX = 500
ETAG_MAX = 500
LAST_MODIFIED_MAX = 100
GUID_MAX = 2048
LINK_MAX = 2048
OUTLET_MAX = 500
TITLE_MAX = 1000  # an article's title (a Text column): no headline is longer
CHANNEL_PART_MAX = 200
PLATFORM_MAX = 50
ERROR_MAX = 2000

# C0 controls but tab, newline and carriage return; DEL and the C1 controls; lone surrogates
# (they cannot be encoded as UTF-8 at all).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` without NUL and the other control characters (tabs and line breaks kept)."""
    return _CONTROL.sub("", value)


def one_line(value: str, limit: int) -> str:
    """``value`` on one line (controls dropped, runs of white space made one space), cut to
    ``limit`` characters with "…" when longer."""
    line = " ".join(_LINE_CONTROL.sub(" ", value).split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + "…"


def fit_guid(guid: str) -> str:
    """A GUID that fits its column: a longer one is replaced by its hash, so two long GUIDs
    that differ only at the end stay two items."""
    guid = _LINE_CONTROL.sub("", guid).strip()
    if len(guid) <= GUID_MAX:
        return guid
    return "sha256:" + hashlib.sha256(guid.encode("utf-8", "replace")).hexdigest()


def fit_validator(value: str | None, limit: int) -> str | None:
    """An HTTP validator (ETag, Last-Modified) as it came, or ``None`` when it does not fit
    (a cut ETag would never match again; without one the next poll is a plain GET)."""
    if not value or len(value) > limit or _LINE_CONTROL.search(value):
        return None
    return value


def fit_link(url: str) -> str:
    """An article link as it came, or "" when it is too long or holds white space or control
    characters (such a link cannot be followed or shown as one)."""
    url = url.strip()
    if len(url) > LINK_MAX or any(ch.isspace() for ch in url) or _LINE_CONTROL.search(url):
        return ""
    return url


def one_line_reason(exc: BaseException) -> str:
    """An exception as one line for a feed's stored error: its type and first line."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return one_line(reason, 300)
