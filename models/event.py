from datetime import datetime, timezone

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault

from .base import RegionalRow, Row
from .enums import EventKind, EventSource, EventStatus, Urgency

# The due time of an event nothing is due for (closed, rejected): later than any real one.
NO_DUE = datetime(9999, 1, 1, tzinfo=timezone.utc)


class Event(RegionalRow):
    """事: a dispute, hazard, request or visit record. Its region is the reporting grid."""

    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    kind = fields.CharEnumField(EventKind, max_length=16, db_index=True)
    category = fields.CharField(max_length=64, db_index=True, description="category path")
    source = fields.CharEnumField(EventSource, max_length=16, db_index=True)
    reporter = fields.ForeignKeyField(
        "gridhub.Person", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    reporter_name = fields.CharField(max_length=64, default="")
    occurred_at = fields.DatetimeField(db_index=True)
    place = fields.ForeignKeyField(
        "gridhub.Place", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    longitude = fields.FloatField(null=True)
    latitude = fields.FloatField(null=True)
    urgency = fields.CharEnumField(Urgency, max_length=16, default=Urgency.NORMAL, db_index=True)
    attachments = fields.JSONField(default=list)
    status = fields.CharEnumField(EventStatus, max_length=24, default=EventStatus.REPORTED, db_index=True)
    handling_region = fields.ForeignKeyField(
        "gridhub.Region", related_name=False, null=True, db_index=True, on_delete=fields.RESTRICT
    )
    handling_department = fields.ForeignKeyField(
        "gridhub.Department", related_name=False, null=True, db_index=True, on_delete=fields.RESTRICT
    )
    due_at = fields.DatetimeField(null=True, db_index=True)
    # The deadline columns are written together by resolvers.domain.deadlines.due_columns. The
    # database default fills the rows there are when the column is added, spelled as the
    # SQLite driver spells datetimes (they compare as text there).
    open_due_at = fields.DatetimeField(
        db_default=SqlDefault(f"'{NO_DUE.isoformat(' ')}'"), db_index=True,
        description="due_at while something is due, else the far future (NOT NULL: a keyset order column)")
    due_soon_at = fields.DatetimeField(null=True, db_index=True, description="when the event turns yellow")
    closed_at = fields.DatetimeField(null=True)
    supervised_at = fields.DatetimeField(null=True, description="when supervision (督办) was last added")
    # The corrections (resolvers.domain.workflow): the tier that dispatched the event, whose queue a
    # return goes back to and who decides re-dispatch and extensions; the deadline a handler
    # asked for while an extension waits; the urgings (催办) so far and the last one.
    dispatcher_region = fields.ForeignKeyField(
        "gridhub.Region", related_name=False, null=True, db_index=True, on_delete=fields.RESTRICT)
    requested_due_at = fields.DatetimeField(null=True, description="the deadline asked for (延期)")
    urge_count = fields.IntField(default=0)
    urged_at = fields.DatetimeField(null=True, description="when the event was last urged (催办)")
    satisfaction = fields.IntField(null=True)
    # The grid the event was reported in. Re-gridding moves the event (region) with its place,
    # and this keeps the grid of the report, retired or not, for the history.
    reported_region = fields.ForeignKeyField(
        "gridhub.Region", related_name=False, null=True, db_index=True, on_delete=fields.RESTRICT)

    class Meta:
        table = "event"


class EventPerson(Row):
    event = fields.ForeignKeyField("gridhub.Event", related_name=False, db_index=True, on_delete=fields.CASCADE)
    person = fields.ForeignKeyField("gridhub.Person", related_name=False, db_index=True, on_delete=fields.CASCADE)

    class Meta:
        table = "event_person"
        unique_together = (("event", "person"),)


class EventThing(Row):
    event = fields.ForeignKeyField("gridhub.Event", related_name=False, db_index=True, on_delete=fields.CASCADE)
    thing = fields.ForeignKeyField("gridhub.Thing", related_name=False, db_index=True, on_delete=fields.CASCADE)

    class Meta:
        table = "event_thing"
        unique_together = (("event", "thing"),)


class EventLog(Row):
    """One step of an event's life: who moved it from which state to which, and why."""

    event = fields.ForeignKeyField("gridhub.Event", related_name=False, db_index=True, on_delete=fields.CASCADE)
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=32)
    from_status = fields.CharEnumField(EventStatus, max_length=24, null=True)
    to_status = fields.CharEnumField(EventStatus, max_length=24)
    note = fields.TextField(default="")
    attachments = fields.JSONField(default=list)
    # whom the step handed the event to (a dispatch, a return, an escalation) and what was due
    # after it: the hand-over as the record keeps it
    to_region = fields.ForeignKeyField(
        "gridhub.Region", related_name=False, null=True, db_index=False, on_delete=fields.RESTRICT)
    to_department = fields.ForeignKeyField(
        "gridhub.Department", related_name=False, null=True, db_index=False, on_delete=fields.RESTRICT)
    due_at = fields.DatetimeField(null=True)

    class Meta:
        table = "event_log"
        ordering = ["created_at", "id"]
