"""Opening the database: the engine (SQLite in WAL mode, or PostgreSQL through psycopg 3)
and applying the Alembic migrations at start."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigurationError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
# Execution option naming how a SQLite transaction begins ("IMMEDIATE" for writers).
SQLITE_BEGIN = "newsbrief_sqlite_begin"


def normalise_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a generous busy timeout."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not the parser's message: it repeats the URL, password and all.
        raise ConfigurationError(
            "NEWSBRIEF_DATABASE_URL is not a database URL (e.g. postgresql://user@host/db)"
        ) from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot create the data directory {folder}: {exc.strerror or exc}"
                ) from None
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ModuleNotFoundError, NoSuchModuleError):
        raise ConfigurationError(
            f"unsupported database {parsed.drivername!r} in NEWSBRIEF_DATABASE_URL "
            "(use sqlite:/// or postgresql://)"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling delays BEGIN and breaks SAVEPOINT; we emit BEGIN
    # ourselves (see _sqlite_begin), the recipe SQLAlchemy's SQLite documentation gives.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN, or BEGIN IMMEDIATE for sessions that will write after reading (the write lock is
    taken up front, so a concurrent writer makes us wait instead of failing the upgrade)."""
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


_REVISION = re.compile(r"""^(down_revision|revision)\s*=\s*["']([^"']+)["']""", re.M)


def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files' text (importing
    alembic and the scripts costs a noticeable part of a command's start)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (PACKAGE_DIR / "migrations" / "versions").glob("*.py"):
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if key == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _current_revision(engine: Engine) -> str | None:
    """The database's revision, or None (a new database: no alembic_version table)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config() -> Config:
    """The Alembic configuration that lives inside the package."""
    from alembic.config import Config

    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    return config


# The advisory lock key that serialises migrations on PostgreSQL ("newsbrief" in ASCII).
MIGRATION_LOCK = 0x6E657773627269


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe to call at every start).

    On PostgreSQL, processes starting together take turns (a transaction-level advisory
    lock): the first migrates, the others wait and then find nothing to do. Without it two
    first starts on an empty database race to create the same tables."""
    try:
        if _current_revision(engine) == head_revision():
            return  # nothing to do: alembic is not even imported (a faster start)
        from alembic import command

        config = alembic_config()
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
            + " ".join(str(exc.orig).split())
        ) from None


def open_database(url: str) -> tuple[Engine, sessionmaker[Session]]:
    """The migrated engine and a session factory for it."""
    engine = make_engine(url)
    migrate(engine)
    log.debug("database ready: %s", engine.url.render_as_string(hide_password=True))
    return engine, sessionmaker(engine, expire_on_commit=False)
