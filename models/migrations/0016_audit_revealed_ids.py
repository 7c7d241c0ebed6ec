"""Sensitive reads audited as one entry per request and field, not one per value shown.

A page of 500 key persons wrote 1,500 audit rows; it now writes three, each with the ids of
the rows it revealed (`object_ids`, a JSON array; each row's region path then in
`detail.region_paths`, alongside). "Who saw this person's identity number, when" stays an
index lookup: a GIN index over `object_ids` on PostgreSQL (`object_ids @> '[id]'`).

The entries written before are brought along: each old `read_sensitive` row gets the
one-element array of its own id and path, so that every sensitive read is found the same
way. The trail is append-only (0009); its guard is lifted for this one UPDATE only, inside
the migration's transaction."""

import importlib

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

APPEND_ONLY = importlib.import_module("gridhub.models.migrations.0009_audit_append_only")

POSTGRES = """
ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only;
UPDATE audit_entry
   SET object_ids = jsonb_build_array(object_id::bigint),
       detail = COALESCE(detail::jsonb, '{}'::jsonb) || jsonb_build_object('region_paths', jsonb_build_array(region_path))
 WHERE action = 'read_sensitive' AND object_ids IS NULL AND object_id ~ '^[0-9]+$';
ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only;
CREATE INDEX IF NOT EXISTS idx_audit_entry_object_ids ON audit_entry USING gin (object_ids jsonb_path_ops);
"""
SQLITE = """
UPDATE audit_entry
   SET object_ids = json_array(CAST(object_id AS INTEGER)),
       detail = json_set(COALESCE(detail, '{}'), '$.region_paths', json_array(region_path))
 WHERE action = 'read_sensitive' AND object_ids IS NULL AND object_id GLOB '[0-9]*';
"""


async def bring_along(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(POSTGRES)
        return
    await APPEND_ONLY.drop_triggers(apps, schema_editor)
    await client.execute_script(SQLITE)
    await APPEND_ONLY.create_triggers(apps, schema_editor)


async def drop_index(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script("DROP INDEX IF EXISTS idx_audit_entry_object_ids")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0012_department_template")]

    operations = [
        ops.AddField(
            model_name='AuditEntry',
            name='object_ids',
            field=fields.JSONField(null=True),
        ),
        ops.RunPython(bring_along, drop_index),
    ]
