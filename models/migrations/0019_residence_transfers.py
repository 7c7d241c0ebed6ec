"""Transfers of residence across grids (迁入/迁出, issue 21): the receiving grid asks, the grid
holding the person (or a centre above it) approves or refuses. One pending transfer per
person at a time (a partial unique index, on both dialects). A notice now tells of an event
or of a transfer, so its event may be null; SQLite rebuilds the notice table for that, and
the due-soon index of 0014, which the rebuild does not know of, is made again.
A database made before gets the transfer verbs where the default roles are in use, as a new
one is seeded (policies/default_policy.csv), and the indexes earlier migrations left out."""
from tortoise import migrations
from tortoise.migrations import operations as ops

from ._operations import DescribeField
from tortoise.fields.base import OnDelete
from tortoise import fields

from ._policy_lines import add_default_lines, remove_default_lines, runner

LINES = (
    ("grid_worker", "person", "transfer_in", "allow"),
    ("grid_leader", "person", "transfer_out", "allow"),
    ("community_centre", "person", "transfer_out", "allow"),
)
DUE_SOON_ONCE = ('CREATE UNIQUE INDEX IF NOT EXISTS "uidx_notice_due_soon" ON "notice" ("event_id", "due_at") '
                 "WHERE kind = 'due_soon'")
# an added column gets no index from tortoise (see 0008); SQLite's rebuild of the notice
# table keeps none of its own either (the model's db_index columns, made again here)
NOTICE_INDEXES = ("transfer_id", "created_at", "event_id", "region_id", "department_id")
ONE_PENDING = ('CREATE UNIQUE INDEX IF NOT EXISTS "uidx_transfer_pending" ON "residence_transfer" ("person_id") '
               "WHERE status = 'pending'")


# SQLite rebuilds the notice table (a new table, the rows copied, the old one dropped). With
# foreign keys on, dropping it deletes what refers to it first: the read marks (CASCADE) and
# the deliveries' notice (SET NULL). They are kept aside before and put back after.
KEEP = (("_keep_notice_read", "SELECT * FROM notice_read"),
        ("_keep_delivery_notice", "SELECT id, notice_id FROM webhook_delivery WHERE notice_id IS NOT NULL"))


async def keep_references(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    for table, select in KEEP:
        await client.execute_script(f'DROP TABLE IF EXISTS "{table}"; CREATE TABLE "{table}" AS {select}')


async def restore_references(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    await client.execute_script(
        "INSERT INTO notice_read SELECT * FROM _keep_notice_read WHERE id NOT IN (SELECT id FROM notice_read)")
    await client.execute_script(
        "UPDATE webhook_delivery SET notice_id = (SELECT k.notice_id FROM _keep_delivery_notice k "
        "WHERE k.id = webhook_delivery.id) WHERE id IN (SELECT id FROM _keep_delivery_notice)")
    for table, _ in KEEP:
        await client.execute_script(f'DROP TABLE "{table}"')


async def nothing(apps, schema_editor) -> None:
    return None


# Indexes the models declare that earlier migrations left out. The deadline columns added to
# event (0008, 0013) got none on either dialect, though the due-soon sweep and the to-do
# lists read them every few seconds. And SQLite's rebuilds of event and event_log (0013) and
# person (0017) kept none of those tables' indexes.
UNINDEXED = {"event": ("open_due_at", "due_soon_at", "dispatcher_region_id")}
REBUILT_ON_SQLITE = {
    "event": ("category", "deleted_at", "dispatcher_region_id", "due_at", "due_soon_at", "handling_department_id",
              "handling_region_id", "kind", "occurred_at", "open_due_at", "place_id", "region_id", "region_path",
              "reported_region_id", "reporter_id", "source", "status", "updated_at", "urgency"),
    "event_log": ("deleted_at", "event_id", "updated_at"),
    "person": ("birth_date", "deleted_at", "gender", "household_id", "name", "population_type", "region_id",
               "region_path", "residence_id", "updated_at", "visit_due_at"),
}


async def indexed_columns(client, table: str) -> set[str]:
    """The columns that lead an index of a SQLite table."""
    found = set()
    for index in await client.execute_query_dict(f'PRAGMA index_list("{table}")'):
        columns = await client.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
        found.update(c["name"] for c in columns if c["seqno"] == 0)
    return found


async def index_what_was_left_out(client, sqlite: bool) -> None:
    """Since 0013 and 0017 keep their tables' indexes (_sqlite_rebuild), a SQLite database
    migrated since has them all; one migrated through the old 0013/0017 has none: only a
    column that leads no index gets one."""
    for table, columns in (REBUILT_ON_SQLITE if sqlite else UNINDEXED).items():
        have = await indexed_columns(client, table) if sqlite else set()
        for column in columns:
            if column not in have:
                await client.execute_script(
                    f'CREATE INDEX IF NOT EXISTS "idx_{table}_{column}" ON "{table}" ("{column}")')


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    sqlite = client.capabilities.dialect == "sqlite"
    await index_what_was_left_out(client, sqlite)
    for column in NOTICE_INDEXES if sqlite else NOTICE_INDEXES[:1]:
        await client.execute_script(f'CREATE INDEX IF NOT EXISTS "idx_notice_{column}" ON "notice" ("{column}")')
    await schema_editor.client.execute_script(DUE_SOON_ONCE)
    await schema_editor.client.execute_script(ONE_PENDING)
    await add_default_lines(runner(schema_editor), LINES)


async def backward(apps, schema_editor) -> None:
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "uidx_transfer_pending"')
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "idx_notice_transfer_id"')
    for table, columns in UNINDEXED.items():
        for column in columns:
            await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "idx_{table}_{column}"')
    await remove_default_lines(runner(schema_editor), LINES)


class Migration(migrations.Migration):
    dependencies = [('gridhub', '0018_residence_registration')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ResidenceTransfer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('person', fields.ForeignKeyField('gridhub.Person', source_field='person_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('from_region', fields.ForeignKeyField('gridhub.Region', source_field='from_region_id', db_index=True, description='the grid holding the person', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('to_region', fields.ForeignKeyField('gridhub.Region', source_field='to_region_id', db_index=True, description='the grid asking for them', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('place', fields.ForeignKeyField('gridhub.Place', source_field='place_id', null=True, db_index=True, description='where they will live, in the receiving grid', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(db_index=True, description='pending, approved or refused', max_length=16)),
                ('requested_by', fields.CharField(max_length=64)),
                ('note', fields.TextField(default='', unique=False)),
                ('decided_by', fields.CharField(default='', max_length=64)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'residence_transfer', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': "A receiving grid's request to take over a person registered in another grid, and its"},
            bases=['Row'],
        ),
        ops.RunPython(keep_references, nothing),
        ops.AlterField(
            model_name='Notice',
            name='event',
            field=fields.ForeignKeyField('gridhub.Event', source_field='event_id', null=True, db_index=True, description='the event handed over; null for a transfer', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        DescribeField(
            model_name='Notice',
            name='kind',
            field=fields.CharField(description='dispatched, returned, escalated, urged, due_soon, transfer_asked or transfer_done', max_length=16),
        ),
        ops.AddField(
            model_name='Notice',
            name='transfer',
            field=fields.ForeignKeyField('gridhub.ResidenceTransfer', source_field='transfer_id', null=True, db_index=True, description='the transfer asked or decided', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        ops.RunPython(restore_references, nothing),
        ops.RunPython(forward, backward),
    ]
