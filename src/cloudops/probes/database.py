"""The database: a real connection and a query (PyMySQL), and the InnoDB/Galera cluster's own view."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cloudops.probes.endpoint import ServiceTarget


@dataclass(frozen=True, slots=True)
class DatabaseTarget(ServiceTarget):
    """A MySQL/MariaDB server."""


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    source: str
    connected: bool
    seconds: float
    version: str | None = None
    query_ok: bool = False
    cluster_members: tuple[tuple[str, str], ...] = ()  # (member, state) from group replication
    error: str | None = None


def load() -> None:
    """The sweep's loader (``Probe.load``)."""
    import pymysql  # noqa: F401


def probe(target: DatabaseTarget) -> DatabaseStatus:
    """Connect, run ``SELECT VERSION()`` and, where present, read the group replication members."""
    import pymysql

    source = f"mysql://{target.user}@{target.address} SELECT VERSION()"
    start = time.monotonic()
    try:
        conn = pymysql.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password or "",
            connect_timeout=target.timeout,
            read_timeout=target.timeout,
            write_timeout=target.timeout,
        )
    except pymysql.MySQLError as exc:
        return DatabaseStatus(source, False, time.monotonic() - start, error=_words(exc))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            row = cur.fetchone()
            version = str(row[0]) if row else None
            members: tuple[tuple[str, str], ...] = ()
            try:
                cur.execute(
                    "SELECT MEMBER_HOST, MEMBER_STATE FROM performance_schema.replication_group_members"
                )
                members = tuple((str(h), str(s)) for h, s in cur.fetchall() if h)
            except pymysql.MySQLError:
                members = ()  # no group replication here (MariaDB, a single server)
        return DatabaseStatus(source, True, time.monotonic() - start, version, True, members)
    except pymysql.MySQLError as exc:
        return DatabaseStatus(source, True, time.monotonic() - start, error=_words(exc))
    finally:
        conn.close()


def _words(exc: Exception) -> str:
    """PyMySQL's own words: ``(2003, "Can't connect to MySQL server on '127.0.0.1' ...")`` → the text."""
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    if len(args) >= 2 and isinstance(args[1], str):
        return f"{args[1]} ({args[0]})"
    return str(exc) or type(exc).__name__
