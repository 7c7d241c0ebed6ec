"""What one request carries: the caller, their compiled scope and loaders, built once, and
the audit entries of sensitive reads, written once at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models import AuditEntry
from policies.masking import MASKS
from policies.scope import Scope
from settings import Settings

from .loaders import Loaders


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
    _sensitive_reads: dict = field(default_factory=dict)

    def __post_init__(self):
        self.loaders = Loaders(self.scope)

    @property
    def username(self) -> str:
        return self.user.username if self.user else "anonymous"

    def reveal(self, kind: str, field_name: str, row: Any, value: Any) -> Any:
        """The value of a sensitive field as this caller may see it: whole (and audited) where
        granted on this row's region, masked elsewhere."""
        if value is None:
            return None
        if not self.scope.sees_unmasked(kind, field_name, row):
            return MASKS[(kind, field_name)](value)
        self.note_sensitive_read(kind, field_name, row)
        return value

    def note_sensitive_read(self, kind: str, field_name: str, row: Any) -> None:
        self._sensitive_reads[(kind, row.id, field_name)] = row.region_path

    async def flush_audit(self) -> None:
        if not self._sensitive_reads or self.user is None:
            return
        reads, self._sensitive_reads = self._sensitive_reads, {}
        await AuditEntry.bulk_create([
            AuditEntry(actor=self.username, action="read_sensitive", object_kind=kind, object_id=str(row_id),
                       field=field_name, region_path=path)
            for (kind, row_id, field_name), path in reads.items()
        ])
