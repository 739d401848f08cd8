"""Articles: duplicates refused (by canonical URL or content; GUIDs per feed), each stored
with its statements in one transaction, linked to every feed that reaches it."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import ColumnElement, bindparam, delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import models as m
from bot.store.base import Database
from bot.store.records import NewArticle, PendingItem
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


_WORD = re.compile(r"\S+")

SHORT_TEXT_CHARS = 400
"""A text shorter than this is taken for a summary or a placeholder ("Click here to read
more."): its content hash includes the article's link, so different articles that share one
never merge."""


def content_hash(body: str, link: str = "") -> str:
    """A hash of the words of an article, blind to spacing and case; for a short text, of
    its words and ``link`` (its canonical URL or GUID)."""
    # The words are fed to the hash a chunk at a time: a list of every word of a 10 MB
    # article would take about ten times its size. The digest is that of the words joined
    # by single spaces and case-folded (and the link after a newline, for a short text).
    digest = hashlib.sha256()
    length = 0
    chunk: list[str] = []
    size = 0
    for match in _WORD.finditer(body):
        word = match.group().casefold()
        if length:
            chunk.append(" ")
            size += 1
        chunk.append(word)
        size += len(word)
        length += len(word) + (1 if length else 0)
        if size >= 65_536:
            digest.update("".join(chunk).encode("utf-8", "replace"))
            chunk, size = [], 0
    digest.update("".join(chunk).encode("utf-8", "replace"))
    if length < SHORT_TEXT_CHARS:
        digest.update(f"\n{link}".encode("utf-8", "replace"))
    return digest.hexdigest()


def item_key(guid: str | None, url: str, body: str = "") -> str:
    """What identifies an item within its feed: its GUID, else its link, else its text
    (hashed, so any length fits the index)."""
    key = guid or canonical_url(url) or url or "text:" + content_hash(body)
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _identity(guid: str | None, url: str) -> str:
    return canonical_url(url) or guid or ""


def claim_keys(guid: str | None, url: str, body: str) -> list[str]:
    """The keys a process holds while it parses an article: its canonical URL and its
    content, the two things by which another feed's item is the same article."""
    keys = ["c:" + content_hash(body, _identity(guid, url))]
    canonical = canonical_url(url)
    if canonical:
        digest = hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()
        keys.append("u:" + digest)
    return keys


# The IN statements run for every feed and every batch of articles are built once, their
# values bound at each call: building one makes SQLAlchemy clone its IN parameter, and each
# clone is a reference cycle (BindParameter._cloned_set holds the parameter itself) that
# only the cyclic garbage collector frees, a collection that holds every thread, the bot's
# event loop included (see ``_ALIASES`` in bot/store/statements.py).
_LINKED = select(m.FeedArticle.guid_hash).where(
    m.FeedArticle.guid_hash.in_(bindparam("keys", expanding=True))
)
_LINKED_TO_FEED = _LINKED.where(m.FeedArticle.feed_id == bindparam("feed_id"))
_LINKED_TO_NO_FEED = _LINKED.where(m.FeedArticle.feed_id.is_(None))
_GIVEN_UP = select(m.PendingItem.guid_hash).where(
    m.PendingItem.feed_id == bindparam("feed_id"),
    m.PendingItem.guid_hash.in_(bindparam("keys", expanding=True)),
    m.PendingItem.attempts >= bindparam("give_up"),
)
_CLAIMS = select(m.ArticleClaim).where(m.ArticleClaim.key.in_(bindparam("keys", expanding=True)))
_CLAIMS_LOCKED = _CLAIMS.with_for_update()
_RELEASE = delete(m.ArticleClaim).where(
    m.ArticleClaim.key.in_(bindparam("keys", expanding=True)),
    m.ArticleClaim.holder == bindparam("holder"),
)


class ArticleStore(Database):
    """Articles: is this one new, store it with its statements, which feeds reach it, and
    the items still waiting for their text."""

    def known_items(
        self, feed_id: int | None, items: Sequence[tuple[str, str]], now: datetime, *, give_up: int
    ) -> set[str]:
        """The GUIDs of ``items`` ((guid, url) pairs of one feed) that need no more work:
        linked to this feed already, or given up on after ``give_up`` attempts. An item
        whose link leads to an article stored through another feed is linked to this one
        here (its page is not fetched again, and this feed's channels get it)."""
        if not items:
            return set()
        known: set[str] = set()
        with self.transaction() as session:
            keys = {guid: item_key(guid, url) for guid, url in items}
            wanted = sorted(set(keys.values()))
            if feed_id is None:
                linked = set(session.scalars(_LINKED_TO_NO_FEED, {"keys": wanted}))
            else:
                linked = set(session.scalars(_LINKED_TO_FEED, {"keys": wanted, "feed_id": feed_id}))
                linked |= set(
                    session.scalars(
                        _GIVEN_UP, {"keys": wanted, "feed_id": feed_id, "give_up": give_up}
                    )
                )
            for guid, url in items:
                if keys[guid] in linked:
                    known.add(guid)
                    continue
                canonical = canonical_url(url)
                if canonical is None:
                    continue
                found = session.scalar(
                    select(m.Article.id).where(m.Article.canonical_url == canonical).limit(1)
                )
                if found is not None:
                    _link(session, feed_id, keys[guid], found, now)
                    known.add(guid)
        return known

    def link_duplicate(
        self, feed_id: int | None, guid: str | None, url: str, body: str, now: datetime
    ) -> bool:
        """Whether the article is stored already (by canonical URL or content); when it is,
        it is linked to this feed too, so the feed's channels get it."""
        canonical = canonical_url(url)
        conditions: list[ColumnElement[bool]] = [
            m.Article.content_hash == content_hash(body, _identity(guid, url))
        ]
        if canonical:
            conditions.append(m.Article.canonical_url == canonical)
        key = item_key(guid, url, body)
        with self.transaction() as session:
            if session.scalar(
                select(m.FeedArticle.id)
                .where(_feed_is(m.FeedArticle.feed_id, feed_id), m.FeedArticle.guid_hash == key)
                .limit(1)
            ):
                return True
            found = session.scalar(select(m.Article.id).where(or_(*conditions)).limit(1))
            if found is None:
                return False
            _link(session, feed_id, key, found, now)
            _forget_pending(session, feed_id, key)
            return True

    def is_duplicate(self, guid: str | None, url: str, body: str) -> bool:
        """Whether an article with this GUID (outside any feed), canonical URL or content is
        already stored."""
        conditions: list[ColumnElement[bool]] = [
            m.Article.content_hash == content_hash(body, _identity(guid, url))
        ]
        canonical = canonical_url(url)
        if canonical:
            conditions.append(m.Article.canonical_url == canonical)
        with self.sessions() as session:
            if guid and session.scalar(
                select(m.FeedArticle.id)
                .where(
                    m.FeedArticle.feed_id.is_(None),
                    m.FeedArticle.guid_hash == item_key(guid, url),
                )
                .limit(1)
            ):
                return True
            return session.scalar(select(m.Article.id).where(or_(*conditions)).limit(1)) is not None

    def claim_articles(
        self,
        items: Sequence[tuple[str | None, str, str]],
        now: datetime,
        *,
        holder: str,
        lease: timedelta,
    ) -> list[bool]:
        """Claim each of ``items`` ((guid, url, text)) for ``holder`` until ``now + lease``,
        so no other process runs the engine on the same article meanwhile; for each, whether
        it is now this holder's (False: another process parses it). Claims whose lease
        ended (their holder died) are taken over. On PostgreSQL the claim rows are locked
        and two processes inserting one key at once are told apart by the primary key;
        SQLite's write lock serialises them."""
        wanted = [claim_keys(guid, url, body) for guid, url, body in items]
        every = {key for keys in wanted for key in keys}
        if not every:
            return []
        query = _CLAIMS_LOCKED if self.dialect == "postgresql" else _CLAIMS
        out: list[bool] = []
        with self.transaction() as session:
            held = {row.key: row for row in session.scalars(query, {"keys": sorted(every)})}
            for keys in wanted:
                if any(
                    key in held and held[key].holder != holder and held[key].lease_until > now
                    for key in keys
                ):
                    out.append(False)
                    continue
                mine: dict[str, m.ArticleClaim] = {}
                try:
                    with session.begin_nested():
                        for key in keys:
                            row = held.get(key)
                            if row is None:
                                row = m.ArticleClaim(key=key, holder=holder, lease_until=now)
                                session.add(row)
                            row.holder = holder
                            row.lease_until = now + lease
                            mine[key] = row
                        session.flush()
                except IntegrityError:  # another process claimed it this very moment
                    out.append(False)
                    continue
                held.update(mine)
                out.append(True)
        return out

    def release_articles(self, items: Sequence[tuple[str | None, str, str]], holder: str) -> None:
        """End ``holder``'s claims of ``items`` (stored, or given up)."""
        keys = {key for guid, url, body in items for key in claim_keys(guid, url, body)}
        if not keys:
            return
        with self.transaction() as session:
            session.execute(_RELEASE, {"keys": sorted(keys), "holder": holder})

    def store_article(
        self, article: NewArticle, statements: Sequence[Statement], now: datetime
    ) -> tuple[int, int] | None:
        """Store an article with its statements (and the aliases they teach) atomically,
        linked to its feed. Returns (article id, statements stored), or ``None`` when it
        was a duplicate (then linked to this feed too)."""
        canonical = canonical_url(article.url)
        digest = content_hash(article.text, _identity(article.guid, article.url))
        published = article.published or now
        key = item_key(article.guid, article.url, article.text)
        try:
            with self.transaction() as session:
                if session.scalar(
                    select(m.FeedArticle.id)
                    .where(
                        _feed_is(m.FeedArticle.feed_id, article.feed_id),
                        m.FeedArticle.guid_hash == key,
                    )
                    .limit(1)
                ):
                    return None  # this feed's item is stored already
                row = m.Article(
                    feed_id=article.feed_id,
                    guid=None,  # GUIDs are unique per feed: feed_articles holds them
                    url=article.url,
                    canonical_url=canonical,
                    content_hash=digest,
                    title=article.title,
                    outlet=article.outlet,
                    published=article.published,
                    published_replaced=article.published_replaced,
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
                _link(session, article.feed_id, key, row.id, now)
                _forget_pending(session, article.feed_id, key)
                stored = row.id, len(statements)
        except IntegrityError:
            # Stored a moment ago (another process, or the same text under another link).
            log.debug("duplicate article: %s", article.url)
            self.link_duplicate(article.feed_id, article.guid, article.url, article.text, now)
            return None
        return stored

    def note_pending(
        self,
        feed_id: int,
        items: Sequence[tuple[str, str, str, str, datetime | None, str]],
        now: datetime,
    ) -> None:
        """Count one more attempt at each item still without text: (guid, url, title,
        outlet, published, why) tuples."""
        if not items:
            return
        with self.transaction() as session:
            for guid, url, title, outlet, published, why in items:
                key = item_key(guid, url)
                row = session.get(m.PendingItem, (feed_id, key))
                if row is None:
                    session.add(
                        m.PendingItem(
                            feed_id=feed_id,
                            guid_hash=key,
                            guid=guid,
                            url=url,
                            title=title,
                            outlet=outlet,
                            published=published,
                            attempts=1,
                            last_error=why,
                            first_seen=now,
                        )
                    )
                else:
                    row.attempts += 1
                    row.last_error = why

    def pending_items(self, feed_id: int, *, give_up: int) -> list[PendingItem]:
        """The feed's items still without text that are tried again (fewer than ``give_up``
        attempts so far), oldest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(m.PendingItem)
                .where(m.PendingItem.feed_id == feed_id, m.PendingItem.attempts < give_up)
                .order_by(m.PendingItem.first_seen)
            )
            return [
                PendingItem(
                    guid=row.guid,
                    url=row.url,
                    title=row.title,
                    outlet=row.outlet,
                    published=row.published,
                    attempts=row.attempts,
                    last_error=row.last_error,
                )
                for row in rows
            ]

    def article_feeds(self, article_id: int) -> list[int | None]:
        """The feeds an article reached (``None`` for articles from files)."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(m.FeedArticle.feed_id)
                    .where(m.FeedArticle.article_id == article_id)
                    .order_by(m.FeedArticle.id)
                )
            )

    def article_count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(m.Article)) or 0


def _feed_is(column: Any, feed_id: int | None) -> ColumnElement[bool]:
    return column.is_(None) if feed_id is None else column == feed_id  # type: ignore[no-any-return]


def _link(session: Session, feed_id: int | None, key: str, article_id: int, now: datetime) -> None:
    """Link the feed's item ``key`` to the article, unless it is linked already."""
    exists = session.scalar(
        select(m.FeedArticle.id)
        .where(_feed_is(m.FeedArticle.feed_id, feed_id), m.FeedArticle.guid_hash == key)
        .limit(1)
    )
    if exists is None:
        session.add(
            m.FeedArticle(feed_id=feed_id, article_id=article_id, guid_hash=key, linked=now)
        )
        session.flush()


def _forget_pending(session: Session, feed_id: int | None, key: str) -> None:
    if feed_id is not None:
        session.execute(
            delete(m.PendingItem).where(
                m.PendingItem.feed_id == feed_id, m.PendingItem.guid_hash == key
            )
        )
