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

from ._policy_lines import add_default_lines, runner

LINES = (
    *(("policy_admin", obj, "delegate", "allow")
      for obj in ("region", "person*", "household*", "place*", "event*", "thing*", "organisation*", "staff",
                  "scorecard", "policy", "user", "audit", "category", "role:*")),
    ("chief_policy_admin", "*", "delegate", "allow"),
    ("grid_worker", "place.address", "read", "allow"),
    ("dept.housing", "place.address", "read", "allow"),
)


async def forward(apps, schema_editor) -> None:
    await add_default_lines(runner(schema_editor), LINES)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_query("DELETE FROM casbin_rule WHERE ptype = 'p' AND (v3 = 'delegate' OR v2 = 'place.address')")
    await client.execute_query("UPDATE policy_state SET version = version + 1")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0010_key_visits")]

    operations = [ops.RunPython(forward, backward)]
