"""Transfers of residence across grids (迁入/迁出, issue 21): the grid a person moves into
asks the grid that holds them, which approves or refuses."""

from tortoise import fields

from .base import Row


class ResidenceTransfer(Row):
    """A receiving grid's request to take over a person registered in another grid, and its
    decision. Not a regional row: it belongs to two regions at once (the holder decides, the
    receiver asks), each read through its own id, so a re-gridding moving either keeps it."""

    person = fields.ForeignKeyField("gridhub.Person", related_name=False, db_index=True, on_delete=fields.CASCADE)
    from_region = fields.ForeignKeyField("gridhub.Region", related_name=False, db_index=True,
                                         on_delete=fields.RESTRICT, description="the grid holding the person")
    to_region = fields.ForeignKeyField("gridhub.Region", related_name=False, db_index=True,
                                       on_delete=fields.RESTRICT, description="the grid asking for them")
    place = fields.ForeignKeyField("gridhub.Place", related_name=False, null=True, db_index=True,
                                   on_delete=fields.SET_NULL, description="where they will live, in the receiving grid")
    status = fields.CharField(max_length=16, db_index=True, description="pending, approved or refused")
    requested_by = fields.CharField(max_length=64)
    note = fields.TextField(default="")
    decided_by = fields.CharField(max_length=64, default="")
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.TextField(default="")

    class Meta:
        table = "residence_transfer"
