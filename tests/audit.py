"""The audit trail read from a mark: the trail is append-only, so what an action wrote lies
above the newest entry before it. Tests assert what was written *since* their mark, never
counts of everything an actor ever did (earlier tests add to those).

A sensitive read is one entry per request and field holding the revealed rows' ids
(`object_ids`) and their paths (`detail.region_paths`): the helpers unfold it into one
(kind, row, field, path) per value shown, as the trail held them before (migration 0016)."""

from __future__ import annotations

from gridhub import models


async def audit_mark() -> int:
    """The newest audit entry's id, taken before the action under test."""
    newest = await models.AuditEntry.all().order_by("-id").first()
    return newest.id if newest else 0


def unfolded(entry) -> list[tuple[str, str, str, str]]:
    """(kind, row id, field, region path) of each value a `read_sensitive` entry revealed."""
    paths = entry.detail["region_paths"]
    assert len(paths) == len(entry.object_ids), entry.id
    return [(entry.object_kind, str(i), entry.field, p) for i, p in zip(entry.object_ids, paths)]


async def audit_rows(actor: str, since: int) -> set:
    """(kind, row id, field, region path) of every sensitive value `actor` was shown since the mark."""
    return {row for a in await models.AuditEntry.filter(actor=actor, action="read_sensitive", id__gt=since)
            for row in unfolded(a)}


async def revealed_since(actor: str, since: int, field: str, kind: str = "person") -> set[int]:
    """The ids of the rows whose `field` was shown to `actor` unmasked since the mark."""
    entries = await models.AuditEntry.filter(actor=actor, action="read_sensitive", object_kind=kind, field=field,
                                             id__gt=since)
    return {int(row_id) for a in entries for _, row_id, _, _ in unfolded(a)}


async def entries_since(actor: str, since: int, action: str) -> list:
    return await models.AuditEntry.filter(actor=actor, action=action, id__gt=since).order_by("id")
