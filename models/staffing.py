"""Who serves where: a grid's staff (1+1+N), the staff responsible for a key person (1+3+N)
and how often key persons are visited. Both kinds of assignment are regional rows, so a
re-gridding moves them with their grid or person."""

from tortoise import fields
from tortoise.models import Model

from .base import RegionalRow
from .enums import ResponsibleRole, StaffRole


class Assignment(RegionalRow):
    """Someone serving from started_on to ended_on (open while null): a user, a person of the
    registers, or both, and the name they go by."""

    name = fields.CharField(max_length=64, default="")
    user = fields.ForeignKeyField("gridhub.User", related_name=False, null=True, db_index=True,
                                  on_delete=fields.SET_NULL)
    person = fields.ForeignKeyField("gridhub.Person", related_name=False, null=True, db_index=True,
                                    on_delete=fields.SET_NULL)
    started_on = fields.DateField()
    ended_on = fields.DateField(null=True, db_index=True)

    class Meta:
        abstract = True


class StaffAssignment(Assignment):
    """One member of a grid's staff from started_on to ended_on (open while null). The member
    is a user, a person of the registers, or both. The region is the grid served."""

    role = fields.CharEnumField(StaffRole, max_length=16, db_index=True)

    class Meta:
        table = "staff_assignment"


class KeyPersonResponsibility(Assignment):
    """A staff member responsible for a key person (重点人员) from started_on to ended_on.
    It carries the key person's region, and is shown only where the key tags are."""

    key_person = fields.ForeignKeyField("gridhub.Person", related_name=False, db_index=True,
                                        on_delete=fields.CASCADE)
    role = fields.CharEnumField(ResponsibleRole, max_length=16, db_index=True)

    class Meta:
        table = "key_person_responsibility"


class VisitRule(Model):
    """How often the persons with a tag are visited (走访): every every_days days. The tag
    matches itself and the paths below it. The shortest interval of a person's tags holds."""

    id = fields.IntField(primary_key=True)
    tag = fields.CharField(max_length=64, unique=True)
    every_days = fields.IntField()

    class Meta:
        table = "visit_rule"
