from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.db_defaults import SqlDefault
from tortoise import fields

# The event category tree (its rows are seeded at first start, not here) and the columns
# of an event's due time. Open events keep the due time they had, as the yellow point too:
# the window it was set for is not known.
class Migration(migrations.Migration):
    dependencies = [('gridhub', '0003_event_workflow')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EventCategory',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('path', fields.CharField(unique=True, description='e.g. safety/fire', max_length=64)),
                ('name', fields.CharField(max_length=64)),
                ('parent_path', fields.CharField(null=True, db_index=True, description='null for a class', max_length=64)),
                ('accept_hours', fields.IntField(description='受理: from report to dispatch')),
                ('handle_hours', fields.IntField(description='处置: from dispatch to resolution')),
                ('verify_hours', fields.IntField(description='核查: from resolution to closing')),
                ('department_code', fields.CharField(null=True, description='where it is usually dispatched', max_length=64)),
                ('sort_order', fields.IntField(default=0)),
            ],
            options={'table': 'event_category', 'app': 'gridhub', 'pk_attr': 'id', 'table_description': 'A class (safety) or an item (safety/fire) of the event category tree.'},
            bases=['Row'],
        ),
        ops.AddField(
            model_name='Event',
            name='due_soon_at',
            field=fields.DatetimeField(null=True, db_index=True, description='when the event turns yellow', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Event',
            name='open_due_at',
            field=fields.DatetimeField(db_index=True, description='due_at while something is due, else the far future (NOT NULL: a keyset order column)', db_default=SqlDefault("'9999-01-01 00:00:00+00:00'"), auto_now=False, auto_now_add=False),
        ),
        ops.RunSQL(
            "UPDATE event SET open_due_at = due_at, due_soon_at = due_at "
            "WHERE due_at IS NOT NULL AND status NOT IN ('closed', 'rejected')",
            reverse_sql=ops.RunSQL.noop,
        ),
    ]
