from tortoise import fields

from .base import Row


class EventCategory(Row):
    """A class (safety) or an item (safety/fire) of the event category tree.

    It carries the hours each step of the closed loop may take for its events."""

    path = fields.CharField(max_length=64, unique=True, description="e.g. safety/fire")
    name = fields.CharField(max_length=64)
    parent_path = fields.CharField(max_length=64, null=True, db_index=True, description="null for a class")
    accept_hours = fields.IntField(description="受理: from report to dispatch")
    handle_hours = fields.IntField(description="处置: from dispatch to resolution")
    verify_hours = fields.IntField(description="核查: from resolution to closing")
    department_code = fields.CharField(max_length=64, null=True, description="where it is usually dispatched")
    sort_order = fields.IntField(default=0)

    class Meta:
        table = "event_category"
        ordering = ["sort_order", "path"]
