"""Tortoise's asyncpg client, without a round trip on every release of a pooled connection.

asyncpg's pool resets a connection each time it is released — `SELECT pg_advisory_unlock_all();
CLOSE ALL; UNLISTEN *; RESET ALL;`, one more round trip after every statement Tortoise runs
outside a transaction, three per compiled read (issue 20). The hub's pooled connections keep
no session state to reset: no session advisory locks (the serving claim holds its lock on a
connection of its own, models.serving), no LISTEN, no cursors left open, no SET but SET LOCAL.
An open transaction is still rolled back on release (asyncpg does that apart from the query).

Selected by settings.tortoise_config for postgres:// URLs."""

from __future__ import annotations

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient


class PooledConnection(asyncpg.Connection):
    def get_reset_query(self) -> str:
        return ""


class HubPostgresClient(AsyncpgDBClient):
    connection_class = PooledConnection


client_class = HubPostgresClient
