"""A person who left a role may take it up again (issue 22), and the seed programmes' records
are withdrawn by whoever records them.

- membership: the unique key (organisation, person, role) becomes a partial unique index on
  the OPEN memberships only (`ended_on IS NULL AND deleted_at IS NULL`): an ended membership
  stays as the record of that term and no longer blocks a new one, while two open ones in the
  same role are still refused by the database. tortoise declares no partial index, so the
  index is SQL here and the model only says so. PostgreSQL drops the constraint in place;
  SQLite wrote it inside CREATE TABLE, where nothing but a rebuild removes it
  (models/migrations/_sqlite_rebuild.py keeps the rows, the references and the other indexes).
- `service_post` and `volunteer_activity` `delete` for the grid worker who records them
  (closing a post, withdrawing an activity recorded by mistake), where the role is in use.
"""

from tortoise.migrations import operations as ops

from ._policy_lines import add_default_lines, remove_default_lines, runner
from ._sqlite_rebuild import TableRebuildingMigration

OPEN_INDEX = "uidx_membership_open_role"
CREATE_OPEN_INDEX = (f'CREATE UNIQUE INDEX "{OPEN_INDEX}" ON "membership" ("organisation_id", "person_id", "role") '
                     'WHERE "ended_on" IS NULL AND "deleted_at" IS NULL')
DROP_OPEN_INDEX = f'DROP INDEX IF EXISTS "{OPEN_INDEX}"'
LINES = (("grid_worker", "service_post", "delete", "allow"), ("grid_worker", "volunteer_activity", "delete", "allow"))


class DropUniqueKey(ops.RemoveConstraint):
    """RemoveConstraint; on SQLite by rebuilding the table from the new state (which has no key)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            await state_editor._remake_table(new_state.apps.get_model(f"{app_label}.{self.model_name}"))
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)


async def forward(apps, schema_editor) -> None:
    await add_default_lines(runner(schema_editor), LINES)


async def backward(apps, schema_editor) -> None:
    await remove_default_lines(runner(schema_editor), LINES)


class Migration(TableRebuildingMigration):
    dependencies = [("gridhub", "0023_trusted_documents")]

    initial = False
    rebuilt_tables = ("membership",)

    operations = [
        DropUniqueKey(model_name="Membership", fields=["organisation", "person", "role"]),
        ops.RunSQL(CREATE_OPEN_INDEX, reverse_sql=DROP_OPEN_INDEX),
        ops.RunPython(forward, backward),
    ]
