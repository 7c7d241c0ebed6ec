"""Migrations that make SQLite rebuild a table, without losing what refers to it.

SQLite cannot alter most columns in place: tortoise makes a new table, copies the rows, drops
the old table and renames the new one. With foreign keys on (the connection's default), that
DROP first deletes every row of the old table, so the rows referring to it are deleted too
(ON DELETE CASCADE: a person's tags, memberships, an event's log) or unlinked (SET NULL). The
drop also takes the table's own indexes and triggers with it; the new table has none.

SQLite's documented way (https://sqlite.org/lang_altertable.html#otheralter) is to switch
foreign keys off around the rebuild, and `PRAGMA foreign_keys` does nothing inside a
transaction, while tortoise runs a migration in one. So such a migration tells the executor
it is not atomic, switches foreign keys off, then opens the transaction itself: still all or
nothing, on both dialects. Before committing it checks that every reference still points at
a row (`PRAGMA foreign_key_check`), and it makes again the indexes and triggers the rebuilt
tables had before. PostgreSQL alters in place; there the migration only runs in its own
transaction, as any other.
"""

from tortoise import migrations
from tortoise.transactions import in_transaction

SCHEMA_OF = ("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
             "AND sql IS NOT NULL AND tbl_name IN ({})")


class TableRebuildingMigration(migrations.Migration):
    """A migration some of whose operations rebuild `rebuilt_tables` on SQLite."""

    # the transaction is opened in apply/unapply, once foreign keys are off (see the module)
    atomic = False
    rebuilt_tables: tuple[str, ...] = ()
    # indexes of those tables the migration means to be gone, not to be made again
    dropped_indexes: tuple[str, ...] = ()

    async def apply(self, state, *, dry_run=False, schema_editor=None, collect_sql=False):
        return await self._guarded(super().apply, state, dry_run, schema_editor, collect_sql)

    async def unapply(self, state, *, dry_run=False, schema_editor=None, collect_sql=False):
        return await self._guarded(super().unapply, state, dry_run, schema_editor, collect_sql)

    async def _guarded(self, run, state, dry_run, schema_editor, collect_sql):
        if schema_editor is None or dry_run or collect_sql:
            return await run(state, dry_run=dry_run, schema_editor=schema_editor, collect_sql=collect_sql)
        connection = schema_editor.client
        sqlite = connection.capabilities.dialect == "sqlite"
        if sqlite:
            await connection.execute_script("PRAGMA foreign_keys = OFF")
        try:
            async with in_transaction(connection.connection_name) as transaction:
                schema_editor.client, schema_editor.atomic_migration = transaction, True
                before = await self._schema(transaction) if sqlite else []
                state = await run(state, dry_run=False, schema_editor=schema_editor, collect_sql=False)
                if sqlite:
                    await self._make_again(transaction, before)
                    broken = await transaction.execute_query_dict("PRAGMA foreign_key_check")
                    if broken:
                        raise RuntimeError(f"{self.name} would leave references to missing rows: {broken[:5]}")
        finally:
            schema_editor.client, schema_editor.atomic_migration = connection, False
            if sqlite:
                await connection.execute_script("PRAGMA foreign_keys = ON")
        return state

    async def _schema(self, client) -> list[dict]:
        if not self.rebuilt_tables:
            return []
        names = ", ".join(f"'{table}'" for table in self.rebuilt_tables)
        rows = await client.execute_query_dict(SCHEMA_OF.format(names))
        for row in rows:
            row["columns"] = ({c["name"] for c in await client.execute_query_dict(f'PRAGMA index_info("{row["name"]}")')}
                              if row["type"] == "index" else set())
        return rows

    async def _make_again(self, client, before: list[dict]) -> None:
        """The indexes and triggers a rebuild dropped, on columns the table still has."""
        still = {row["name"] for row in await self._schema(client)}
        for row in before:
            if row["name"] in still or row["name"] in self.dropped_indexes:
                continue
            columns = {c["name"] for c in await client.execute_query_dict(f'PRAGMA table_info("{row["tbl_name"]}")')}
            if row["columns"] <= columns:
                await client.execute_query(row["sql"])
