"""Opening the database: WAL on SQLite, clear one-line errors that never show a password."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.errors import ConfigurationError
from bot.store.db import normalise_url, open_database
from tests.bot.store import pg


def test_sqlite_is_created_in_its_folder_in_wal_mode(tmp_path: Path) -> None:
    engine, _ = open_database(f"sqlite:///{tmp_path}/deep/er/newsbrief.db")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
    assert (tmp_path / "deep" / "er" / "newsbrief.db").exists()


def test_postgres_urls_use_psycopg_3() -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url at all s3cret", "not a database URL"),
        ("mysqlx://user:s3cret@db.example/news", "unsupported database"),
        ("postgresql://user:s3cret@127.0.0.1:1/news", "cannot open the database"),
    ],
)
def test_bad_databases_are_one_line_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_database(url)
    message = str(caught.value)
    assert says in message
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.postgres
def test_two_first_starts_on_an_empty_postgresql_database_never_crash() -> None:
    """Acceptance: two processes starting at once on an empty database, ten times. Each
    start is its own engine and connection, as in two processes; the advisory lock makes
    one migrate while the other waits."""
    try:
        base = pg.server_url()
    except pg.Unavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    for _ in range(10):
        with pg.fresh_database(base) as url:
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def start(
                url: str = url,
                barrier: threading.Barrier = barrier,
                errors: list[BaseException] = errors,
            ) -> None:
                barrier.wait()
                try:
                    engine, _ = open_database(url)
                    engine.dispose()
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=start) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)  # without the lock the two can also wait on each other
            assert not any(thread.is_alive() for thread in threads)
            assert errors == []


def test_the_head_revision_read_from_the_files_is_alembics() -> None:
    """The fast start compares the database with this; it must be what alembic would say."""
    from alembic.script import ScriptDirectory

    from bot.store.db import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
