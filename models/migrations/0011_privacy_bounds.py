"""The privacy work (policies/sensitivity.py, policies/delegation.py) adds lines to the
default policy; a database made before gets them where the default policy's roles are in
use (an admin who removed a role has a policy of their own, and is left to it):

- what policy admins may hand out (`delegate`): grants now check every right a role carries;
- `place.address` for grid workers and housing: a house's exact address is sensitive now.

Grants in force that break the new delegation rules are listed by `gridhub migrate`, never
dropped here.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

LINES = (
    *(("policy_admin", obj, "delegate", "allow")
      for obj in ("region", "person*", "household*", "place*", "event*", "thing*", "organisation*", "staff",
                  "scorecard", "policy", "user", "audit", "category", "role:*")),
    ("chief_policy_admin", "*", "delegate", "allow"),
    ("grid_worker", "place.address", "read", "allow"),
    ("dept.housing", "place.address", "read", "allow"),
)


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    async def run(sql: str, *values) -> list:
        """`sql` with `%s` for each value in order, in the dialect's placeholders."""
        marks = iter(f"${i}" if postgres else "?" for i in range(1, len(values) + 1))
        return (await client.execute_query(sql.replace("%s", "{}").format(*marks), list(values)))[1]

    changed = False
    for role, obj, action, effect in LINES:
        if (await run("SELECT COUNT(*) AS n FROM casbin_rule WHERE ptype = 'p' AND v0 = %s", role))[0]["n"]:
            await run("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) SELECT 'p', %s, '*', %s, %s, %s, '' "
                      "WHERE NOT EXISTS (SELECT 1 FROM casbin_rule WHERE ptype = 'p' AND v0 = %s AND v1 = '*' "
                      "AND v2 = %s AND v3 = %s AND v4 = %s AND v5 = '')",
                      role, obj, action, effect, role, obj, action, effect)
            changed = True
    if changed:
        await run("UPDATE policy_state SET version = version + 1")


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_query("DELETE FROM casbin_rule WHERE ptype = 'p' AND (v3 = 'delegate' OR v2 = 'place.address')")
    await client.execute_query("UPDATE policy_state SET version = version + 1")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0010_key_visits")]

    operations = [ops.RunPython(forward, backward)]
