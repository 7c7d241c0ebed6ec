"""The database's set-up: Tortoise initialised on the settings' URL after the migrations,
and an empty database made again for `gridhub demo --reset` and `bench/generate --reset`."""

from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api.migrate import migrate as run_migrations

from gridhub.models.serving import unserved
from gridhub.settings import Settings, tortoise_config


async def init_database(settings: Settings, *, migrate: bool = True) -> None:
    config = tortoise_config(settings.database_url)
    if migrate:
        await run_migrations(config=config)
        await Tortoise.close_connections()
    # Tortoise keeps connections in a ContextVar; the global fallback lets request tasks
    # (started outside the lifespan's context) see them.
    await Tortoise.init(config=config, _enable_global_fallback=True)


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


def remove_sqlite_file(database_url: str) -> None:
    path = expand_db_url(database_url)["credentials"]["file_path"]
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


async def reset_database(settings: Settings) -> None:
    """An empty, migrated database, for `gridhub demo --reset` and `bench/generate --reset`.
    Rows are not deleted one by one: the audit trail refuses that (its append-only row
    triggers), as it should. SQLite: the file goes and is made again. PostgreSQL: every
    table is truncated, as an operator's retention would (row triggers do not fire).
    Refused (DatabaseServed) while a server holds the database (models.serving)."""
    async with unserved(settings.database_url):
        if not is_postgres(settings.database_url):
            await Tortoise.close_connections()
            remove_sqlite_file(settings.database_url)
            await init_database(settings)
            return
        tables = ", ".join(m._meta.db_table for m in Tortoise.apps["gridhub"].values())
        await connections.get("default").execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
