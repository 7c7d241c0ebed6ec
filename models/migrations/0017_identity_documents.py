"""Every resident (issue 22): a person's identity document is a type, a number and the holder's
nationality, unique together. Existing persons hold resident identity numbers of China (the
columns' database defaults). SQLite rebuilds the person table to drop the number's own unique
index."""

from tortoise.migrations import operations as ops
from gridhub.models.enums import IdType
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from ._sqlite_rebuild import TableRebuildingMigration

# SQLite rebuilds person here. This migration once ran as a plain one, and the rebuild
# deleted or unlinked everything referring to a person (tags, memberships, residences, key
# persons' visits, ...) and dropped person's indexes; it now keeps both (_sqlite_rebuild.py).
# Changed after release on purpose: a fresh database ends in the same schema plus the indexes
# the model declares, and an older one no longer loses rows.
class Migration(TableRebuildingMigration):
    dependencies = [("gridhub", "0016_audit_ids_principal_version")]
    rebuilt_tables = ("person",)

    initial = False

    operations = [
        ops.AlterField(
            model_name='Person',
            name='id_number',
            field=fields.CharField(max_length=32),
        ),
        ops.AddField(
            model_name='Person',
            name='id_type',
            field=fields.CharEnumField(default=IdType.RESIDENT_ID, description='RESIDENT_ID: resident_id\nHK_MACAO_RESIDENCE_PERMIT: hk_macao_residence_permit\nTAIWAN_RESIDENCE_PERMIT: taiwan_residence_permit\nHK_MACAO_TRAVEL_PERMIT: hk_macao_travel_permit\nTAIWAN_TRAVEL_PERMIT: taiwan_travel_permit\nPASSPORT: passport\nFOREIGN_PERMANENT_RESIDENCE: foreign_permanent_residence', db_default='resident_id', enum_type=IdType, max_length=32),
        ),
        ops.AddField(
            model_name='Person',
            name='nationality',
            field=fields.CharField(default='CHN', db_default='CHN', max_length=3),
        ),
        ops.AddConstraint(
            model_name='Person',
            constraint=UniqueConstraint(fields=('id_type', 'nationality', 'id_number'), name=None),
        ),
    ]
