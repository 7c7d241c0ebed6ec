"""Seed programmes of grid work (issue 22): joint-household units (双联户), party service posts
(先锋驿站) and volunteer activities with their hours. Each is a regional row, so a scope reaches
it by its region's path like any other kind (a unit by its head household's grid, a post and
an activity by their organisation's region)."""

from tortoise import fields

from .base import RegionalRow, Row


class JointHouseholdUnit(RegionalRow):
    """双联户: households that look out for each other, led by a head household (联户长户).
    Its households point at it (`Household.joint_unit`); the head is one of them."""

    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64, default="", db_default="")
    head_household = fields.ForeignKeyField("gridhub.Household", related_name=False, db_index=True,
                                            on_delete=fields.RESTRICT)

    class Meta:
        table = "joint_household_unit"


class ServicePost(RegionalRow):
    """先锋驿站: a party organisation's service post, open to residents at a place."""

    organisation = fields.ForeignKeyField("gridhub.Organisation", related_name=False, db_index=True,
                                          on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    place = fields.ForeignKeyField("gridhub.Place", related_name=False, null=True, db_index=True,
                                   on_delete=fields.SET_NULL)
    services = fields.CharField(max_length=255, default="", db_default="")
    opening_hours = fields.CharField(max_length=64, default="", db_default="")

    class Meta:
        table = "service_post"


class VolunteerActivity(RegionalRow):
    """A volunteer activity an organisation held on a day, with who took part and for how long."""

    organisation = fields.ForeignKeyField("gridhub.Organisation", related_name=False, db_index=True,
                                          on_delete=fields.CASCADE)
    title = fields.CharField(max_length=128)
    held_on = fields.DateField(db_index=True)
    place = fields.ForeignKeyField("gridhub.Place", related_name=False, null=True, db_index=True,
                                   on_delete=fields.SET_NULL)

    class Meta:
        table = "volunteer_activity"


class VolunteerHours(Row):
    """One participant's hours in an activity (reached only through the activity)."""

    activity = fields.ForeignKeyField("gridhub.VolunteerActivity", related_name=False, db_index=True,
                                      on_delete=fields.CASCADE)
    person = fields.ForeignKeyField("gridhub.Person", related_name=False, db_index=True, on_delete=fields.CASCADE)
    hours = fields.DecimalField(max_digits=5, decimal_places=1)

    class Meta:
        table = "volunteer_hours"
        unique_together = (("activity", "person"),)
