"""Tortoise's SQLite client, shared honestly by several processes on one file.

- Every transaction takes the write lock when it begins (`BEGIN IMMEDIATE`), waiting up to
  the busy timeout for it. A deferred transaction reads first and asks for the lock at its
  first write, and in WAL mode it is refused at once ("database is locked", no waiting)
  when another process wrote since its read: the read it decided on is stale. Taking the
  lock first also serialises a write with a re-gridding in another process
  (resolvers.write.region_locks).
- A lock not had within the busy timeout is `DatabaseBusy`: SERVICE_UNAVAILABLE with
  Retry-After (resolvers.runtime.unavailable knows DBConnectionError), never an internal error.
- A database file deleted or replaced under the process (its inode changed) is
  `DatabaseReplaced` from then on: the connection would go on writing into the old,
  unlinked file, and every write acknowledged would be in no database anyone can open.

Selected by settings.tortoise_config for sqlite:// URLs."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from tortoise.backends.sqlite import client as sqlite
from tortoise.exceptions import DBConnectionError, OperationalError, TransactionManagementError

from .geo import SQLITE_FUNCTIONS

# "database is locked" (SQLITE_BUSY) and "database table is locked" (SQLITE_LOCKED)
_BUSY = ("database is locked", "database table is locked", "database is busy")


class DatabaseBusy(DBConnectionError):
    """Another process held the write lock for longer than the busy timeout."""


class DatabaseReplaced(DBConnectionError):
    """The database file this process opened was deleted or replaced."""


def _busy(error: BaseException) -> bool:
    return any(text in str(error) for text in _BUSY)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


class _Honest:
    """Checks the file before each statement and tells a busy database from a bug."""

    _root: HubSqliteClient

    def _check_file(self) -> None:
        root = self._root
        if root.opened is not None and _identity(root.filename) != root.opened:
            raise DatabaseReplaced(f"the database file {root.filename} was replaced or deleted under this process")

    async def _honestly(self, method: str, *args: Any) -> Any:
        self._check_file()
        try:
            return await getattr(super(), method)(*args)
        except (OperationalError, TransactionManagementError) as e:
            if _busy(e):
                raise DatabaseBusy(f"the database is busy: {e}") from e
            raise

    async def execute_insert(self, query: str, values: list) -> int:
        return await self._honestly("execute_insert", query, values)

    async def execute_many(self, query: str, values: list[list]) -> None:
        return await self._honestly("execute_many", query, values)

    async def execute_query(self, query: str, values: list | None = None):
        return await self._honestly("execute_query", query, values)

    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        return await self._honestly("execute_query_dict", query, values)

    async def execute_script(self, query: str) -> None:
        return await self._honestly("execute_script", query)


class HubSqliteClient(_Honest, sqlite.SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self.opened: tuple[int, int] | None = None  # (device, inode) of the file when connected

    @property
    def _root(self) -> HubSqliteClient:
        return self

    async def create_connection(self, with_db: bool) -> None:
        fresh = self._connection is None
        await super().create_connection(with_db)
        if fresh:
            self.opened = _identity(self.filename)
            # the exact spatial tests behind the R-tree (models.geo)
            for name, arity, function in SQLITE_FUNCTIONS:
                await self._connection.create_function(name, arity, function, deterministic=True)

    async def close(self) -> None:
        await super().close()
        self.opened = None

    def _in_transaction(self) -> sqlite.TransactionContext:
        return _TransactionContext(_TransactionWrapper(self), self._lock)


class _TransactionWrapper(_Honest, sqlite.SqliteTransactionWrapper):
    @property
    def _root(self) -> HubSqliteClient:
        parent = self._parent
        while not isinstance(parent, HubSqliteClient):
            parent = parent._parent
        return parent

    def _in_transaction(self) -> sqlite.TransactionContext:
        return sqlite.NestedTransactionContext(_TransactionWrapper(self))

    async def begin(self) -> None:
        self._check_file()
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if _busy(e):
                raise DatabaseBusy(f"the database is busy: {e}") from e
            raise TransactionManagementError(e) from e


class _TransactionContext(sqlite.SqliteTransactionContext):
    async def __aenter__(self):
        try:
            return await super().__aenter__()
        except BaseException:
            # tortoise's context keeps the connection's lock when BEGIN fails: every later
            # query of this process would wait for it forever
            if self._trxlock.locked():
                self._trxlock.release()
            with_token = getattr(self, "token", None)
            if with_token is not None:
                sqlite.get_connections().reset(with_token)
            raise


client_class = HubSqliteClient
