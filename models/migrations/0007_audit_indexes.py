"""Fewer audit indexes: none on action or object kind alone, one on (kind, id).

Tortoise 1.1.9 alters a column on SQLite by rebuilding the table, and the rebuild drops
the table's other indexes: they are made again at the end, on SQLite only."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

KEPT = (("idx_audit_entry_actor_51f72e", "actor"), ("idx_audit_entry_at_c3f19e", "at"),
        ("idx_audit_entry_region__0731e9", "region_path"))


async def restore_sqlite_indexes(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        for name, column in KEPT:
            await schema_editor.client.execute_script(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "audit_entry" ("{column}")')


async def nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('gridhub', '0006_region_moves')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='AuditEntry',
            name='action',
            field=fields.CharField(max_length=32),
        ),
        ops.AlterField(
            model_name='AuditEntry',
            name='object_kind',
            field=fields.CharField(max_length=32),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['object_kind', 'object_id']),
        ),
        ops.RunPython(restore_sqlite_indexes, nothing),
    ]
