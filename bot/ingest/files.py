"""Local text files as articles (``newsbrief ingest --once FILE``)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import UserInputError
from bot.ingest.models import FetchedItem

MAX_FILE_BYTES = 5_000_000
_MAX_TITLE_CHARS = 200


def _looks_like_title(line: str, rest: str) -> bool:
    """A first line is a title when it is short, has no sentence end, and text follows it."""
    line = line.strip()
    if not line or not rest.strip() or len(line) > _MAX_TITLE_CHARS:
        return False
    if line.endswith((".", ",", ";", ":", '"', "”", "’")) and not line.endswith("..."):
        return False
    return not line.startswith(('"', "“", "'", "‘", "-", "*"))


def read_article_file(path: str | Path) -> FetchedItem:
    """A local text file as an article: the first line is the title when it looks like one,
    the outlet is empty, the guid comes from a hash of the content, the URL is a file: URI."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UserInputError(f"{file} is too large ({size} bytes; at most {MAX_FILE_BYTES})")
        raw = file.read_bytes()
    except OSError as exc:
        raise UserInputError(f"cannot read {file}: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff").replace("\r\n", "\n")
    text = text.strip()
    if not text:
        raise UserInputError(f"{file} is empty")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    first, _, rest = text.partition("\n")
    title = ""
    if _looks_like_title(first, rest):
        title = first.strip()
        text = rest.strip()
    published = datetime.fromtimestamp(file.stat().st_mtime, UTC)
    return FetchedItem(
        guid=f"sha256:{digest}",
        url=file.resolve().as_uri(),
        title=title,
        published=published,
        outlet="",
        text=text,
    )
