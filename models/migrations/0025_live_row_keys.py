"""The live rows' keys with their region, for pages found before they are read (issue 20).

A compiled page on PostgreSQL first finds its rows' ids, then reads those rows
(resolvers/read/sqlread/render.py, `render_root`). A page of a sparse set in id order — the
police's 500 key persons county-wide — walks the primary key until it has them: 34,000 persons
read from the table for 500 kept. This index, on the live rows only and carrying the region
path every scope tests, answers that walk from the index alone (16 ms -> 4 ms on the
300k-person county). Events are listed newest first where they are worked on (a town's open
events, bench/mix.py's Q2): the live events in that order, with the columns their scopes and
the status filter test, find such a page without the table (3.3 ms -> 0.3 ms). SQLite needs
nothing: at the sizes it serves the walk is short."""

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = ("region", "person", "household", "place", "event", "thing", "organisation")
EVENTS_NEWEST_FIRST = ('CREATE INDEX IF NOT EXISTS "idx_event_live_occurred" ON "event" ("occurred_at" DESC, "id" DESC) '
                       'INCLUDE ("region_path", "status", "category") WHERE "deleted_at" IS NULL')


def _is_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def create_indexes(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for table in TABLES:
            await schema_editor.client.execute_script(
                f'CREATE INDEX IF NOT EXISTS "idx_{table}_live_id" ON "{table}" ("id") INCLUDE ("region_path") '
                'WHERE "deleted_at" IS NULL')
        await schema_editor.client.execute_script(EVENTS_NEWEST_FIRST)


async def drop_indexes(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for table in TABLES:
            await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "idx_{table}_live_id"')
        await schema_editor.client.execute_script('DROP INDEX IF EXISTS "idx_event_live_occurred"')


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0024_memberships_rejoin")]

    operations = [ops.RunPython(create_indexes, drop_indexes)]
