from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('gridhub', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('actor', fields.CharField(db_index=True, max_length=64)),
                ('action', fields.CharField(db_index=True, max_length=32)),
                ('object_kind', fields.CharField(db_index=True, max_length=32)),
                ('object_id', fields.CharField(default='', max_length=255)),
                ('field', fields.CharField(default='', max_length=64)),
                ('region_path', fields.CharField(default='', db_index=True, max_length=255)),
                ('detail', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'Append-only: who did or read what, when. Never updated or deleted by the hub.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CasbinRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ptype', fields.CharField(max_length=8)),
                ('v0', fields.CharField(default='', max_length=255)),
                ('v1', fields.CharField(default='', max_length=255)),
                ('v2', fields.CharField(default='', max_length=255)),
                ('v3', fields.CharField(default='', max_length=255)),
                ('v4', fields.CharField(default='', max_length=255)),
                ('v5', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'casbin_rule', 'app': 'gridhub', 'unique_together': (('ptype', 'v0', 'v1', 'v2', 'v3', 'v4', 'v5'),), 'pk_attr': 'id', 'table_description': 'One Casbin policy line (p or g). Every query filters by ptype.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('version', fields.BigIntField(default=1)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'policy_state', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'A single row whose version every policy edit bumps. Processes compare it to reload.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(default='', max_length=64)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('department', fields.ForeignKeyField('gridhub.Department', source_field='department_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('is_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'app_user', 'app': 'gridhub', 'pk_attr': 'id'},
            bases=['Row'],
        ),
        ops.CreateModel(
            name='ServiceToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('user', fields.ForeignKeyField('gridhub.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('prefix', fields.CharField(max_length=12)),
                ('created_by', fields.CharField(max_length=64)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_token', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': "A long-lived token for a department's system. Only its SHA-256 is stored."},
            bases=['Row'],
        ),
    ]
