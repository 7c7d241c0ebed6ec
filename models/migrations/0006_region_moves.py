from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# Where rows moved between regions, for the tombstones of incremental pulls (issue #6).

class Migration(migrations.Migration):
    dependencies = [('gridhub', '0005_prefix_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RegionMove',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(description='person, place, event, ...', max_length=32)),
                ('row_id', fields.BigIntField()),
                ('from_path', fields.CharField(max_length=255)),
                ('to_path', fields.CharField(max_length=255)),
                ('moved_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'region_move', 'app': 'gridhub', 'indexes': [Index(fields=['kind', 'row_id'])], 'pk_attr': 'id', 'table_description': 'A row of a regional kind changed region: from one materialized path to another.'},
            bases=['Model'],
        ),
    ]
