from tortoise import fields

from .base import RegionalRow
from .enums import ThingKind, ThingStatus


class Thing(RegionalRow):
    """物: a public facility or city component (部件)."""

    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=128, db_index=True)
    kind = fields.CharEnumField(ThingKind, max_length=24, db_index=True)
    status = fields.CharEnumField(ThingStatus, max_length=16, default=ThingStatus.NORMAL, db_index=True)
    owner = fields.ForeignKeyField(
        "gridhub.Organisation", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    department = fields.ForeignKeyField(
        "gridhub.Department", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    place = fields.ForeignKeyField(
        "gridhub.Place", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    longitude = fields.FloatField(null=True)
    latitude = fields.FloatField(null=True)
    last_inspected_at = fields.DatetimeField(null=True)

    class Meta:
        table = "thing"
