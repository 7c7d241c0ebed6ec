"""Telling the database being away from a bug: while PostgreSQL restarts, every request
fails, and callers should hear `SERVICE_UNAVAILABLE` (HTTP 503, retry shortly), not an
internal error. The connection pool opens new connections by itself once the server is
back, so nothing here needs restarting."""

from __future__ import annotations

from tortoise.exceptions import DBConnectionError

RETRY_AFTER_SECONDS = 2

try:  # asyncpg is installed with tortoise-orm[asyncpg]; SQLite deployments may lack it
    import asyncpg.exceptions as pg

    _PG_AWAY: tuple[type[BaseException], ...] = (
        pg.PostgresConnectionError,  # SQLSTATE class 08, ConnectionDoesNotExistError among them
        pg.CannotConnectNowError,  # 57P03: starting up or shutting down
        pg.AdminShutdownError,  # 57P01: terminated by a restart
        pg.CrashShutdownError,  # 57P02
        pg.InterfaceError,  # "connection is closed" on a connection the server dropped
        # "cannot switch to state …; another operation is in progress": a pooled connection
        # that a restart broke in the middle of a statement (issue 17)
        pg.InternalClientError,
    )
    # a schema changed under the statement cache: a bug to look at, not an outage
    _PG_NOT_AWAY: tuple[type[BaseException], ...] = (pg.OutdatedSchemaCacheError,)
except ImportError:  # pragma: no cover
    _PG_AWAY, _PG_NOT_AWAY = (), ()

# Tortoise wraps a refused first connection in DBConnectionError; a dropped one surfaces
# as asyncpg's, and a refused new one in a running pool as the socket's own
# ConnectionRefusedError, raised inside asyncpg. A ConnectionError from anywhere else is
# not the database's, and stays a bug to look at.
_AWAY = (DBConnectionError, *_PG_AWAY)
_DRIVERS = ("asyncpg", "tortoise.backends", "aiosqlite")

# What SQLite says when its file or connection is gone (a disk, a file replaced or
# removed, a connection closed under a request): sqlite3's errors, and aiosqlite's own
# ValueError for a connection closed before or during the statement.
_SQLITE_AWAY = ("unable to open database file", "disk i/o error", "cannot operate on a closed database",
                "no active connection", "connection closed", "database disk image is malformed")


def _raised_in_driver(error: BaseException) -> bool:
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(_DRIVERS):
            return True
        tb = tb.tb_next
    return False


def _sqlite_away(error: BaseException) -> bool:
    import sqlite3

    return isinstance(error, (sqlite3.OperationalError, sqlite3.ProgrammingError, sqlite3.DatabaseError,
                              ValueError)) and _raised_in_driver(error) and \
        str(error).lower().startswith(_SQLITE_AWAY)


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or anything it was raised from, says the database is unreachable."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, _PG_NOT_AWAY):
            return False
        if isinstance(error, _AWAY) or _sqlite_away(error) or (
                isinstance(error, (ConnectionError, TimeoutError, OSError)) and _raised_in_driver(error)):
            return True
        seen.add(id(error))
        # a GraphQLError carries what the resolver raised as `original_error`
        error = getattr(error, "original_error", None) or error.__cause__ or error.__context__
    return False
