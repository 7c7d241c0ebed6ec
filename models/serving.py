"""A running server's claim on its database, so that nothing replaces the database under it.

Each `gridhub serve` holds a shared claim for as long as it runs; `gridhub demo --reset`
and `bench/generate --reset` (models.database.reset_database) need the claim exclusively and refuse
while any server holds it. The operating system drops a claim when its process ends, even
by `kill -9`, so a crashed server never leaves the database locked.

- SQLite: `flock` on a file beside the database (`<file>-serving`), never on the database
  file itself, whose POSIX locks are SQLite's own.
- PostgreSQL: an advisory lock (per database) on a connection of its own, shared by servers
  and exclusive for a reset. A restart of PostgreSQL ends that connection and with it the
  claim: the server takes it again as soon as PostgreSQL is back (`ServingClaim.keep`), and
  until then it is not serving (`/healthz` 503, every request SERVICE_UNAVAILABLE). Each
  reset leaves a mark on the database (its comment, which TRUNCATE leaves alone), so a
  reset that slipped in while the claim was lost is told when it is taken again: the
  database was replaced, as a SQLite file can be, and the server stays unavailable."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import uuid
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

ADVISORY_KEY = 0x6772_6964_6875_62  # "gridhub": one key for the database being served
KEEP_INTERVAL = 1.0  # seconds between checks of a PostgreSQL claim
RETAKE_INTERVAL = 0.2  # and between attempts to take a lost one again: requests wait on it
_MARK = "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"


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
    """Held by a serving process: `await ServingClaim.take(url)`, `claim.keep()` in a task
    of its own while serving, then `await claim.release()`."""

    def __init__(self, fd: int | None = None, connection: Any = None, database_url: str = "", mark: Any = None):
        self.fd, self.connection = fd, connection
        self.database_url, self.mark = database_url, mark
        self.replaced = False  # a reset ran while the claim was lost: for good
        self._ended = asyncio.Event()  # the claim's connection ended: check at once
        if connection is not None:
            connection.add_termination_listener(lambda _: self._ended.set())

    @classmethod
    async def take(cls, database_url: str) -> ServingClaim:
        """Waits while a reset holds the database exclusively, then claims it alongside other servers."""
        if _is_postgres(database_url):
            connection = await _pg_connection(database_url)
            await connection.execute("SELECT pg_advisory_lock_shared($1)", ADVISORY_KEY)
            return cls(connection=connection, database_url=database_url, mark=await connection.fetchval(_MARK))
        fd = _lock_file(database_url)
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_SH)
        return cls(fd=fd)

    @property
    def problem(self) -> str | None:
        """Why this server does not hold its database now, or None (SQLite: the flock lasts
        as long as the process; a replaced file is the engine's to tell)."""
        if self.replaced:
            return "DatabaseReplaced"
        if self.database_url and (self.connection is None or self.connection.is_closed()):
            return "ServingClaimLost"
        return None

    async def keep(self, interval: float = KEEP_INTERVAL) -> None:
        """Round after round: a PostgreSQL claim whose connection is gone (a restart) is
        taken again once PostgreSQL answers and no reset holds the database."""
        if not self.database_url:
            return
        while not self.replaced:
            self._ended.clear()
            if self.connection is not None and (self.connection.is_closed() or not await self._alive()):
                await self._drop()
            if self.connection is None:
                with contextlib.suppress(Exception):  # PostgreSQL not back yet: next round
                    await self._retake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ended.wait(), RETAKE_INTERVAL if self.connection is None else interval)

    async def _alive(self) -> bool:
        try:
            await asyncio.wait_for(self.connection.fetchval("SELECT 1"), 2)
            return True
        except Exception:
            return False

    async def _drop(self) -> None:
        connection, self.connection = self.connection, None
        with contextlib.suppress(Exception):
            await connection.close(timeout=1)

    async def _retake(self) -> None:
        connection = await asyncio.wait_for(_pg_connection(self.database_url), 5)
        try:
            # not waiting: a reset holding it now is replacing the database under this server
            if not await connection.fetchval("SELECT pg_try_advisory_lock_shared($1)", ADVISORY_KEY):
                raise DatabaseServed()
            if await connection.fetchval(_MARK) != self.mark:
                self.replaced = True
                raise DatabaseServed()
        except BaseException:
            await connection.close()
            raise
        connection.add_termination_listener(lambda _: self._ended.set())
        self.connection = connection

    async def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None
        if self.connection is not None:
            with contextlib.suppress(Exception):  # a connection already gone has dropped its lock
                await self.connection.close()
            self.connection = None
        self.database_url = ""  # released, not lost


@contextlib.asynccontextmanager
async def unserved(database_url: str):
    """The database exclusively, for replacing it; DatabaseServed while a server holds it."""
    if _is_postgres(database_url):
        connection = await _pg_connection(database_url)
        try:
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_KEY):
                raise DatabaseServed()
            # the mark a server compares when it takes its claim again (ServingClaim.keep)
            name = await connection.fetchval("SELECT quote_ident(current_database())")
            with contextlib.suppress(Exception):  # not the database's owner: the reset still goes ahead
                await connection.execute(f"COMMENT ON DATABASE {name} IS 'gridhub: reset {uuid.uuid4().hex}'")
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
