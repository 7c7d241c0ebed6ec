"""The floating population's registrations lapse (issue 22): a stay's `expires_on`. The open
stays of floating and overseas persons a database holds become registrations from the day
they started, so those older than a year are due for renewal at once, as they would be."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

REGISTRATION_DAYS = 365  # resolvers.domain.residence.REGISTRATION_DAYS when this was written


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    # an added column gets no index from tortoise (see 0008)
    await client.execute_script('CREATE INDEX IF NOT EXISTS "idx_residence_expires_on" ON "residence" ("expires_on")')
    postgres = client.capabilities.dialect == "postgres"
    later = f"started_on + {REGISTRATION_DAYS}" if postgres else f"date(started_on, '+{REGISTRATION_DAYS} days')"
    await client.execute_script(
        f"UPDATE residence SET expires_on = {later} WHERE ended_on IS NULL AND deleted_at IS NULL AND person_id IN "
        "(SELECT id FROM person WHERE population_type IN ('floating', 'overseas'))")


async def backward(apps, schema_editor) -> None:
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "idx_residence_expires_on"')


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0017_identity_documents")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Residence",
            name="expires_on",
            field=fields.DateField(null=True, db_index=True),
        ),
        ops.RunPython(forward, backward),
    ]
