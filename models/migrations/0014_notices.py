from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# To-do lists and notices (issue 21): a notice per hand-over, its read marks per user, the
# departments' webhooks and their delivery log. An event turns due soon once per due time:
# the sweeps of several processes may find it together, and one unique index keeps a
# single notice of it (INSERT ... ON CONFLICT DO NOTHING on both dialects).
DUE_SOON_ONCE = ('CREATE UNIQUE INDEX IF NOT EXISTS "uidx_notice_due_soon" ON "notice" ("event_id", "due_at") '
                 "WHERE kind = 'due_soon'")


async def add_indexes(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(DUE_SOON_ONCE)


async def drop_indexes(apps, schema_editor) -> None:
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "uidx_notice_due_soon"')


class Migration(migrations.Migration):
    dependencies = [('gridhub', '0013_corrections')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('event', fields.ForeignKeyField('gridhub.Event', source_field='event_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(description='dispatched, returned, escalated, urged or due_soon', max_length=16)),
                ('action', fields.CharField(description='the workflow step that made it (due_soon: none)', max_length=32)),
                ('actor', fields.CharField(default='', max_length=64)),
                ('region', fields.ForeignKeyField('gridhub.Region', source_field='region_id', null=True, db_index=True, description='the holder told, when a region', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('department', fields.ForeignKeyField('gridhub.Department', source_field='department_id', null=True, db_index=True, description='the holder told, when a department', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('due_at', fields.DatetimeField(null=True, description="the event's due time when the notice was made", auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'notice', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'One hand-over as its new holder is told of it: dispatched, returned or escalated to'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRead',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('gridhub.Notice', source_field='notice_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('gridhub.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('read_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notice_read', 'app': 'gridhub', 'unique_together': (('notice', 'user'),), 'pk_attr': 'id', 'table_description': "A user has read a notice: read state is each user's own, a holder has several staff."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Webhook',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('department', fields.ForeignKeyField('gridhub.Department', source_field='department_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=500)),
                ('secret', fields.CharField(max_length=128)),
                ('created_by', fields.CharField(max_length=64)),
            ],
            options={'table': 'webhook', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': "A department system's address: each hand-over to the department is POSTed to it,"},
            bases=['Row'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('webhook', fields.ForeignKeyField('gridhub.Webhook', source_field='webhook_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('notice', fields.ForeignKeyField('gridhub.Notice', source_field='notice_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(description='the JSON POSTed, the same bytes at every attempt', unique=False)),
                ('status', fields.CharField(db_index=True, description='pending, delivered or failed', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('last_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status_code', fields.IntField(null=True)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'One POST of one notice to one webhook, tried until it is answered 2xx or given up.'},
            bases=['Model'],
        ),
        ops.RunPython(add_indexes, drop_indexes),
    ]
