"""Care work (关爱走访, issue 22): a person's last care visit and when the next is due, the
event category of care visits, the care rules (the elderly living alone weekly, low-income
households monthly), and the policy lines that let civil affairs record and read care visits,
the police and civil affairs read the homes of the persons of their business, and policy
admins set the visit rules. A database made before gets what a new one is seeded with:

- the category, where the category tree was seeded already (a new one is seeded whole);
- the care rules, where the visit rules were seeded already and have none on the tag;
- the policy lines, where the default policy's roles are in use, and a version bump;
- its visits to persons with a care tag and no key tag recategorised as care visits.
The due times are filled at the next start (resolvers.domain.visit_due.refresh_missing_visit_due).

And the floating population's renewal reminders (居住登记): a notice may be about a person
instead of an event, once per person and lapse day (a unique index, as 0014's for due soon,
which is made again here: SQLite rebuilds the notice table to let its event be null).
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
import importlib

from tortoise.migrations import operations as ops

from ._operations import DescribeField

from ._policy_lines import add_default_lines, runner

_0019 = importlib.import_module(f"{__package__}.0019_residence_transfers")

CARE_VISIT = "service/care_visit"
CARE_RULES = (("care/elderly_alone", 7), ("care/low_income", 30))  # resolvers.domain.visit_due.DEFAULT_RULES then
LINES = (
    ("dept.civil_affairs", "event:category/service/care_visit", "report", "allow"),
    ("dept.civil_affairs", "event:category/service/care_visit", "read", "allow"),
    ("dept.public_security", "place:home_of/key/*", "read", "allow"),
    ("dept.civil_affairs", "place:home_of/care/*", "read", "allow"),
    ("policy_admin", "visit_rule", "update", "allow"),
    ("policy_admin", "visit_rule", "delegate", "allow"),
)


DUE_SOON_ONCE = ('CREATE UNIQUE INDEX IF NOT EXISTS "uidx_notice_due_soon" ON "notice" ("event_id", "due_at") '
                 "WHERE kind = 'due_soon'")  # 0014's
RENEWAL_ONCE = ('CREATE UNIQUE INDEX IF NOT EXISTS "uidx_notice_renewal_due" ON "notice" ("person_id", "due_at") '
                "WHERE kind = 'renewal_due'")


# SQLite's rebuild of the notice table (its event made nullable) leaves its indexes behind:
# made again under tortoise's own names (on PostgreSQL they are there: no-ops), and the new
# column's, which an added column never gets from tortoise (see 0008)
NOTICE_INDEXES = (("idx_notice_created_c06471", "created_at"), ("idx_notice_departm_195a10", "department_id"),
                  ("idx_notice_event_i_443bb6", "event_id"), ("idx_notice_region__78fdb3", "region_id"),
                  ("idx_notice_person_id", "person_id"), ("idx_notice_transfer_id", "transfer_id"))


async def forward(apps, schema_editor) -> None:
    run = runner(schema_editor)
    for name, column in NOTICE_INDEXES:
        await schema_editor.client.execute_script(f'CREATE INDEX IF NOT EXISTS "{name}" ON "notice" ("{column}")')
    await schema_editor.client.execute_script(DUE_SOON_ONCE)
    await schema_editor.client.execute_script(RENEWAL_ONCE)
    # an added column gets no index from tortoise (see 0008)
    await schema_editor.client.execute_script(
        'CREATE INDEX IF NOT EXISTS "idx_person_care_visit_due_at" ON "person" ("care_visit_due_at")')
    if (await run("SELECT COUNT(*) AS n FROM event_category"))[0]["n"]:
        await run("INSERT INTO event_category (path, name, parent_path, accept_hours, handle_hours, verify_hours, "
                  "department_code, sort_order, created_at, updated_at, version) "
                  "SELECT %s, '关爱走访', 'service', 24, 240, 72, 'civil_affairs', "
                  "COALESCE((SELECT sort_order FROM event_category WHERE path = 'service/visit'), 0), "
                  "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 "
                  "WHERE NOT EXISTS (SELECT 1 FROM event_category WHERE path = %s)", CARE_VISIT, CARE_VISIT)
    if (await run("SELECT COUNT(*) AS n FROM visit_rule"))[0]["n"]:
        for tag, days in CARE_RULES:
            await run("INSERT INTO visit_rule (tag, every_days) SELECT %s, %s "
                      "WHERE NOT EXISTS (SELECT 1 FROM visit_rule WHERE tag = %s)", tag, days, tag)
    await add_default_lines(run, LINES)
    await run("UPDATE event SET category = %s WHERE kind = 'visit' AND category = 'service/visit' "
              "AND id IN (SELECT ep.event_id FROM event_person ep JOIN person_tag t ON t.person_id = ep.person_id "
              "WHERE t.tag LIKE 'care/%') "
              "AND id NOT IN (SELECT ep.event_id FROM event_person ep JOIN person_tag t ON t.person_id = ep.person_id "
              "WHERE t.tag LIKE 'key/%')", CARE_VISIT)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_script('DROP INDEX IF EXISTS "uidx_notice_renewal_due"')
    await client.execute_query("DELETE FROM notice WHERE event_id IS NULL")
    await client.execute_script('DROP INDEX IF EXISTS "idx_person_care_visit_due_at"')
    await client.execute_query(f"UPDATE event SET category = 'service/visit' WHERE category = '{CARE_VISIT}'")
    await client.execute_query(f"DELETE FROM event_category WHERE path = '{CARE_VISIT}'")
    for role, obj, action, effect in LINES:
        await client.execute_query(f"DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = '{role}' AND v2 = '{obj}' "
                                   f"AND v3 = '{action}'")
    await client.execute_query("UPDATE policy_state SET version = version + 1")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0019_residence_transfers")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Person",
            name="last_care_visit_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Person",
            name="care_visit_due_at",
            field=fields.DatetimeField(null=True, db_index=True, description="when the next care visit (关爱走访) "
                                       "is due, by the care rules", auto_now=False, auto_now_add=False),
        ),
        # SQLite rebuilds the notice table: what refers to it is kept aside meanwhile (as in 0019)
        ops.RunPython(_0019.keep_references, _0019.nothing),
        ops.AlterField(
            model_name='Notice',
            name='due_at',
            field=fields.DatetimeField(null=True, description="the event's due time when the notice was made; "
                                       "renewal_due: when the registration lapses", auto_now=False, auto_now_add=False),
        ),
        DescribeField(
            model_name='Notice',
            name='kind',
            field=fields.CharField(description='dispatched, returned, escalated, urged, due_soon, transfer_asked, '
                                               'transfer_done or renewal_due', max_length=16),
        ),
        ops.AddField(
            model_name='Notice',
            name='person',
            field=fields.ForeignKeyField('gridhub.Person', source_field='person_id', null=True, db_index=True,
                                         description='the person a renewal_due notice is about', db_constraint=True,
                                         to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        ops.RunPython(_0019.restore_references, _0019.nothing),
        ops.RunPython(forward, backward),
    ]
