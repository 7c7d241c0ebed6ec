"""A running server's claim on its database, so that nothing replaces the database under it.

Each `gridhub serve` holds a shared claim for as long as it runs; `gridhub demo --reset`
and `bench/generate --reset` (app.reset_database) need the claim exclusively and refuse
while any server holds it. The operating system drops a claim when its process ends, even
by `kill -9`, so a crashed server never leaves the database locked.

- SQLite: `flock` on a file beside the database (`<file>-serving`), never on the database
  file itself, whose POSIX locks are SQLite's own.
- PostgreSQL: an advisory lock (per database) on a connection of its own, shared by servers
  and exclusive for a reset."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

ADVISORY_KEY = 0x6772_6964_6875_62  # "gridhub": one key for the database being served


class DatabaseServed(RuntimeError):
    """A server holds the database: it cannot be replaced now."""

    def __init__(self) -> None:
        super().__init__("a gridhub server is serving this database: stop it first (nothing was changed)")


def _is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


def _lock_file(database_url: str) -> int:
    path = expand_db_url(database_url)["credentials"]["file_path"] + "-serving"
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


async def _pg_connection(database_url: str) -> Any:
    import asyncpg

    return await asyncpg.connect(database_url.split("?")[0].replace("asyncpg://", "postgresql://", 1))


class ServingClaim:
    """Held by a serving process: `await ServingClaim.take(url)`, then `await claim.release()`."""

    def __init__(self, fd: int | None = None, connection: Any = None):
        self.fd, self.connection = fd, connection

    @classmethod
    async def take(cls, database_url: str) -> ServingClaim:
        """Waits while a reset holds the database exclusively, then claims it alongside other servers."""
        if _is_postgres(database_url):
            connection = await _pg_connection(database_url)
            await connection.execute("SELECT pg_advisory_lock_shared($1)", ADVISORY_KEY)
            return cls(connection=connection)
        fd = _lock_file(database_url)
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_SH)
        return cls(fd=fd)

    async def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None
        if self.connection is not None:
            with contextlib.suppress(Exception):  # a connection already gone has dropped its lock
                await self.connection.close()
            self.connection = None


@contextlib.asynccontextmanager
async def unserved(database_url: str):
    """The database exclusively, for replacing it; DatabaseServed while a server holds it."""
    if _is_postgres(database_url):
        connection = await _pg_connection(database_url)
        try:
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_KEY):
                raise DatabaseServed()
            yield
        finally:
            await connection.close()
        return
    fd = _lock_file(database_url)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseServed() from None
        yield
    finally:
        os.close(fd)
