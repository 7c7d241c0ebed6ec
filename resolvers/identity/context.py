"""What one request carries: the caller, their compiled scope and loaders, built once, and
the audit entries of sensitive reads, written once at the end."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise import connections

from gridhub.policies.sensitivity import governing
from gridhub.policies.scope import Scope
from gridhub.settings import Settings

from gridhub.resolvers.read.loaders import Loaders
from gridhub.resolvers.read.query import sql_dialect


@dataclass
class RequestContext:
    scope: Scope
    settings: Settings
    loaders: Loaders = field(init=False)
    request: Any = None
    response: Any = None
    user: Any = None  # models.User, or None before sign-in
    auth_error: Exception | None = None  # a token was sent but refused
    store: Any = None  # policies.store.PolicyStore
    answers: Any = None  # resolvers.runtime.cache.AnswerCache
    broadcast: Any = None  # the subscribers' group (event_bus.Group) this context executes for
    trusted_documents: Any = None  # resolvers.identity.trusted_documents.TrustedDocuments (over HTTP and WebSocket)
    _sensitive_reads: dict = field(default_factory=dict)

    def __post_init__(self):
        self.loaders = Loaders(self.scope)

    @property
    def username(self) -> str:
        return self.user.username if self.user else "anonymous"

    def reveal(self, kind: str, field_name: str, row: Any, value: Any) -> Any:
        """A field's value as this caller may see it (policies.sensitivity): a sensitive value,
        or one derived from it, whole (and audited) where granted on this row's region, masked
        elsewhere; a plain field as it is. The audit names the sensitive value (a birth date
        read is a read of the identity number it comes from)."""
        sensitive = governing(kind, field_name)
        if value is None or sensitive is None:
            return value
        mask = sensitive.fields[field_name]
        if not mask.conceals(value):
            return value
        if not self.scope.sees_unmasked(kind, sensitive.name, row):
            return mask.python(value, row)
        self.note_sensitive_read(kind, sensitive.name, row)
        return value

    def note_sensitive_read(self, kind: str, field_name: str, row: Any) -> None:
        self._sensitive_reads[(kind, row.id, field_name)] = row.region_path

    async def flush_audit(self) -> None:
        """The sensitive reads noted since the last flush, audited for each reader: the
        caller, or every member a group's result went to."""
        if not self._sensitive_reads:
            return
        readers = self.broadcast.readers() if self.broadcast is not None else \
            [self.username] if self.user is not None else []
        reads, self._sensitive_reads = self._sensitive_reads, {}
        for reader in readers:
            await record_sensitive_reads(reader, reads)


# One statement for the whole request, one entry per (kind, field) in it: a county-wide
# list of 500 key persons reveals 1,500 values, and writes three entries, each with the
# revealed rows' ids (`object_ids`) and their region paths alongside (`detail`).
_INSERT_READS = {
    "postgres": (
        "INSERT INTO audit_entry (at, actor, action, object_kind, object_id, field, region_path, detail, object_ids) "
        "SELECT $1, $2, 'read_sensitive', k, '', f, p, d::jsonb, i::jsonb "
        "FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(k, f, p, d, i)"
    ),
    "sqlite": (
        "INSERT INTO audit_entry (at, actor, action, object_kind, object_id, field, region_path, detail, object_ids) "
        "SELECT ?, ?, 'read_sensitive', json_extract(value, '$[0]'), '', json_extract(value, '$[1]'), "
        "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?)"
    ),
}


def holding_region(paths) -> str:
    """The lowest region whose subtree holds every one of `paths`: an entry's `region_path`,
    so that the auditors of that region and above read it. (The compiled path computes the
    same in SQL: resolvers.read.sqlread.render.AUDIT_REGION.)"""
    low, high = min(paths), max(paths)  # their common prefix is every path's
    same = 0
    for a, b in zip(low, high):
        if a != b:
            break
        same += 1
    return low[:low.rfind("/", 0, same) + 1] if same < len(low) else low


def audit_entries(reads: dict) -> list[tuple[str, str, str, dict, list]]:
    """(kind, field, region, detail, ids) per (kind, field) of `reads`, the ids ascending."""
    grouped: dict[tuple[str, str], dict] = {}
    for (kind, row_id, field_name), path in reads.items():
        grouped.setdefault((kind, field_name), {})[int(row_id)] = path
    entries = []
    for (kind, field_name), rows in grouped.items():
        ids = sorted(rows)
        paths = [rows[i] for i in ids]
        entries.append((kind, field_name, holding_region(paths), {"region_paths": paths}, ids))
    return entries


async def record_sensitive_reads(actor: str, reads: dict) -> None:
    """Write one `read_sensitive` audit entry per (kind, field) in `reads`, (kind, row id,
    field) -> the row's region path."""
    entries = audit_entries(reads)
    dialect = sql_dialect()
    at = datetime.now(timezone.utc)
    if dialect == "postgres":
        kinds, fields, regions, details, ids = zip(*entries)
        args = [at, actor, list(kinds), list(fields), list(regions), [json.dumps(d) for d in details],
                [json.dumps(i) for i in ids]]
    else:
        args = [at.isoformat(sep=" "), actor, json.dumps(entries)]
    await connections.get("default").execute_query(_INSERT_READS[dialect], args)


_READERS = {
    # the GIN index of migration 0016 answers the containment
    "postgres": "SELECT id FROM audit_entry WHERE action = 'read_sensitive' AND object_kind = $1 AND field = $2 "
                "AND object_ids @> $3::jsonb ORDER BY id",
    "sqlite": "SELECT id FROM audit_entry WHERE action = 'read_sensitive' AND object_kind = ? AND field = ? "
              "AND EXISTS (SELECT 1 FROM json_each(object_ids) WHERE value = ?) ORDER BY id",
}


async def sensitive_reads_of(kind: str, row_id: int, field_name: str) -> list:
    """Who saw this row's sensitive `field_name` whole, and when: its audit entries, oldest first."""
    from gridhub.models import AuditEntry

    dialect = sql_dialect()
    probe = json.dumps([int(row_id)]) if dialect == "postgres" else int(row_id)
    rows = await connections.get("default").execute_query_dict(_READERS[dialect], [kind, field_name, probe])
    return await AuditEntry.filter(id__in=[r["id"] for r in rows]).order_by("id")
