"""Two things for issue 20's speed: sensitive reads audited as one entry per request and
field, and a version of the principals (users and service tokens) that every process checks
before trusting a token it verified earlier.

Sensitive reads, one entry per request and field, not one per value shown.

A page of 500 key persons wrote 1,500 audit rows; it now writes three, each with the ids of
the rows it revealed (`object_ids`, a JSON array; each row's region path then in
`detail.region_paths`, alongside). "Who saw this person's identity number, when" stays an
index lookup: a GIN index over `object_ids` on PostgreSQL (`object_ids @> '[id]'`).

The entries written before are brought along: each old `read_sensitive` row gets the
one-element array of its own id and path, so that every sensitive read is found the same
way. The trail is append-only (0009); its guard is lifted for this one UPDATE only, inside
the migration's transaction.

The principal version (`principal_version`, one row) is bumped by the database itself,
with triggers, whenever a user is disabled, deleted, renamed or moved to another
department, or a service token revoked, deleted or rebound, whoever makes the change (the
hub, the CLI, a console): a process caches a verified token and its user only for the
version it read (resolvers.identity.auth), so such a change takes effect on the very next request
in every process. It starts at a random number, so that a database made anew never
repeats the version a running process cached under."""

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


PRINCIPALS_POSTGRES = """
CREATE TABLE IF NOT EXISTS principal_version (id INT PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO principal_version VALUES (1, (random() * 1e15)::bigint) ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION gridhub_principals_changed() RETURNS trigger AS $$
BEGIN UPDATE principal_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS app_user_principals ON app_user;
CREATE TRIGGER app_user_principals AFTER UPDATE OF is_active, deleted_at, department_id, username OR DELETE
    OR TRUNCATE ON app_user FOR EACH STATEMENT EXECUTE FUNCTION gridhub_principals_changed();
DROP TRIGGER IF EXISTS service_token_principals ON service_token;
CREATE TRIGGER service_token_principals AFTER UPDATE OF revoked_at, deleted_at, user_id, token_hash OR DELETE
    OR TRUNCATE ON service_token FOR EACH STATEMENT EXECUTE FUNCTION gridhub_principals_changed();
"""
_BUMP = "BEGIN UPDATE principal_version SET version = version + 1 WHERE id = 1; END"
PRINCIPALS_SQLITE = f"""
CREATE TABLE IF NOT EXISTS principal_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
INSERT OR IGNORE INTO principal_version VALUES (1, abs(random() % 1000000000000000));
CREATE TRIGGER IF NOT EXISTS app_user_principals AFTER UPDATE OF is_active, deleted_at, department_id, username
    ON app_user {_BUMP};
CREATE TRIGGER IF NOT EXISTS app_user_principals_gone AFTER DELETE ON app_user {_BUMP};
CREATE TRIGGER IF NOT EXISTS service_token_principals AFTER UPDATE OF revoked_at, deleted_at, user_id, token_hash
    ON service_token {_BUMP};
CREATE TRIGGER IF NOT EXISTS service_token_principals_gone AFTER DELETE ON service_token {_BUMP};
"""


async def principals(apps, schema_editor) -> None:
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    await schema_editor.client.execute_script(PRINCIPALS_POSTGRES if postgres else PRINCIPALS_SQLITE)


async def drop_principals(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(
            "DROP TRIGGER IF EXISTS app_user_principals ON app_user; "
            "DROP TRIGGER IF EXISTS service_token_principals ON service_token; "
            "DROP FUNCTION IF EXISTS gridhub_principals_changed(); DROP TABLE IF EXISTS principal_version")
    else:
        await schema_editor.client.execute_script(
            "DROP TRIGGER IF EXISTS app_user_principals; DROP TRIGGER IF EXISTS app_user_principals_gone; "
            "DROP TRIGGER IF EXISTS service_token_principals; DROP TRIGGER IF EXISTS service_token_principals_gone; "
            "DROP TABLE IF EXISTS principal_version")


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
    dependencies = [("gridhub", "0015_spatial")]

    operations = [
        ops.AddField(
            model_name='AuditEntry',
            name='object_ids',
            field=fields.JSONField(null=True),
        ),
        ops.RunPython(bring_along, drop_index),
        ops.RunPython(principals, drop_principals),
    ]
