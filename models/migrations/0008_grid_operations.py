from tortoise import migrations
from tortoise.migrations import operations as ops
from gridhub.models.enums import ResponsibleRole, StaffRole
from tortoise.fields.base import OnDelete
from tortoise import fields

# Grid operations (issue #9): staffing (1+1+N), key-person responsibility (1+3+N), visit
# rules, the reporting grid of events, visit due times and standard address codes.
#
# Tortoise 1.1.9 adds columns with ALTER TABLE ... ADD COLUMN (no table rebuild on SQLite)
# but makes no index for an added column: those two are made here, on both dialects.
ADDED_INDEXES = (("idx_person_visit_due_at", "person", "visit_due_at"),
                 ("idx_event_reported_region_id", "event", "reported_region_id"))


async def add_indexes(apps, schema_editor) -> None:
    for name, table, column in ADDED_INDEXES:
        await schema_editor.client.execute_script(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')


async def drop_indexes(apps, schema_editor) -> None:
    for name, _, _ in ADDED_INDEXES:
        await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [('gridhub', '0007_audit_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KeyPersonResponsibility',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('region', fields.ForeignKeyField('gridhub.Region', source_field='region_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('region_path', fields.CharField(db_index=True, max_length=255)),
                ('key_person', fields.ForeignKeyField('gridhub.Person', source_field='key_person_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(db_index=True, description='CADRE: cadre\nPOLICE: police\nGRID_WORKER: grid_worker\nFAMILY: family\nVOLUNTEER: volunteer\nOTHER: other', enum_type=ResponsibleRole, max_length=16)),
                ('name', fields.CharField(default='', max_length=64)),
                ('user', fields.ForeignKeyField('gridhub.User', source_field='user_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('person', fields.ForeignKeyField('gridhub.Person', source_field='person_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('started_on', fields.DateField()),
                ('ended_on', fields.DateField(null=True, db_index=True)),
            ],
            options={'table': 'key_person_responsibility', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'A staff member responsible for a key person (重点人员) from started_on to ended_on.'},
            bases=['RegionalRow'],
        ),
        ops.CreateModel(
            name='StaffAssignment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('region', fields.ForeignKeyField('gridhub.Region', source_field='region_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('region_path', fields.CharField(db_index=True, max_length=255)),
                ('role', fields.CharEnumField(db_index=True, description='LEADER: leader\nWORKER: worker\nPOLICE: police\nPARTY_MEMBER: party_member\nVOLUNTEER: volunteer\nLIAISON: liaison', enum_type=StaffRole, max_length=16)),
                ('name', fields.CharField(default='', max_length=64)),
                ('user', fields.ForeignKeyField('gridhub.User', source_field='user_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('person', fields.ForeignKeyField('gridhub.Person', source_field='person_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('started_on', fields.DateField()),
                ('ended_on', fields.DateField(null=True, db_index=True)),
            ],
            options={'table': 'staff_assignment', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': "One member of a grid's staff from started_on to ended_on (open while null). The member"},
            bases=['RegionalRow'],
        ),
        ops.CreateModel(
            name='VisitRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tag', fields.CharField(unique=True, max_length=64)),
                ('every_days', fields.IntField()),
            ],
            options={'table': 'visit_rule', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'How often the persons with a tag are visited (走访): every every_days days. The tag'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Event',
            name='reported_region',
            field=fields.ForeignKeyField('gridhub.Region', source_field='reported_region_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Person',
            name='last_visited_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Person',
            name='visit_due_at',
            field=fields.DatetimeField(null=True, db_index=True, description='when the next visit (走访) is due, by the visit rules', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Place',
            name='address_code',
            field=fields.CharField(null=True, unique=True, description="standard address code (一标), the QR code's content", max_length=40),
        ),
        ops.RunPython(add_indexes, drop_indexes),
    ]
