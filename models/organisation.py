from tortoise import fields

from .base import RegionalRow, Row
from .enums import OrganisationKind


class Organisation(RegionalRow):
    """组织: party organisations, enterprises, social organisations, property companies, …"""

    credit_code = fields.CharField(max_length=18, unique=True, null=True)
    name = fields.CharField(max_length=128, db_index=True)
    kind = fields.CharEnumField(OrganisationKind, max_length=24, db_index=True)
    legal_representative = fields.CharField(max_length=64, default="")
    place = fields.ForeignKeyField(
        "gridhub.Place", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "organisation"


class Membership(Row):
    """A person's place in an organisation.

    A person holds a role there once at a time: one open membership (not ended, not deleted)
    per organisation, person and role, kept by a partial unique index (migration 0024; tortoise
    cannot declare one). The ended ones stay as the record of earlier terms, so a person who
    left may take the role up again."""

    organisation = fields.ForeignKeyField(
        "gridhub.Organisation", related_name=False, db_index=True, on_delete=fields.CASCADE
    )
    person = fields.ForeignKeyField("gridhub.Person", related_name=False, db_index=True, on_delete=fields.CASCADE)
    role = fields.CharField(max_length=64, default="member")
    started_on = fields.DateField(null=True)
    ended_on = fields.DateField(null=True)

    class Meta:
        table = "membership"
