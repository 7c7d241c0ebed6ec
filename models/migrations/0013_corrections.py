"""Corrections as steps of the closed loop (issue 21): the event keeps the tier that
dispatched it, a pending extension's deadline and its urgings; a log entry keeps to whom the
step handed the event and what was due after it. The statuses RETURNED, EXTENSION_REQUESTED
and PARKED are new values of the same columns, widened for `extension_requested`.

A database made before gets the corrections' policy lines and the tiers in order (a grid
leader escalates; sending to a department is `dispatch_to_department`, the community
centres' and up) where the default policy's roles are in use, as a new one is seeded
(policies/default_policy.csv). Events dispatched before have no dispatcher: their
re-dispatch and extensions are decided at the reporting grid (resolvers/domain/workflow.py).
"""

from tortoise.migrations import operations as ops
from gridhub.models.enums import EventStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

from ._policy_lines import add_default_lines, remove_default_lines, runner
from ._sqlite_rebuild import TableRebuildingMigration

LINES = (
    ("grid_worker", "event:with_region", "return", "allow"),
    ("grid_worker", "event:with_region", "request_extension", "allow"),
    ("grid_leader", "event", "escalate", "allow"),
    ("grid_leader", "event", "redispatch", "allow"),
    ("grid_leader", "event", "decide_extension", "allow"),
    ("community_centre", "event", "dispatch_to_department", "allow"),
    ("community_centre", "event", "redispatch", "allow"),
    ("community_centre", "event", "decide_extension", "allow"),
    ("community_centre", "event:with_region", "return", "allow"),
    ("community_centre", "event", "urge", "allow"),
    ("county_centre", "event", "park", "allow"),
    ("county_centre", "event", "unpark", "allow"),
    ("department", "event:assigned", "return", "allow"),
    ("department", "event:assigned", "request_extension", "allow"),
)


async def forward(apps, schema_editor) -> None:
    await add_default_lines(runner(schema_editor), LINES)


async def backward(apps, schema_editor) -> None:
    await remove_default_lines(runner(schema_editor), LINES)

async def count_no_urgings(apps, schema_editor) -> None:
    # execute_query, not execute_script: SQLite's executescript commits the migration's transaction
    await schema_editor.client.execute_query("UPDATE event SET urge_count = 0 WHERE urge_count IS NULL")


async def nothing(apps, schema_editor) -> None:
    return None


# SQLite rebuilds event and event_log here (the status columns altered). This migration once
# ran as a plain one, and the rebuild deleted what referred to them (an event's persons, its
# log, the audit's and notices' links) and dropped their indexes; it now keeps both
# (_sqlite_rebuild.py). Changed after release on purpose: a fresh database ends in the same
# schema plus the indexes the models declare, and an older one no longer loses rows.
class Migration(TableRebuildingMigration):
    dependencies = [('gridhub', '0012_department_template')]
    rebuilt_tables = ("event", "event_log")

    initial = False

    operations = [
        ops.AlterField(
            model_name='Event',
            name='status',
            field=fields.CharEnumField(default=EventStatus.REPORTED, db_index=True, description='REPORTED: reported\nACCEPTED: accepted\nDISPATCHED: dispatched\nHANDLING: handling\nEXTENSION_REQUESTED: extension_requested\nRETURNED: returned\nPARKED: parked\nRESOLVED: resolved\nVERIFIED: verified\nCLOSED: closed\nREJECTED: rejected', enum_type=EventStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Event',
            name='dispatcher_region',
            field=fields.ForeignKeyField('gridhub.Region', source_field='dispatcher_region_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Event',
            name='requested_due_at',
            field=fields.DatetimeField(null=True, description='the deadline asked for (延期)', auto_now=False, auto_now_add=False),
        ),
        # added nullable, counted 0 for the events there are, then made NOT NULL: a NOT NULL
        # column without a database default cannot be added to a table holding rows (SQLite
        # refuses it, PostgreSQL finds the rows null), so an older database with events failed here
        ops.AddField(
            model_name='Event',
            name='urge_count',
            field=fields.IntField(null=True, default=0),
        ),
        ops.RunPython(count_no_urgings, nothing),
        ops.AlterField(
            model_name='Event',
            name='urge_count',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Event',
            name='urged_at',
            field=fields.DatetimeField(null=True, description='when the event was last urged (催办)', auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='EventLog',
            name='from_status',
            field=fields.CharEnumField(null=True, description='REPORTED: reported\nACCEPTED: accepted\nDISPATCHED: dispatched\nHANDLING: handling\nEXTENSION_REQUESTED: extension_requested\nRETURNED: returned\nPARKED: parked\nRESOLVED: resolved\nVERIFIED: verified\nCLOSED: closed\nREJECTED: rejected', enum_type=EventStatus, max_length=24),
        ),
        ops.AlterField(
            model_name='EventLog',
            name='to_status',
            field=fields.CharEnumField(description='REPORTED: reported\nACCEPTED: accepted\nDISPATCHED: dispatched\nHANDLING: handling\nEXTENSION_REQUESTED: extension_requested\nRETURNED: returned\nPARKED: parked\nRESOLVED: resolved\nVERIFIED: verified\nCLOSED: closed\nREJECTED: rejected', enum_type=EventStatus, max_length=24),
        ),
        ops.AddField(
            model_name='EventLog',
            name='due_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='EventLog',
            name='to_department',
            field=fields.ForeignKeyField('gridhub.Department', source_field='to_department_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='EventLog',
            name='to_region',
            field=fields.ForeignKeyField('gridhub.Region', source_field='to_region_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(forward, backward),
    ]
