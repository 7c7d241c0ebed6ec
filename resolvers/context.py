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

from .loaders import Loaders
from .query import sql_dialect


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
    answers: Any = None  # resolvers.cache.AnswerCache
    broadcast: Any = None  # the subscribers' group (event_bus.Group) this context executes for
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
        if not self.scope.sees_unmasked(kind, sensitive.name, row):
            return sensitive.fields[field_name].python(value, row)
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


# One statement for the whole request: a county-wide list of 500 key persons reveals 1,500
# values, and row-by-row inserts (or 1,500 ORM objects) cost more than the read itself.
_INSERT_READS = {
    "postgres": (
        "INSERT INTO audit_entry (at, actor, action, object_kind, object_id, field, region_path, detail) "
        "SELECT $1, $2, 'read_sensitive', k, i, f, p, '{}' "
        "FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(k, i, f, p)"
    ),
    "sqlite": (
        "INSERT INTO audit_entry (at, actor, action, object_kind, object_id, field, region_path, detail) "
        "SELECT ?, ?, 'read_sensitive', json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
        "json_extract(value, '$[2]'), json_extract(value, '$[3]'), '{}' FROM json_each(?)"
    ),
}


async def record_sensitive_reads(actor: str, reads: dict) -> None:
    """Write one `read_sensitive` audit entry per (kind, row, field) in `reads`."""
    entries = [(kind, str(row_id), field_name, path) for (kind, row_id, field_name), path in reads.items()]
    dialect = sql_dialect()
    at = datetime.now(timezone.utc)
    if dialect == "postgres":
        columns = [list(column) for column in zip(*entries)]
        args = [at, actor, *columns]
    else:
        args = [at.isoformat(sep=" "), actor, json.dumps(entries)]
    await connections.get("default").execute_query(_INSERT_READS[dialect], args)
