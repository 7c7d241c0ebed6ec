"""Migration operations of our own.

`DescribeField`: an AlterField that changes what a field says (its description, an enum's
list of values), not what the database stores. The state changes as with AlterField, and
PostgreSQL gets its column comment; SQLite keeps no comments, and tortoise would rebuild the
whole table for it (a new table, the rows copied, the old one dropped): with foreign keys on,
the drop deletes or unlinks every row that refers to the table, and the table's own triggers
(the R-tree of a located kind, 0015) and indexes are gone with it. So SQLite is not asked."""

from __future__ import annotations

from tortoise.migrations import operations as ops


class DescribeField(ops.AlterField):
    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)
