"""The real PostgreSQL server of the tests, and a fresh database per test.

``scripts/test.sh`` starts one server for the whole run (``scripts/pg.sh``)
and exports ``CELLFLUX_TEST_PG``; a ``pytest`` started by hand without it
starts its own through the same script and stops it at the end. Under
``CI=true`` a server that cannot be started fails the tests; elsewhere they
are skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[1]
SECRET_ROLE, SECRET = "cellflux_secret", "s3cret/@:?x"
"""The role scripts/pg.sh makes that logs in with a password only."""


@dataclass
class Server:
    url: str
    """The superuser's URL to the ``postgres`` database (Unix socket, no password)."""
    socket_dir: str
    bindir: str
    started_here: bool

    def database_url(self, name: str, *, user: str = "cellflux", password: str | None = None) -> str:
        auth = user if password is None else f"{user}:{quote(password, safe='')}"
        return f"postgresql://{auth}@/{name}?host={self.socket_dir}"

    def admin(self) -> object:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def pg_ctl(self, action: str, *args: str) -> None:
        """``pg_ctl ACTION`` on the server's data folder, as the user the server runs as.

        The server's output goes to its log file: a server that inherited our
        pipes would keep them open, and the call would never return.
        """
        command = [f"{self.bindir}/pg_ctl", "-D", f"{self.socket_dir}/data", "-w", "-t", "60", action, *args]
        if action in ("start", "restart"):
            command += ["-l", f"{self.socket_dir}/server.log"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=120)
        assert result.returncode == 0, f"pg_ctl {action} failed ({result.returncode}): see {self.socket_dir}/server.log"


def _from_environment() -> Server | None:
    url = os.environ.get("CELLFLUX_TEST_PG")
    if not url:
        return None
    return Server(url, os.environ["CELLFLUX_TEST_PGDIR"], os.environ["CELLFLUX_TEST_PGBIN"], False)


def _start() -> Server:
    out = subprocess.run(["bash", str(REPO / "scripts" / "pg.sh"), "start"], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"scripts/pg.sh start failed: {out.stderr.strip()[-2000:]}")
    found = dict(re.findall(r"export (\w+)='([^']*)'", out.stdout))
    return Server(found["CELLFLUX_TEST_PG"], found["CELLFLUX_TEST_PGDIR"], found["CELLFLUX_TEST_PGBIN"], True)


def server_session() -> Iterator[Server]:
    """The session's server (the fixture ``pg_server`` in tests/conftest.py)."""
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        _unavailable(f"psycopg is not installed ({error}); pip install -e '.[test]'")
    server = _from_environment()
    if server is None:
        try:
            server = _start()
        except Exception as error:
            _unavailable(str(error))
        os.environ.update(CELLFLUX_TEST_PG=server.url, CELLFLUX_TEST_PGDIR=server.socket_dir,
                          CELLFLUX_TEST_PGBIN=server.bindir)
    try:
        yield server
    finally:
        if server.started_here:
            subprocess.run(["bash", str(REPO / "scripts" / "pg.sh"), "stop", server.socket_dir],
                           capture_output=True, timeout=120)
            for name in ("CELLFLUX_TEST_PG", "CELLFLUX_TEST_PGDIR", "CELLFLUX_TEST_PGBIN"):
                os.environ.pop(name, None)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL server: {reason}")


_numbers = itertools.count(1)


def fresh_database(server: Server) -> Iterator[str]:
    """A new empty database for one test; its URL (superuser, socket). Dropped afterwards."""
    name = f"cellflux_test_{os.getpid()}_{next(_numbers)}"
    admin = server.admin()
    try:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")  # type: ignore[attr-defined]
    finally:
        admin.close()  # type: ignore[attr-defined]
    try:
        yield server.database_url(name)
    finally:
        admin = server.admin()
        try:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[attr-defined]
        finally:
            admin.close()  # type: ignore[attr-defined]


def with_user(url: str, user: str, password: str | None = None) -> str:
    """``url`` (as ``fresh_database`` makes them) for another role, with a password if given."""
    auth = user if password is None else f"{user}:{quote(password, safe='')}"
    return re.sub(r"^postgresql://[^@]*@", f"postgresql://{auth}@", url)


def database_of(url: str) -> str:
    found = re.match(r"^postgresql://[^/]*/([^?]+)", url)
    assert found is not None, url
    return found.group(1)
