"""Every department acts (issue 21): the template role `department` (read the region tree,
read, handle and resolve what is dispatched to it), inherited by each department's role, and
the business facets of the twelve departments that had no rules. A database made before gets
them where the default policy's departments are in use, and one `g, dept.<code>, department,
*` line for each department it knows, so departments an admin added act too.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from ._policy_lines import add_default_lines, runner

LINES = (
    ('department', 'region', 'read', 'allow'),
    ('department', 'event:assigned', 'read', 'allow'),
    ('department', 'event:assigned', 'handle', 'allow'),
    ('department', 'event:assigned', 'resolve', 'allow'),
    ('dept.health', 'person:care/elderly_alone', 'read', 'allow'),
    ('dept.health', 'person:care/disabled', 'read', 'allow'),
    ('dept.health', 'person.phone', 'read', 'allow'),
    ('dept.medical_insurance', 'person:care/low_income', 'read', 'allow'),
    ('dept.medical_insurance', 'person:care/extreme_poverty', 'read', 'allow'),
    ('dept.medical_insurance', 'person:care/low_income', 'export', 'allow'),
    ('dept.medical_insurance', 'person:care/extreme_poverty', 'export', 'allow'),
    ('dept.medical_insurance', 'person.id_number', 'read', 'allow'),
    ('dept.disabled_federation', 'person:care/disabled', 'read', 'allow'),
    ('dept.disabled_federation', 'person:care/disabled', 'export', 'allow'),
    ('dept.disabled_federation', 'person.id_number', 'read', 'allow'),
    ('dept.disabled_federation', 'person.phone', 'read', 'allow'),
    ('dept.agriculture', 'organisation:kind/enterprise', 'read', 'allow'),
    ('dept.urban_management', 'thing', 'read', 'allow'),
    ('dept.urban_management', 'thing', 'export', 'allow'),
    ('dept.urban_management', 'place:kind/shop', 'read', 'allow'),
    ('dept.ecology_environment', 'organisation:kind/enterprise', 'read', 'allow'),
    ('dept.ecology_environment', 'place:kind/factory', 'read', 'allow'),
    ('dept.petitions', 'person:key/petitioner', 'read', 'allow'),
    ('dept.petitions', 'person.phone', 'read', 'allow'),
    ('dept.justice', 'person:key/community_correction', 'read', 'allow'),
    ('dept.justice', 'person:key/released_prisoner', 'read', 'allow'),
    ('dept.justice', 'person.id_number', 'read', 'allow'),
    ('dept.justice', 'person.phone', 'read', 'allow'),
    ('dept.emergency', 'person:key/dangerous_goods', 'read', 'allow'),
    ('dept.emergency', 'place:kind/factory', 'read', 'allow'),
    ('dept.emergency', 'thing:kind/hydrant', 'read', 'allow'),
    ('dept.market_supervision', 'organisation:kind/enterprise', 'read', 'allow'),
    ('dept.market_supervision', 'organisation:kind/self_employed', 'read', 'allow'),
    ('dept.market_supervision', 'place:kind/shop', 'read', 'allow'),
    ('dept.market_supervision', 'organisation:kind/enterprise', 'export', 'allow'),
    ('dept.human_resources', 'person:care/unemployed', 'read', 'allow'),
    ('dept.human_resources', 'person:care/unemployed', 'export', 'allow'),
    ('dept.human_resources', 'person.phone', 'read', 'allow'),
    ('dept.education', 'place:kind/school', 'read', 'allow'),
    ('dept.education', 'organisation:kind/school', 'read', 'allow'),
    ('dept.education', 'person:care/left_behind_child', 'read', 'allow'),
)


async def forward(apps, schema_editor) -> None:
    run = runner(schema_editor)
    if not (await run("SELECT COUNT(*) AS n FROM casbin_rule WHERE ptype = 'p' AND v0 LIKE 'dept.%'"))[0]["n"]:
        return  # a policy of the admins' own, without the default departments
    await add_default_lines(run, LINES, when_in_use="dept.public_security")
    await run("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "
              "SELECT 'g', 'dept.' || d.code, 'department', '*', '', '', '' FROM department d "
              "WHERE NOT EXISTS (SELECT 1 FROM casbin_rule r WHERE r.ptype = 'g' AND r.v0 = 'dept.' || d.code "
              "AND r.v1 = 'department' AND r.v2 = '*')")
    await run("UPDATE policy_state SET version = version + 1")


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_query("DELETE FROM casbin_rule WHERE (ptype = 'g' AND v1 = 'department') OR "
                               "(ptype = 'p' AND v0 = 'department')")
    await client.execute_query("UPDATE policy_state SET version = version + 1")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0011_privacy_bounds")]

    operations = [ops.RunPython(forward, backward)]
