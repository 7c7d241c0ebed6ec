from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('gridhub', '0002_access')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='supervised_at',
            field=fields.DatetimeField(null=True, description='when supervision (督办) was last added', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='EventLog',
            name='attachments',
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
