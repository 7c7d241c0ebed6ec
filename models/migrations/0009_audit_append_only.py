"""The audit trail append-only in the database itself, not only in the hub's code: an UPDATE
or DELETE of an audit entry fails, whoever sends it (a bug, a console, a stolen database
password). Retention is the operator's, by TRUNCATE or partitions, which row triggers do not
stop."""

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES = (
    """CREATE OR REPLACE FUNCTION gridhub_audit_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION gridhub_audit_append_only()""",
)
SQLITE = tuple(
    f"""CREATE TRIGGER audit_entry_no_{verb.lower()} BEFORE {verb} ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
)


async def create_triggers(apps, schema_editor) -> None:
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    for statement in POSTGRES if postgres else SQLITE:
        await schema_editor.client.execute_script(statement)


async def drop_triggers(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(
            "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry; "
            "DROP FUNCTION IF EXISTS gridhub_audit_append_only()")
    else:
        for verb in ("update", "delete"):
            await schema_editor.client.execute_script(f"DROP TRIGGER IF EXISTS audit_entry_no_{verb}")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0008_grid_operations")]

    operations = [ops.RunPython(create_triggers, drop_triggers)]
