"""The audit trail read from a mark: the trail is append-only, so what an action wrote lies
above the newest entry before it. Tests assert what was written *since* their mark, never
counts of everything an actor ever did (earlier tests add to those)."""

from __future__ import annotations

from gridhub import models


async def audit_mark() -> int:
    """The newest audit entry's id, taken before the action under test."""
    newest = await models.AuditEntry.all().order_by("-id").first()
    return newest.id if newest else 0


async def audit_rows(actor: str, since: int) -> set:
    """(kind, row id, field, region path) of every sensitive value `actor` was shown since the mark."""
    return {(a.object_kind, a.object_id, a.field, a.region_path)
            for a in await models.AuditEntry.filter(actor=actor, action="read_sensitive", id__gt=since)}


async def revealed_since(actor: str, since: int, field: str, kind: str = "person") -> set[int]:
    """The ids of the rows whose `field` was shown to `actor` unmasked since the mark."""
    ids = await models.AuditEntry.filter(actor=actor, action="read_sensitive", object_kind=kind, field=field,
                                         id__gt=since).values_list("object_id", flat=True)
    return {int(i) for i in ids}


async def entries_since(actor: str, since: int, action: str) -> list:
    return await models.AuditEntry.filter(actor=actor, action=action, id__gt=since).order_by("id")
