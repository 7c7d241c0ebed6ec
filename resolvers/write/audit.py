"""The one audit hook: every entry the hub writes of an edit, a lookup or an export goes
through `record_change`, in the caller's transaction. `tests/test_layers.py` holds every other
module to it. Two kinds of entries are written as SQL instead, each in one statement for
many rows: the sensitive reads of a request (`context.flush_audit`, `sqlread/render.py`) and
the rows a re-gridding moves (`regrid._Mover.record_bumps`); the policy store, a layer below,
writes its own edits' entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridhub import models

from gridhub.resolvers.runtime.names import camel


async def record_change(actor: str, action: str, kind: str, row: Any = None, data: dict | None = None, *,
                        object_id: str | None = None, region_path: str | None = None, field: str = "",
                        detail: dict | None = None, at: datetime | None = None,
                        using_db: Any = None) -> models.AuditEntry:
    """Who did what to which row. An edit of `row` names the fields `data` set, never their
    values, which may be identity numbers; it is filed at the row's region. The rest is for
    entries of other shapes: `object_id` for a thing that is not a row (a tag, a path, a
    user's name), `region_path` where the entry is filed when the row has no region of its own
    (a membership: its organisation's) or there is no row, `field` a single field read or
    tried, `detail` what the entry records besides (never a sensitive value, unless it is the
    value tried in a lookup), `at` the stamp of an operation, `using_db` its connection."""
    if detail is None:
        detail = {"fields": sorted(camel(name) for name in data)} if data else {}
    if object_id is None:
        object_id = str(row.id) if row is not None else ""
    if region_path is None:
        region_path = getattr(row, "region_path", "") or ""
    extra: dict[str, Any] = {"at": at} if at is not None else {}
    return await models.AuditEntry.create(actor=actor, action=action, object_kind=kind, object_id=object_id,
                                          field=field, region_path=region_path, detail=detail, using_db=using_db,
                                          **extra)
