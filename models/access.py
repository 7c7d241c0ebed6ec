"""Who is signed in and what was done: users, service tokens, Casbin rules, the policy
version and the audit trail."""

from tortoise import fields
from tortoise.models import Model

from .base import Row


class User(Row):
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64, default="")
    password_hash = fields.CharField(max_length=255, null=True)
    department = fields.ForeignKeyField(
        "gridhub.Department", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "app_user"


class ServiceToken(Row):
    """A long-lived token for a department's system. Only its SHA-256 is stored."""

    user = fields.ForeignKeyField("gridhub.User", related_name=False, db_index=True, on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    created_by = fields.CharField(max_length=64)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "service_token"


class CasbinRule(Model):
    """One Casbin policy line (p or g). Every query filters by ptype."""

    id = fields.BigIntField(primary_key=True)
    ptype = fields.CharField(max_length=8)
    v0 = fields.CharField(max_length=255, default="")
    v1 = fields.CharField(max_length=255, default="")
    v2 = fields.CharField(max_length=255, default="")
    v3 = fields.CharField(max_length=255, default="")
    v4 = fields.CharField(max_length=255, default="")
    v5 = fields.CharField(max_length=255, default="")

    class Meta:
        table = "casbin_rule"
        unique_together = (("ptype", "v0", "v1", "v2", "v3", "v4", "v5"),)


class PolicyState(Model):
    """A single row whose version every policy edit bumps. Processes compare it to reload."""

    id = fields.IntField(primary_key=True)
    version = fields.BigIntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "policy_state"


class AuditEntry(Model):
    """Append-only: who did or read what, when. Never updated or deleted by the hub."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor = fields.CharField(max_length=64, db_index=True)
    action = fields.CharField(max_length=32)
    object_kind = fields.CharField(max_length=32)
    object_id = fields.CharField(max_length=255, default="")
    field = fields.CharField(max_length=64, default="")
    region_path = fields.CharField(max_length=255, default="", db_index=True)
    detail = fields.JSONField(default=dict)
    # A sensitive read is one entry per request and field: the ids of the rows whose value
    # was shown, in order (with `detail.region_paths`, each row's path then, alongside), and
    # `region_path` the lowest region holding them all. "Who saw this person's identity
    # number" is answered by a GIN index on PostgreSQL (migration 0016).
    object_ids = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"
        # no index on low-cardinality action or kind alone, but one to answer "who did what
        # to this row" (kind and id) besides time, actor and region
        indexes = (("object_kind", "object_id"),)
