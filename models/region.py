from tortoise import fields
from tortoise.models import Model

from .base import Row
from .enums import Tier


# the statistical division code (GB/T 2260 lineage: 6 county + 3 town + 3 village digits);
# grids and micro-grids add digits of their own to their parent's
STATISTICAL_CODE_LENGTH = 12


class Region(Row):
    """A node of the administrative tree: county > town > community/village > grid > micro-grid.

    region_path is the materialized path of segments ending in /, e.g.
    /652123/652123100/652123100001/001/."""

    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128, db_index=True)
    tier = fields.CharEnumField(Tier, max_length=16, db_index=True)
    parent = fields.ForeignKeyField(
        "gridhub.Region", related_name="children", null=True, db_index=True, on_delete=fields.RESTRICT
    )
    region_path = fields.CharField(max_length=255, unique=True)
    depth = fields.IntField(default=0)
    boundary = fields.JSONField(null=True)

    class Meta:
        table = "region"
        ordering = ["region_path"]

    @staticmethod
    def child_path(parent_path: str | None, parent_code: str | None, code: str) -> str:
        """Statistical divisions (county, town, village: codes of up to 12 digits) are named
        by their whole code, grids and micro-grids by the digits they add to their parent's."""
        local = len(code) > STATISTICAL_CODE_LENGTH and parent_code and code.startswith(parent_code)
        return f"{parent_path or '/'}{code[len(parent_code):] if local else code}/"


class Department(Row):
    """A functional department events are dispatched to and that pulls scoped data."""

    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)

    class Meta:
        table = "department"
        ordering = ["code"]


class RegionMove(Model):
    """A row of a regional kind changed region: from one materialized path to another.

    Append-only, written in the transaction of the move. Incremental pulls read it to tell
    a department of rows that left its region (a tombstone), which the row alone no longer
    shows once it lives elsewhere."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32, description="person, place, event, ...")
    row_id = fields.BigIntField()
    from_path = fields.CharField(max_length=255)
    to_path = fields.CharField(max_length=255)
    moved_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "region_move"
        indexes = (("kind", "row_id"),)
