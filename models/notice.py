"""What tells a holder that an event was handed to it (issue 21): a notice per hand-over,
its read marks per user, and the department systems' webhooks with their delivery log."""

from tortoise import fields
from tortoise.models import Model

from .base import Row


class Notice(Model):
    """One hand-over as its new holder is told of it: dispatched, returned or escalated to
    it, urged, or due soon. The holder is a region (a tier's centre, a grid) or a department.
    Or a reminder to the grid holding a person: its residence registration (居住登记) is due
    for renewal (`renewal_due`, `due_at` the day it lapses)."""

    id = fields.BigIntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    event = fields.ForeignKeyField("gridhub.Event", related_name=False, null=True, db_index=True,
                                   on_delete=fields.CASCADE, description="the event handed over; null for a transfer")
    # a transfer of residence (迁入/迁出) is told to the grid holding the person, and its
    # decision to the grid that asked; a registration coming due (居住登记) to the grid holding
    # the person: notices of people, not of events
    transfer = fields.ForeignKeyField("gridhub.ResidenceTransfer", related_name=False, null=True, db_index=True,
                                      on_delete=fields.CASCADE, description="the transfer asked or decided")
    person = fields.ForeignKeyField("gridhub.Person", related_name=False, null=True, db_index=True,
                                    on_delete=fields.CASCADE,
                                    description="the person a renewal_due notice is about")
    kind = fields.CharField(max_length=16, description="dispatched, returned, escalated, urged, due_soon, "
                                                       "transfer_asked, transfer_done or renewal_due")
    action = fields.CharField(max_length=32, description="the workflow step that made it (due_soon: none)")
    actor = fields.CharField(max_length=64, default="")
    region = fields.ForeignKeyField("gridhub.Region", related_name=False, null=True, db_index=True,
                                    on_delete=fields.CASCADE, description="the holder told, when a region")
    department = fields.ForeignKeyField("gridhub.Department", related_name=False, null=True, db_index=True,
                                        on_delete=fields.CASCADE, description="the holder told, when a department")
    due_at = fields.DatetimeField(null=True, description="the event's due time when the notice was made; "
                                                         "renewal_due: when the registration lapses")
    note = fields.TextField(default="")

    class Meta:
        table = "notice"


class NoticeRead(Model):
    """A user has read a notice: read state is each user's own, a holder has several staff."""

    id = fields.BigIntField(primary_key=True)
    notice = fields.ForeignKeyField("gridhub.Notice", related_name=False, db_index=True, on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("gridhub.User", related_name=False, db_index=True, on_delete=fields.CASCADE)
    read_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notice_read"
        unique_together = (("notice", "user"),)


class Webhook(Row):
    """A department system's address: each hand-over to the department is POSTed to it,
    signed with the secret (HMAC-SHA256), which is shown once when registered."""

    department = fields.ForeignKeyField("gridhub.Department", related_name=False, db_index=True,
                                        on_delete=fields.CASCADE)
    url = fields.CharField(max_length=500)
    secret = fields.CharField(max_length=128)
    created_by = fields.CharField(max_length=64)

    class Meta:
        table = "webhook"


class WebhookDelivery(Model):
    """One POST of one notice to one webhook, tried until it is answered 2xx or given up."""

    id = fields.BigIntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    webhook = fields.ForeignKeyField("gridhub.Webhook", related_name=False, db_index=True, on_delete=fields.CASCADE)
    notice = fields.ForeignKeyField("gridhub.Notice", related_name=False, null=True, db_index=True,
                                    on_delete=fields.SET_NULL)
    body = fields.TextField(description="the JSON POSTed, the same bytes at every attempt")
    status = fields.CharField(max_length=16, db_index=True, description="pending, delivered or failed")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_attempt_at = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.TextField(default="")
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
