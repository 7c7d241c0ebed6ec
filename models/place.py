from tortoise import fields
from tortoise.models import Model

from .base import RegionalRow
from .enums import PlaceKind


class Place(RegionalRow):
    """地: a standard address (一标) and what stands there."""

    code = fields.CharField(max_length=40, unique=True, description="standard address code")
    name = fields.CharField(max_length=128, db_index=True)
    kind = fields.CharEnumField(PlaceKind, max_length=16, db_index=True)
    usage = fields.CharField(max_length=64, default="")
    address = fields.CharField(max_length=255, default="")
    compound = fields.CharField(max_length=64, default="")
    building = fields.CharField(max_length=16, default="")
    unit = fields.CharField(max_length=16, default="")
    floor = fields.CharField(max_length=16, default="")
    room = fields.CharField(max_length=16, default="")
    owner_name = fields.CharField(max_length=64, default="")
    landlord = fields.ForeignKeyField(
        "gridhub.Person", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    longitude = fields.FloatField(null=True)
    latitude = fields.FloatField(null=True)
    address_code = fields.CharField(max_length=40, null=True, unique=True,
                                    description="standard address code (一标), the QR code's content")
    parent = fields.ForeignKeyField(
        "gridhub.Place", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL,
        description="the place it lies in: a room's unit, a unit's building, a building's compound")

    class Meta:
        table = "place"


class PlaceTree(Model):
    """The closure of the place tree (小区 → 楼栋 → 单元 → 房屋): one row for each place and
    each of its ancestors, itself included at depth 0, so "everything under this building"
    is one indexed join however deep the tree (resolvers.domain.place_tree keeps it)."""

    id = fields.BigIntField(primary_key=True)
    ancestor = fields.ForeignKeyField("gridhub.Place", related_name=False, db_index=True,
                                      on_delete=fields.CASCADE)
    place = fields.ForeignKeyField("gridhub.Place", related_name=False, db_index=True, on_delete=fields.CASCADE)
    depth = fields.IntField()

    class Meta:
        table = "place_tree"
        unique_together = (("ancestor", "place"),)
