"""A real PostgreSQL server for the storage tests.

``NEWSBRIEF_TEST_POSTGRES_URL`` wins when set. Otherwise, when PostgreSQL's server binaries
are installed (Debian: /usr/lib/postgresql/*/bin), a throwaway cluster is initialised in a
temporary directory and started on a free loopback port, once per test process (each
pytest-xdist worker has its own); as root the server runs as the ``postgres`` system user.
Each test gets a fresh database in it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ENV = "NEWSBRIEF_TEST_POSTGRES_URL"


class Unavailable(Exception):
    """Why no server could be had (shown as the skip reason)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin_dir() -> str:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        path = shutil.which("initdb")
        if path is None:
            raise Unavailable("no PostgreSQL server binaries (initdb) and no " + ENV)
        return str(Path(path).parent)
    return str(found[-1].parent)


def _as_user(args: list[str], user: str | None) -> list[str]:
    if user is None:
        return args
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser:
        return [runuser, "-u", user, "--", *args]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(args)]


@cache
def _server() -> tuple[str | None, str]:
    """(URL, "") of the server, or (None, why not); computed once per session."""
    try:
        return _start_server(), ""
    except Unavailable as exc:
        return None, str(exc)


def server_url() -> str:
    """The URL of a server to create test databases in; raises ``Unavailable``."""
    url, why = _server()
    if url is None:
        raise Unavailable(why)
    return url


def _start_server() -> str:
    external = os.environ.get(ENV)
    if external:
        return external
    bindir = _bin_dir()
    user: str | None = None
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no 'postgres' user") from None
        user = "postgres"
    root = tempfile.mkdtemp(prefix="newsbrief-pg-")
    if user is not None:
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data = str(Path(root) / "data")
    run = {"capture_output": True, "text": True, "timeout": 120, "check": False}
    init = subprocess.run(
        _as_user(
            [f"{bindir}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            user,
        ),
        **run,  # type: ignore[call-overload]
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    for _attempt in range(3):  # a parallel test process may take the free port first
        port = _free_port()
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -F -c max_connections=100"
        start = subprocess.run(
            _as_user(
                [f"{bindir}/pg_ctl", "-D", data, "-l", f"{root}/log", "-o", options, "-w", "start"],
                user,
            ),
            **run,  # type: ignore[call-overload]
        )
        if start.returncode == 0:
            break
    if start.returncode != 0:
        log = ""
        with contextlib.suppress(OSError), open(f"{root}/log") as handle:
            log = handle.read()[-500:]
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"could not start PostgreSQL: {start.stderr.strip()[-300:]} {log}")

    def stop() -> None:
        subprocess.run(
            _as_user([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], user),
            **run,  # type: ignore[call-overload]
        )
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


@contextlib.contextmanager
def fresh_database(base: str) -> Iterator[str]:
    """A new empty database on the server of ``base``, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = "newsbrief_test_" + uuid.uuid4().hex[:12]
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A migrated-from-nothing database URL, on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/newsbrief.db"
        return
    try:
        base = server_url()
    except Unavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    with fresh_database(base) as url:
        yield url
