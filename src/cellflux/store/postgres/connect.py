"""Connections to the server: the URL's settings, sensible defaults, and errors without secrets.

The URL is handed to libpq as it is, so everything a libpq user expects works:
host, port, user and password in the URL, or from the environment
(``PGHOST``, ``PGUSER``, ``PGPASSWORD``...) and ``~/.pgpass``. Defaults are
added only for settings that neither the URL nor the environment gives: a
connect timeout (a server that does not answer must not hold the writer for
long) and TCP keepalives (a dropped network is noticed in seconds, not hours).

A password must never be shown: the URL is shown masked, and every error
message is cleaned of the password (as written, percent-decoded and
percent-encoded), of ``password=`` settings and of URL credentials before it
leaves this package; psycopg's own messages can quote the connection string.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote, unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ...config import masked
from ..records import StoreError

DEFAULTS: dict[str, tuple[str, Any]] = {
    # setting: (environment variable that sets it too, default)
    "connect_timeout": ("PGCONNECT_TIMEOUT", 5),
    "application_name": ("PGAPPNAME", "cellflux"),
    "keepalives": ("", 1),
    "keepalives_idle": ("", 10),
    "keepalives_interval": ("", 5),
    "keepalives_count": ("", 3),
    "tcp_user_timeout": ("", 20_000),
}
"""Ignored on a Unix socket; over TCP they bound how long a dead peer goes unnoticed."""

_CONNINFO_PASSWORD = re.compile(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


class Server:
    """One server URL: how to connect, how to show it, and what to hide."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.shown = masked(url)
        self._secrets = _secrets_of(url)

    def connect(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        """A new connection (raises a cleaned :class:`StoreError` when it cannot be made)."""
        try:
            return psycopg.connect(self._conninfo(), autocommit=autocommit)
        except Exception as error:
            raise self.error(error) from None

    def _conninfo(self) -> str:
        given = conninfo_to_dict(self._url)
        extra = {k: v for k, (env, v) in DEFAULTS.items() if k not in given and not (env and os.environ.get(env))}
        return make_conninfo(self._url, **extra)

    def user(self) -> str:
        """The role connecting, as libpq will choose it (for messages)."""
        try:
            given = conninfo_to_dict(self._url).get("user")
        except Exception:
            given = None
        return str(given or os.environ.get("PGUSER") or _login())

    def clean(self, text: str) -> str:
        """``text`` without the password in any spelling, nor URL credentials."""
        # Longest first, so that a spelling inside another is not half replaced.
        for secret in sorted(self._secrets | _secrets_of_environment(), key=len, reverse=True):
            text = text.replace(secret, "***")
        text = _CONNINFO_PASSWORD.sub(r"\1***", text)
        return " ".join(masked(word) if "://" in word else word for word in text.split(" "))

    def error(self, error: BaseException, doing: str = "") -> StoreError:
        """A :class:`StoreError` that says what failed, with nothing secret in it."""
        message = " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, psycopg.errors.InsufficientPrivilege):
            message += (f" (the role {self.user()!r} may not write this store: a read-only role can "
                        "watch and read, see the README)")
        prefix = f"{doing} {self.shown}: " if doing else f"{self.shown}: "
        failure = StoreError(self.clean(prefix + message))
        failure.reason = self.clean(message)  # type: ignore[attr-defined]
        failure.connection_lost = _connection_lost(error)  # type: ignore[attr-defined]
        return failure


def _secrets_of(url: str) -> set[str]:
    found: set[str] = set()
    scheme_end = url.find("://")
    at = url.rfind("@")
    if scheme_end >= 0 and at > scheme_end:
        userinfo = url[scheme_end + 3:at]
        if ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
    for match in re.finditer(r"(?i)[?&]password=([^&]*)", url):
        found.add(match.group(1))
    return _spellings(found)


def _secrets_of_environment() -> set[str]:
    password = os.environ.get("PGPASSWORD")
    return _spellings({password}) if password else set()


def _spellings(secrets: set[str]) -> set[str]:
    out: set[str] = set()
    for secret in secrets:
        if secret:
            out |= {secret, unquote(secret), quote(secret, safe=""), quote(unquote(secret), safe="")}
    return out


def _connection_lost(error: BaseException) -> bool:
    return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError, OSError))


def _login() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "?"
