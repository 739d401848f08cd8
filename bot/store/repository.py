"""Reading and writing the store: plain synchronous methods, one transaction each.

The service runs them in a worker thread (``asyncio.to_thread``) so the event loop never
waits on the database. Writes that must be atomic (an article with its statements and the
aliases they teach; a delivery with the slot it claims) happen inside one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import ColumnElement, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.ports import ChannelRef
from bot.store import models as m
from bot.store.db import SQLITE_BEGIN
from briefings.models import Actor, Stance, Statement

log = logging.getLogger(__name__)

# Query parameters that only track the reader; two URLs differing in them are one article.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|smid)$", re.I)
# A name fit to learn from: capitalised words, with the usual lower-case particles.
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.-]*|von|van|der|de|da|di|del|la|le|bin|al|el)$")


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


def normalise_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def learnable_names(speaker_name: str) -> list[str]:
    """The full name and the surname of a person's name ("Olaf Scholz" → both); nothing for
    descriptions ("the Kremlin", "a spokesperson") or single words."""
    words = speaker_name.split()
    if len(words) < 2 or not all(_NAME_WORD.match(w) for w in words):
        return []
    if not words[0][0].isupper() or not words[-1][0].isupper():
        return []
    return [" ".join(words), words[-1]]


def from_text(actor: Actor) -> bool:
    """Whether the engine tied the speaker to the actor from the article's own words (a title,
    a demonym, an of-phrase), as opposed to a curated fact or an alias we gave it."""
    evidence = actor.evidence.casefold()
    return bool(evidence) and not evidence.startswith(("fact", "alias", "config", "learned"))


@dataclass(frozen=True, slots=True)
class NewArticle:
    """What the ingestion hands to the store: an article and the engine's statements."""

    guid: str | None
    url: str
    title: str
    outlet: str
    published: datetime | None
    text: str
    feed_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """A statement row with the article it came from (for /stance and briefings)."""

    statement: Statement
    article_id: int
    title: str
    url: str
    outlet: str
    published: datetime


@dataclass(frozen=True, slots=True)
class StanceCounts:
    total: int
    first: datetime | None
    last: datetime | None
    stances: dict[str, int]


Drive = Literal["actor", "articles"]


@dataclass(frozen=True, slots=True)
class StancePlan:
    """How each /stance query with a topic is driven: "actor" walks the actor's statements
    newest first and keeps those in matching articles; "articles" looks up the statements
    of each matching article. ``rows`` is for the newest page, ``counts`` for the summary."""

    rows: Drive
    counts: Drive


def choose_stance_plan(*, said: int, matching: int, articles: int, limit: int) -> StancePlan:
    """Drive each query from the side that visits fewer index entries: the actor's side
    visits all ``said`` statements for the counts, and for the newest page about
    ``limit`` / (share of articles matching) of them (topics are spread over time); the
    articles' side visits each of the ``matching`` articles either way."""
    share = matching / max(articles, matching, 1)
    page_from_actor = min(said, limit / share)
    return StancePlan(
        rows="actor" if page_from_actor < matching else "articles",
        counts="actor" if said < matching else "articles",
    )


@dataclass(frozen=True, slots=True)
class AliasEntry:
    name: str
    actor: Actor
    source: str
    speaker_name: str


class Repository:
    """Every query the bot makes, behind method names that say what they do."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        bind = sessions.kw["bind"]
        self.dialect: str = bind.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a writing transaction (on SQLite it takes the write lock at once),
        committed at the end, rolled back on error."""
        with self.sessions() as session:
            if self.dialect == "sqlite":
                session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    # ----------------------------------------------------------------- feeds

    def add_feed(
        self, url: str, now: datetime, title: str = "", *, reenable: bool = False
    ) -> m.Feed:
        """The feed row for ``url``, created when new; ``reenable`` gives a disabled or
        backing-off feed a fresh start (an operator adding it again)."""
        with self.transaction() as session:
            feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
            if feed is None:
                feed = m.Feed(url=url, title=title, failures=0, disabled=False, created=now)
                session.add(feed)
                try:
                    session.flush()
                except IntegrityError:  # another process added it at the same moment
                    session.rollback()
                    return self.feed(url)  # type: ignore[return-value]
            else:
                if title and not feed.title:
                    feed.title = title
                if reenable and (feed.disabled or feed.failures):
                    feed.disabled = False
                    feed.failures = 0
                    feed.next_attempt = None
            return feed

    def feed(self, url: str) -> m.Feed | None:
        with self.sessions() as session:
            return session.scalar(select(m.Feed).where(m.Feed.url == url))

    def remove_feed(self, url: str) -> bool:
        with self.transaction() as session:
            feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
            if feed is None:
                return False
            session.execute(delete(m.ChannelFeed).where(m.ChannelFeed.feed_id == feed.id))
            session.delete(feed)
            return True

    def feeds(self) -> list[m.Feed]:
        with self.sessions() as session:
            return list(session.scalars(select(m.Feed).order_by(m.Feed.id)))

    def due_feeds(self, now: datetime) -> list[m.Feed]:
        """Enabled feeds whose back-off has passed."""
        with self.sessions() as session:
            query = (
                select(m.Feed)
                .where(m.Feed.disabled.is_(False))
                .where(or_(m.Feed.next_attempt.is_(None), m.Feed.next_attempt <= now))
                .order_by(m.Feed.id)
            )
            return list(session.scalars(query))

    def record_poll(
        self,
        url: str,
        *,
        now: datetime,
        ok: bool,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str = "",
        error: str | None = None,
        next_attempt: datetime | None = None,
        disable: bool = False,
    ) -> None:
        """Save a poll's outcome: the validators on success, the reason and back-off on failure."""
        with self.transaction() as session:
            feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
            if feed is None:
                return
            feed.last_polled = now
            if ok:
                feed.failures = 0
                feed.last_error = None
                feed.next_attempt = None
                feed.etag = etag
                feed.last_modified = last_modified
                if title and not feed.title:
                    feed.title = title[:500]
            else:
                feed.failures += 1
                feed.last_error = (error or "unknown error")[:2000]
                feed.next_attempt = next_attempt
                feed.disabled = disable

    # -------------------------------------------------------------- articles

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
                for position, statement in enumerate(statements):
                    if statement.actor is not None:
                        self._ensure_actor(session, statement.actor)
                    session.add(_statement_row(row.id, position, statement, published))
                session.flush()
                self._count_statements(session, statements, published)
                self._learn_aliases(session, row.id, statements, now)
                stored = row.id, len(statements)
        except IntegrityError:
            log.debug("duplicate article skipped: %s", article.url)
            return None
        return stored

    def _count_statements(
        self, session: Session, statements: Sequence[Statement], published: datetime
    ) -> None:
        """Add the article's statements to the per-actor totals (same transaction)."""
        counts: dict[tuple[str, str], int] = {}
        for statement in statements:
            if statement.actor is not None:
                key = (statement.actor.id, statement.stance.value)
                counts[key] = counts.get(key, 0) + 1
        if not counts:
            return
        rows = [
            {"actor_id": a, "stance": st, "statements": n, "first": published, "last": published}
            for (a, st), n in sorted(counts.items())  # one lock order for every writer
        ]
        session.execute(_stats_upsert(self.dialect), rows)

    def rebuild_actor_stats(self) -> None:
        """Recompute the per-actor totals from the statements (after bulk loads)."""
        with self.transaction() as session:
            session.execute(delete(m.ActorStats))
            session.execute(
                text(
                    "INSERT INTO actor_stats (actor_id, stance, statements, first, last) "
                    "SELECT actor_id, stance, count(*), min(published), max(published) "
                    "FROM statements WHERE actor_id IS NOT NULL GROUP BY actor_id, stance"
                )
            )

    def _ensure_actor(self, session: Session, actor: Actor) -> None:
        if session.get(m.Actor, actor.id) is None:
            try:
                with session.begin_nested():
                    session.add(m.Actor(id=actor.id, name=actor.name, kind=actor.kind))
            except IntegrityError:  # added by a concurrent transaction just now
                pass

    def _learn_aliases(
        self, session: Session, article_id: int, statements: Sequence[Statement], now: datetime
    ) -> None:
        """Person names → actor. Names tied to an actor by the text itself are "learned" (the
        engine gets them for later articles); those from facts are only "person" lookups."""
        seen: set[str] = set()
        for statement in statements:
            actor = statement.actor
            if actor is None:
                continue
            names = learnable_names(statement.speaker_name)
            textual = from_text(actor)
            if not textual:
                names = names[:1]  # the full name helps /stance; the surname alone may mislead
            for name in names:
                norm = normalise_name(name)
                if norm in seen:
                    continue
                seen.add(norm)
                source = "learned" if textual else "person"
                existing = session.scalar(select(m.Alias).where(m.Alias.norm == norm))
                if existing is None:
                    alias = m.Alias(
                        norm=norm,
                        name=name,
                        actor_id=actor.id,
                        source=source,
                        speaker_name=statement.speaker_name,
                        evidence=actor.evidence[:500],
                        article_id=article_id,
                        created=now,
                    )
                    try:
                        with session.begin_nested():
                            session.add(alias)
                    except IntegrityError:  # learned by a concurrent transaction: first wins
                        pass
                elif (
                    existing.source == "person"
                    and source == "learned"
                    and existing.actor_id == actor.id
                ):
                    existing.source = "learned"
                    existing.evidence = actor.evidence[:500]

    def article_count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(m.Article)) or 0

    def statement_count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(m.Statement)) or 0

    # ---------------------------------------------------------- actors, aliases

    def actors(self) -> list[Actor]:
        with self.sessions() as session:
            return [_actor(row) for row in session.scalars(select(m.Actor).order_by(m.Actor.id))]

    def actor(self, actor_id: str) -> Actor | None:
        with self.sessions() as session:
            row = session.get(m.Actor, actor_id)
            return _actor(row) if row else None

    def aliases(self, sources: Iterable[str] | None = None) -> list[AliasEntry]:
        query = select(m.Alias, m.Actor).join(m.Actor, m.Alias.actor_id == m.Actor.id)
        if sources is not None:
            query = query.where(m.Alias.source.in_(list(sources)))
        with self.sessions() as session:
            return [
                AliasEntry(alias.name, _actor(actor), alias.source, alias.speaker_name)
                for alias, actor in session.execute(query.order_by(m.Alias.id))
            ]

    def add_alias(self, name: str, actor: Actor, now: datetime, source: str = "config") -> None:
        """Tie ``name`` to ``actor`` (configured aliases win over learned ones)."""
        norm = normalise_name(name)
        with self.transaction() as session:
            self._ensure_actor(session, actor)
            existing = session.scalar(select(m.Alias).where(m.Alias.norm == norm))
            if existing is None:
                session.add(
                    m.Alias(
                        norm=norm,
                        name=name,
                        actor_id=actor.id,
                        source=source,
                        speaker_name="",
                        evidence=f"alias: {source}",
                        created=now,
                    )
                )
            else:
                existing.actor_id = actor.id
                existing.source = source

    def engine_aliases(self) -> dict[str, Actor]:
        """Learned and configured aliases in the shape ``Engine(nlp, aliases=...)`` takes."""
        return {
            entry.name: Actor(
                entry.actor.id, entry.actor.name, f"alias: {entry.source}", entry.actor.kind
            )
            for entry in self.aliases(("learned", "config"))
        }

    # -------------------------------------------------------------- /stance

    def stance_statements(
        self,
        actor_id: str,
        *,
        since: datetime | None = None,
        topic: str | None = None,
        limit: int = 20,
        plan: StancePlan | None = None,
    ) -> tuple[list[StoredStatement], StanceCounts]:
        """The actor's statements newest first, and counts over all that match.

        With a topic, each of the two queries (the newest page, the counts) is driven either
        from the actor's statements or from the matching articles, whichever visits fewer
        rows (``choose_stance_plan``); ``plan`` forces one (tests compare the two)."""
        empty = StanceCounts(0, None, None, {})
        conditions: list[ColumnElement[bool]] = [m.Statement.actor_id == actor_id]
        if since is not None:
            conditions.append(m.Statement.published >= since)
        match = None
        if topic:
            match = self._topic_match([topic])
            if match is None:
                return [], empty
        with self.sessions() as session:
            if match is not None:
                if plan is None:
                    plan = self._stance_plan(session, actor_id, match, limit)
                if plan is None:  # no article matches the topic
                    return [], empty
            page = select(m.Statement.id).where(
                *conditions, *self._topic_condition(match, plan.rows if plan else "")
            )
            page = page.order_by(m.Statement.published.desc(), m.Statement.id.desc()).limit(limit)
            # The page of ids first, then the rows it names: the article rows are read for
            # the page only, never for every statement the filters visit.
            rows_query = (
                select(m.Statement, m.Article.title, m.Article.url, m.Article.outlet, m.Actor.name)
                .join(m.Article, m.Statement.article_id == m.Article.id)
                .outerjoin(m.Actor, m.Statement.actor_id == m.Actor.id)
                .where(m.Statement.id.in_(page.scalar_subquery()))
                .order_by(m.Statement.published.desc(), m.Statement.id.desc())
            )
            rows = [
                StoredStatement(
                    _statement(stmt, actor_name),
                    stmt.article_id,
                    title,
                    url,
                    outlet,
                    stmt.published,
                )
                for stmt, title, url, outlet, actor_name in session.execute(rows_query)
            ]
            if since is None and match is None:
                counts = self._running_totals(session, actor_id)
            else:
                counts = self._count_live(
                    session,
                    [*conditions, *self._topic_condition(match, plan.counts if plan else "")],
                )
        return rows, counts

    def _running_totals(self, session: Session, actor_id: str) -> StanceCounts:
        """Everything the actor said, from the per-actor running totals (a handful of rows)."""
        stances: dict[str, int] = {}
        firsts: list[datetime] = []
        lasts: list[datetime] = []
        for row in session.execute(
            select(m.ActorStats).where(m.ActorStats.actor_id == actor_id)
        ).scalars():
            stances[row.stance] = row.statements
            firsts.append(row.first)
            lasts.append(row.last)
        return StanceCounts(
            sum(stances.values()), min(firsts, default=None), max(lasts, default=None), stances
        )

    def _count_live(self, session: Session, conditions: Sequence[Any]) -> StanceCounts:
        """Counts per stance over the statements that meet ``conditions``, in one pass (one
        filtered count per stance: no sorting into groups)."""
        per_stance = [func.count().filter(m.Statement.stance == s.value) for s in Stance]
        row = session.execute(
            select(
                func.count(),
                func.min(m.Statement.published),
                func.max(m.Statement.published),
                *per_stance,
            ).where(*conditions)
        ).one()
        total, first, last, *counted = row
        stances = {s.value: n for s, n in sorted(zip(Stance, counted, strict=True)) if n}
        return StanceCounts(
            total, _aware(first) if first else None, _aware(last) if last else None, stances
        )

    def _stance_plan(
        self, session: Session, actor_id: str, match: Any, limit: int
    ) -> StancePlan | None:
        """The cheaper way to each /stance query, from three cheap numbers: the articles that
        match the topic (one full-text lookup), all articles, and the actor's statements (the
        running totals). ``None`` when no article matches."""
        matching = session.scalar(select(func.count()).select_from(match.subquery())) or 0
        if not matching:
            return None
        articles = session.scalar(select(func.max(m.Article.id))) or matching
        said = (
            session.scalar(
                select(func.sum(m.ActorStats.statements)).where(m.ActorStats.actor_id == actor_id)
            )
            or 0
        )
        return choose_stance_plan(said=said, matching=matching, articles=articles, limit=limit)

    def _topic_condition(self, match: Any, drive: str) -> list[ColumnElement[bool]]:
        """The topic filter on statements. Driven from the actor ("actor"), the article id is
        wrapped so SQLite cannot look it up by article and walks the actor's newest-first
        index instead; driven from the articles, the database probes each matching article.
        PostgreSQL's planner weighs this itself."""
        if match is None:
            return []
        column: Any = m.Statement.article_id
        if drive == "actor" and self.dialect == "sqlite":
            column = column + 0
        return [column.in_(match)]

    def _topic_match(self, topics: Sequence[str]) -> Any:
        """A sub-select of article ids whose title or text matches any of ``topics``
        (each topic's words all present), or ``None`` when no topic has a searchable word."""
        phrases = [words for words in (_words(t) for t in topics) if words]
        if not phrases:
            return None
        if self.dialect == "sqlite":
            expr = " OR ".join("(" + " ".join(f'"{w}"' for w in words) + ")" for words in phrases)
            return (
                select(text("rowid"))
                .select_from(text("article_fts"))
                .where(text("article_fts MATCH :fts").bindparams(fts=expr))
            )
        if self.dialect == "postgresql":
            clauses = [
                text(f"search @@ plainto_tsquery('english', :topic{i})").bindparams(
                    **{f"topic{i}": " ".join(words)}
                )
                for i, words in enumerate(phrases)
            ]
            return select(m.Article.id).where(or_(*clauses))
        # Any other database: a plain substring match on the title and text.
        likes = [
            m.Article.text.ilike(f"%{' '.join(words)}%")
            | m.Article.title.ilike(f"%{' '.join(words)}%")
            for words in phrases
        ]
        return select(m.Article.id).where(or_(*likes))

    # ------------------------------------------------------------- channels

    def channel(self, ref: ChannelRef) -> m.Channel | None:
        with self.sessions() as session:
            return self._channel(session, ref)

    def _channel(self, session: Session, ref: ChannelRef) -> m.Channel | None:
        return session.scalar(
            select(m.Channel).where(
                m.Channel.platform == ref.platform,
                m.Channel.workspace == ref.workspace,
                m.Channel.channel == ref.channel,
            )
        )

    def _ensure_channel(self, session: Session, ref: ChannelRef, now: datetime) -> m.Channel:
        channel = self._channel(session, ref)
        if channel is None:
            channel = m.Channel(
                platform=ref.platform,
                workspace=ref.workspace,
                channel=ref.channel,
                topics=[],
                schedule=None,
                timezone="UTC",
                created=now,
            )
            try:
                with session.begin_nested():
                    session.add(channel)
            except IntegrityError:  # created by a concurrent transaction just now
                found = self._channel(session, ref)
                assert found is not None
                return found
        return channel

    def ensure_channel(self, ref: ChannelRef, now: datetime) -> None:
        with self.transaction() as session:
            self._ensure_channel(session, ref, now)

    def channels(self) -> list[tuple[ChannelRef, m.Channel]]:
        with self.sessions() as session:
            return [
                (ChannelRef(c.platform, c.workspace, c.channel), c)
                for c in session.scalars(select(m.Channel).order_by(m.Channel.id))
            ]

    def set_schedule(self, ref: ChannelRef, cron: str | None, timezone: str, now: datetime) -> None:
        with self.transaction() as session:
            channel = self._ensure_channel(session, ref, now)
            if (cron, timezone) != (channel.schedule, channel.timezone):
                channel.schedule_since = now
            channel.schedule = cron
            channel.timezone = timezone

    def set_topics(self, ref: ChannelRef, topics: Sequence[str], now: datetime) -> None:
        with self.transaction() as session:
            channel = self._ensure_channel(session, ref, now)
            channel.topics = list(topics)

    def subscribe_feed(
        self, ref: ChannelRef, url: str, now: datetime, *, reenable: bool = False
    ) -> m.Feed:
        """Add the feed (when new) and subscribe the channel to it; ``reenable`` gives a
        disabled feed a fresh start (a manager adding it again)."""
        feed = self.add_feed(url, now, reenable=reenable)
        with self.transaction() as session:
            channel = self._ensure_channel(session, ref, now)
            if session.get(m.ChannelFeed, (channel.id, feed.id)) is None:
                session.add(m.ChannelFeed(channel_id=channel.id, feed_id=feed.id))
        return feed

    def unsubscribe_feed(self, ref: ChannelRef, url: str) -> bool:
        with self.transaction() as session:
            channel = self._channel(session, ref)
            feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
            if channel is None or feed is None:
                return False
            result = session.execute(
                delete(m.ChannelFeed).where(
                    m.ChannelFeed.channel_id == channel.id, m.ChannelFeed.feed_id == feed.id
                )
            )
            return bool(getattr(result, "rowcount", 0))

    def channel_feeds(self, ref: ChannelRef) -> list[m.Feed]:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return []
            return list(
                session.scalars(
                    select(m.Feed)
                    .join(m.ChannelFeed, m.ChannelFeed.feed_id == m.Feed.id)
                    .where(m.ChannelFeed.channel_id == channel.id)
                    .order_by(m.Feed.id)
                )
            )

    # ------------------------------------------------------- briefings, deliveries

    def last_delivery(self, ref: ChannelRef) -> m.Delivery | None:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return None
            return session.scalar(
                select(m.Delivery)
                .where(m.Delivery.channel_id == channel.id)
                .order_by(m.Delivery.last_article_id.desc(), m.Delivery.id.desc())
                .limit(1)
            )

    def delivery_count(self, ref: ChannelRef) -> int:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return 0
            return (
                session.scalar(
                    select(func.count())
                    .select_from(m.Delivery)
                    .where(m.Delivery.channel_id == channel.id)
                )
                or 0
            )

    def new_statements(
        self, session: Session, ref: ChannelRef, *, max_articles: int = 50
    ) -> tuple[list[StoredStatement], int]:
        """Statements of the articles the channel has not had yet (its feeds, its topics),
        oldest article first, and the highest article id seen (the next high-water mark)."""
        channel = self._channel(session, ref)
        after = 0
        topics: list[str] = []
        feed_ids: list[int] = []
        if channel is not None:
            topics = list(channel.topics or [])
            after = (
                session.scalar(
                    select(func.max(m.Delivery.last_article_id)).where(
                        m.Delivery.channel_id == channel.id
                    )
                )
                or 0
            )
            feed_ids = list(
                session.scalars(
                    select(m.ChannelFeed.feed_id).where(m.ChannelFeed.channel_id == channel.id)
                )
            )
        newest = session.scalar(select(func.max(m.Article.id))) or 0
        query = select(m.Article.id).where(m.Article.id > after, m.Article.id <= newest)
        if feed_ids:
            query = query.where(m.Article.feed_id.in_(feed_ids))
        if topics:
            match = self._topic_match(topics)
            if match is not None:
                query = query.where(m.Article.id.in_(match))
        # The newest articles when there are many; shown oldest first.
        article_ids = sorted(
            session.scalars(query.order_by(m.Article.id.desc()).limit(max_articles))
        )
        if not article_ids:
            return [], max(after, newest)
        rows = session.execute(
            select(m.Statement, m.Article.title, m.Article.url, m.Article.outlet, m.Actor.name)
            .join(m.Article, m.Statement.article_id == m.Article.id)
            .outerjoin(m.Actor, m.Statement.actor_id == m.Actor.id)
            .where(m.Statement.article_id.in_(article_ids))
            .order_by(m.Statement.article_id, m.Statement.position)
        )
        found = [
            StoredStatement(
                _statement(stmt, actor_name), stmt.article_id, title, url, outlet, stmt.published
            )
            for stmt, title, url, outlet, actor_name in rows
        ]
        return found, max(after, newest)

    def claim_slot(self, session: Session, ref: ChannelRef, slot: datetime, now: datetime) -> bool:
        """Insert the delivery row of ``slot`` inside the caller's open transaction. False when
        another run has it already (the unique constraint decides, across processes)."""
        channel = self._ensure_channel(session, ref, now)
        try:
            with session.begin_nested():
                session.add(
                    m.Delivery(
                        channel_id=channel.id,
                        slot=slot,
                        delivered=now,
                        last_article_id=0,
                        stories=0,
                        status="claimed",
                    )
                )
        except IntegrityError:
            return False
        return True

    def finish_delivery(
        self,
        session: Session,
        ref: ChannelRef,
        slot: datetime,
        *,
        last_article_id: int,
        stories: int,
        status: str,
        now: datetime,
    ) -> None:
        channel = self._channel(session, ref)
        if channel is None:
            return
        session.execute(
            update(m.Delivery)
            .where(m.Delivery.channel_id == channel.id, m.Delivery.slot == slot)
            .values(last_article_id=last_article_id, stories=stories, status=status, delivered=now)
        )

    def delivered_slot(self, ref: ChannelRef, slot: datetime) -> bool:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return False
            found = session.scalar(
                select(m.Delivery.id).where(
                    m.Delivery.channel_id == channel.id, m.Delivery.slot == slot
                )
            )
            return found is not None

    def latest_slot(self, ref: ChannelRef) -> datetime | None:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return None
            return session.scalar(
                select(func.max(m.Delivery.slot)).where(m.Delivery.channel_id == channel.id)
            )


def _stats_upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT adding to the running totals of (actor, stance)."""
    stats = m.ActorStats
    insert: Any
    earliest: Any
    latest: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        earliest, latest = func.least, func.greatest
    else:
        from sqlalchemy.dialects.sqlite import insert

        earliest, latest = func.min, func.max  # SQLite's two-argument min and max
    upsert = insert(stats)
    return upsert.on_conflict_do_update(
        index_elements=["actor_id", "stance"],
        set_={
            "statements": stats.statements + upsert.excluded.statements,
            "first": earliest(stats.first, upsert.excluded.first),
            "last": latest(stats.last, upsert.excluded.last),
        },
    )


def _words(topic: str) -> list[str]:
    return re.findall(r"\w+", topic.casefold())


def _aware(value: Any) -> datetime:
    return m.UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type,return-value]


def _actor(row: m.Actor) -> Actor:
    return Actor(row.id, row.name, "", row.kind)


# Statement fields kept in columns; ``data`` holds the rest.
_IN_COLUMNS = ("content", "actor", "kind", "stance")


def _statement_row(
    article_id: int, position: int, statement: Statement, published: datetime
) -> m.Statement:
    data = {k: v for k, v in statement.to_dict().items() if k not in _IN_COLUMNS}
    data["content"] = {"start": statement.content.start, "end": statement.content.end}
    actor = statement.actor
    return m.Statement(
        article_id=article_id,
        position=position,
        actor_id=actor.id if actor else None,
        actor_evidence=(actor.evidence if actor else "")[:500],
        speaker_name=statement.speaker_name[:300],
        speaker_norm=normalise_name(statement.speaker_name)[:300],
        role=statement.role[:300] if statement.role else None,
        kind=statement.kind.value,
        stance=statement.stance.value,
        text=statement.content.text,
        content_start=statement.content.start,
        content_end=statement.content.end,
        speaker_text=statement.speaker.text[:500],
        speaker_start=statement.speaker.start,
        speaker_end=statement.speaker.end,
        cue_text=statement.cue.text[:500] if statement.cue else None,
        cue_start=statement.cue.start if statement.cue else None,
        cue_end=statement.cue.end if statement.cue else None,
        published=published,
        data=data,
    )


def _statement(row: m.Statement, actor_name: str | None) -> Statement:
    """The engine's Statement back from a row (its columns and the rest in ``data``)."""
    data: dict[str, Any] = dict(row.data)
    data["content"] = {"start": row.content_start, "end": row.content_end, "text": row.text}
    data["kind"] = row.kind
    data["stance"] = row.stance
    data["actor"] = (
        {"id": row.actor_id, "name": actor_name or row.actor_id, "evidence": row.actor_evidence}
        if row.actor_id
        else None
    )
    return Statement.from_dict(data)
