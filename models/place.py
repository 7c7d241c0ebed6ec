from tortoise import fields

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

    class Meta:
        table = "place"
