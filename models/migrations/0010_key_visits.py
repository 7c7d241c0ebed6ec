"""Visits to key persons become their own event category, `service/key_visit`, which the
default policy hides from the community, town and county centres (they read persons with
key tags masked, and a visit names who is a key person) and lets public security report
and read. A database made before gets what a new one is seeded with:

- the category, where the category tree was seeded already (a new one is seeded whole);
- the three policy lines, where the default policy's roles are in use (an admin who has
  removed those roles has a policy of their own, and is left to it), and a policy version
  bump so that every process reloads;
- its key persons' visits recategorised: visits naming a person with a `key/` tag.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from ._policy_lines import add_default_lines, runner

KEY_VISIT = "service/key_visit"
LINES = (
    ("community_centre", "event:category/service/key_visit", "read", "deny"),
    ("dept.public_security", "event:category/service/key_visit", "report", "allow"),
    ("dept.public_security", "event:category/service/key_visit", "read", "allow"),
)


async def forward(apps, schema_editor) -> None:
    run = runner(schema_editor)

    if (await run("SELECT COUNT(*) AS n FROM event_category"))[0]["n"]:
        await run("INSERT INTO event_category (path, name, parent_path, accept_hours, handle_hours, verify_hours, "
                  "department_code, sort_order, created_at, updated_at, version) "
                  "SELECT %s, '重点人员走访', 'service', 24, 240, 72, 'public_security', "
                  "COALESCE((SELECT sort_order FROM event_category WHERE path = 'service/visit'), 0), "
                  "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 "
                  "WHERE NOT EXISTS (SELECT 1 FROM event_category WHERE path = %s)", KEY_VISIT, KEY_VISIT)
    await add_default_lines(run, LINES)
    await run("UPDATE event SET category = %s WHERE kind = 'visit' AND category = 'service/visit' "
              "AND id IN (SELECT ep.event_id FROM event_person ep JOIN person_tag t ON t.person_id = ep.person_id "
              "WHERE t.tag LIKE 'key/%')", KEY_VISIT)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_query(f"UPDATE event SET category = 'service/visit' WHERE category = '{KEY_VISIT}'")
    await client.execute_query(f"DELETE FROM event_category WHERE path = '{KEY_VISIT}'")
    await client.execute_query("DELETE FROM casbin_rule WHERE ptype = 'p' AND v2 = 'event:category/service/key_visit'")
    await client.execute_query("UPDATE policy_state SET version = version + 1")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0009_audit_append_only")]

    operations = [ops.RunPython(forward, backward)]
