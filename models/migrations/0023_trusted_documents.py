from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# Trusted documents (issue 20): the operations frontend teams register, by the SHA-256 of
# their text. The primary key is the hash: registering the same text twice is one row.
# Registering one takes `document` + `create` at the county, the policy admin's by default.

from ._policy_lines import add_default_lines, remove_default_lines, runner

LINES = (("policy_admin", "document", "create", "allow"), ("policy_admin", "document", "delegate", "allow"))


async def forward(apps, schema_editor) -> None:
    await add_default_lines(runner(schema_editor), LINES)


async def backward(apps, schema_editor) -> None:
    await remove_default_lines(runner(schema_editor), LINES)


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0022_registers_programmes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="TrustedDocument",
            fields=[
                ("sha256", fields.CharField(primary_key=True, unique=True, db_index=True,
                                            description="hex SHA-256 of the text (UTF-8)", max_length=64)),
                ("body", fields.TextField(description="the document's text, exactly as hashed", unique=False)),
                ("name", fields.CharField(default="", description="its operation's name, for people",
                                          max_length=128)),
                ("registered_by", fields.CharField(max_length=64)),
                ("registered_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "trusted_document", "app": "gridhub", "pk_attr": "sha256",
                     "table_description": "One registered GraphQL document. Never changed: a new text is a new hash."},
            bases=["Model"],
        ),
        ops.RunPython(forward, backward),
    ]
