"""What every stored kind has: timestamps for incremental sync, soft delete, a version for
optimistic concurrency, and (for rows that live somewhere) the region and its path."""

from tortoise import fields
from tortoise.models import Model


class Row(Model):
    id = fields.BigIntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)
    deleted_at = fields.DatetimeField(null=True, db_index=True)
    version = fields.IntField(default=1)

    class Meta:
        abstract = True


class RegionalRow(Row):
    """A row that belongs to one region. region_path copies the region's path so that a
    scope (a set of subtrees) is a prefix match on an indexed column of the row itself."""

    region = fields.ForeignKeyField("gridhub.Region", related_name=False, db_index=True, on_delete=fields.RESTRICT)
    region_path = fields.CharField(max_length=255, db_index=True)

    class Meta:
        abstract = True
