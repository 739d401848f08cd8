"""Articles: duplicates refused (by GUID, canonical URL or content), and each stored with
its statements in one transaction."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import ColumnElement, func, or_, select, text
from sqlalchemy.exc import IntegrityError

from bot.store import models as m
from bot.store.base import Database
from bot.store.records import NewArticle
from bot.store.statements import write_statements
from briefings.models import Statement

log = logging.getLogger(__name__)

# Query parameters that only track the reader; two URLs differing in them are one article.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|smid)$", re.I)


def canonical_url(url: str) -> str | None:
    """The URL that identifies an article: no fragment, no tracking parameters, lower-case
    host, no default port, no trailing slash. ``None`` for an empty or non-web URL."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    query = urlencode(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(k)
        )
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, query, ""))


def content_hash(body: str) -> str:
    """A hash of the words of an article, blind to spacing and case."""
    return hashlib.sha256(" ".join(body.split()).casefold().encode("utf-8")).hexdigest()


class ArticleStore(Database):
    """Articles: is this one new, store it with its statements, how many are there."""

    def is_duplicate(self, guid: str | None, url: str, body: str) -> bool:
        """Whether an article with this GUID, canonical URL or content is already stored."""
        conditions: list[ColumnElement[bool]] = [m.Article.content_hash == content_hash(body)]
        if guid:
            conditions.append(m.Article.guid == guid)
        canonical = canonical_url(url)
        if canonical:
            conditions.append(m.Article.canonical_url == canonical)
        with self.sessions() as session:
            return session.scalar(select(m.Article.id).where(or_(*conditions)).limit(1)) is not None

    def has_item(self, guid: str | None, url: str) -> bool:
        """Whether an article with this GUID or canonical URL is stored (text not known yet)."""
        conditions: list[ColumnElement[bool]] = []
        if guid:
            conditions.append(m.Article.guid == guid)
        canonical = canonical_url(url)
        if canonical:
            conditions.append(m.Article.canonical_url == canonical)
        if not conditions:
            return False
        with self.sessions() as session:
            return session.scalar(select(m.Article.id).where(or_(*conditions)).limit(1)) is not None

    def store_article(
        self, article: NewArticle, statements: Sequence[Statement], now: datetime
    ) -> tuple[int, int] | None:
        """Store an article with its statements (and the aliases they teach) atomically.

        Returns (article id, statements stored), or ``None`` when it was a duplicate."""
        canonical = canonical_url(article.url)
        digest = content_hash(article.text)
        published = article.published or now
        try:
            with self.transaction() as session:
                row = m.Article(
                    feed_id=article.feed_id,
                    guid=article.guid or None,
                    url=article.url,
                    canonical_url=canonical,
                    content_hash=digest,
                    title=article.title,
                    outlet=article.outlet,
                    published=article.published,
                    fetched=now,
                    text=article.text,
                )
                session.add(row)
                session.flush()
                if self.dialect == "sqlite":
                    session.execute(
                        text("INSERT INTO article_fts(rowid, title, text) VALUES (:i, :t, :b)"),
                        {"i": row.id, "t": article.title, "b": article.text},
                    )
                write_statements(session, self.dialect, row.id, statements, published, now)
                stored = row.id, len(statements)
        except IntegrityError:
            log.debug("duplicate article skipped: %s", article.url)
            return None
        return stored

    def article_count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(m.Article)) or 0
