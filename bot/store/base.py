"""The one thing every part of the store shares: sessions on one database, and writing
transactions that take SQLite's write lock at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import SQLITE_BEGIN


class Database:
    """Sessions and transactions; the feed, article, statement and channel stores build on it."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        bind = sessions.kw["bind"]
        self.dialect: str = bind.dialect.name

    def begin_writing(self, session: Session) -> None:
        """Make ``session``'s transaction a writer's from its first statement (on SQLite it
        waits for the write lock here, so what it reads next is what it writes over)."""
        if self.dialect == "sqlite":
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a writing transaction, committed at the end, rolled back on error."""
        with self.sessions() as session:
            self.begin_writing(session)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
