"""Statements and what they say about each actor: the rows written with an article, the
names they teach (aliases), the running totals per actor and stance, and the /stance query
(driven from the actor or from the matching articles, whichever is cheaper)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, bindparam, delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import models as m
from bot.store.base import Database
from bot.store.records import (
    LEAD_CHARS,
    AliasEntry,
    StanceCounts,
    StoredStatement,
    normalise_name,
)
from briefings.models import Actor, Stance, Statement

# Statements run for every article ingested are built once, their values bound at each call:
# building one makes SQLAlchemy clone its IN parameter, and each clone is a reference cycle
# (BindParameter._cloned_set holds the parameter itself) that only the cyclic garbage
# collector frees, a collection that holds every thread, the bot's event loop included.
_ALIASES = (
    select(m.Alias, m.Actor).join(m.Actor, m.Alias.actor_id == m.Actor.id).order_by(m.Alias.id)
)
_ALIASES_FROM = _ALIASES.where(m.Alias.source.in_(bindparam("sources", expanding=True)))

# A name fit to learn from: capitalised words, with the usual lower-case particles.
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.-]*|von|van|der|de|da|di|del|la|le|bin|al|el)$")


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


def write_statements(
    session: Session,
    dialect: str,
    article_id: int,
    statements: Sequence[Statement],
    published: datetime,
    now: datetime,
) -> None:
    """An article's statements, the running totals they add to and the names they teach,
    inside the caller's transaction (the article's own)."""
    for position, statement in enumerate(statements):
        if statement.actor is not None:
            _ensure_actor(session, statement.actor)
        session.add(_statement_row(article_id, position, statement, published))
    session.flush()
    _count_statements(session, dialect, statements, published)
    _learn_aliases(session, article_id, statements, now)


def _count_statements(
    session: Session, dialect: str, statements: Sequence[Statement], published: datetime
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
    session.execute(_stats_upsert(dialect), rows)


def _ensure_actor(session: Session, actor: Actor) -> None:
    if session.get(m.Actor, actor.id) is None:
        try:
            with session.begin_nested():
                session.add(m.Actor(id=actor.id, name=actor.name, kind=actor.kind))
        except IntegrityError:  # added by a concurrent transaction just now
            pass


def _learn_aliases(
    session: Session, article_id: int, statements: Sequence[Statement], now: datetime
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


def topic_match(dialect: str, topics: Sequence[str]) -> Any:
    """A sub-select of article ids whose title or text matches any of ``topics``
    (each topic's words all present), or ``None`` when no topic has a searchable word."""
    phrases = [words for words in (_words(t) for t in topics) if words]
    if not phrases:
        return None
    if dialect == "sqlite":
        expr = " OR ".join("(" + " ".join(f'"{w}"' for w in words) + ")" for words in phrases)
        return (
            select(text("rowid"))
            .select_from(text("article_fts"))
            .where(text("article_fts MATCH :fts").bindparams(fts=expr))
        )
    if dialect == "postgresql":
        clauses = [
            text(f"search @@ plainto_tsquery('english', :topic{i})").bindparams(
                **{f"topic{i}": " ".join(words)}
            )
            for i, words in enumerate(phrases)
        ]
        return select(m.Article.id).where(or_(*clauses))
    # Any other database: a plain substring match on the title and text.
    likes = [
        m.Article.text.ilike(f"%{' '.join(words)}%") | m.Article.title.ilike(f"%{' '.join(words)}%")
        for words in phrases
    ]
    return select(m.Article.id).where(or_(*likes))


class StatementStore(Database):
    """Reading statements: actors and the names they go by, /stance, the running totals."""

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
        """Every alias with its actor, or those from ``sources`` only (ingestion reads the
        learned and configured ones after each article it stores)."""
        with self.sessions() as session:
            if sources is None:
                rows = session.execute(_ALIASES)
            else:
                rows = session.execute(_ALIASES_FROM, {"sources": list(sources)})
            return [
                AliasEntry(alias.name, _actor(actor), alias.source, alias.speaker_name)
                for alias, actor in rows
            ]

    def full_names(self, names: Iterable[str]) -> list[AliasEntry]:
        """The learned aliases among ``names`` ("Scholz") that stood for a person's fuller
        name ("Olaf Scholz"): a briefing shows a person under the fullest name known."""
        norms = sorted({normalise_name(name) for name in names} - {""})
        found: list[AliasEntry] = []
        with self.sessions() as session:
            for start in range(0, len(norms), 500):  # bounded IN lists on every database
                query = (
                    select(m.Alias, m.Actor)
                    .join(m.Actor, m.Alias.actor_id == m.Actor.id)
                    .where(m.Alias.norm.in_(norms[start : start + 500]), m.Alias.speaker_name != "")
                    .order_by(m.Alias.id)
                )
                found.extend(
                    AliasEntry(alias.name, _actor(actor), alias.source, alias.speaker_name)
                    for alias, actor in session.execute(query)
                )
        return found

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
        speakers: Sequence[str] = (),
        party: str | None = None,
    ) -> tuple[list[StoredStatement], StanceCounts]:
        """The actor's statements newest first, and counts over all that match; only those
        of one person when ``speakers`` names them (any of the names they go by), only
        those of a party's members when ``party`` is its id.

        With a topic, each of the two queries (the newest page, the counts) is driven either
        from the actor's statements or from the matching articles, whichever visits fewer
        rows (``choose_stance_plan``); ``plan`` forces one (tests compare the two)."""
        empty = StanceCounts(0, None, None, {})
        conditions: list[ColumnElement[bool]] = [m.Statement.actor_id == actor_id]
        if speakers:
            norms = sorted({normalise_name(name)[:300] for name in speakers})
            conditions.append(m.Statement.speaker_norm.in_(norms))
        if party is not None:
            conditions.append(m.Statement.data["party"]["id"].as_string() == party)
        if since is not None:
            conditions.append(m.Statement.published >= since)
        match = None
        if topic:
            match = topic_match(self.dialect, [topic])
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
                select(
                    m.Statement,
                    m.Article.title,
                    m.Article.url,
                    m.Article.outlet,
                    m.Actor.name,
                    func.substr(m.Article.text, 1, LEAD_CHARS),
                )
                .join(m.Article, m.Statement.article_id == m.Article.id)
                .outerjoin(m.Actor, m.Statement.actor_id == m.Actor.id)
                .where(m.Statement.id.in_(page.scalar_subquery()))
                .order_by(m.Statement.published.desc(), m.Statement.id.desc())
            )
            rows = [
                StoredStatement(
                    read_statement(stmt, actor_name),
                    stmt.article_id,
                    title,
                    url,
                    outlet,
                    stmt.published,
                    lead or "",
                )
                for stmt, title, url, outlet, actor_name, lead in session.execute(rows_query)
            ]
            if since is None and match is None and not speakers and party is None:
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


@functools.cache
def _stats_upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT adding to the running totals of (actor, stance); built once
    per dialect (its ``excluded`` is a table alias, a nest of reference cycles each time)."""
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


# What ``read_statement`` reads of a statement row, for queries that select columns.
STATEMENT_COLUMNS = (
    m.Statement.article_id,
    m.Statement.published,
    m.Statement.data,
    m.Statement.content_start,
    m.Statement.content_end,
    m.Statement.text,
    m.Statement.kind,
    m.Statement.stance,
    m.Statement.actor_id,
    m.Statement.actor_evidence,
)


def read_statement(row: m.Statement | Row[Any], actor_name: str | None) -> Statement:
    """The engine's Statement back from a row (its columns and the rest in ``data``): an
    ORM row, or a row of ``STATEMENT_COLUMNS``."""
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
