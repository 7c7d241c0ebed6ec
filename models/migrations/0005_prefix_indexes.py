"""Prefix indexes for PostgreSQL.

Every scope and subtree filter is a prefix match (`region_path LIKE '/…/%'`, tags and
categories alike). PostgreSQL uses a btree for LIKE only under the C collation or with a
pattern operator class, so those columns get `varchar_pattern_ops` indexes there. SQLite
needs nothing: at the sizes it serves, the plain indexes do."""

from tortoise import migrations
from tortoise.migrations import operations as ops

PREFIX_COLUMNS = (
    ("region", "region_path"), ("person", "region_path"), ("household", "region_path"),
    ("place", "region_path"), ("event", "region_path"), ("thing", "region_path"),
    ("organisation", "region_path"), ("residence", "region_path"), ("person_tag", "region_path"),
    ("person_tag", "tag"), ("event", "category"),
)


def _is_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def create_indexes(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for table, column in PREFIX_COLUMNS:
            await schema_editor.client.execute_script(
                f'CREATE INDEX IF NOT EXISTS "idx_{table}_{column}_prefix" ON "{table}" ("{column}" varchar_pattern_ops)')


async def drop_indexes(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for table, column in PREFIX_COLUMNS:
            await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "idx_{table}_{column}_prefix"')


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0004_event_categories")]

    operations = [ops.RunPython(create_indexes, drop_indexes)]
