"""The Scope: what one caller may do, as one predicate per (kind, action).

Every read path asks `scope.where(kind, action)` and pushes the answer into SQL; nothing
checks rows one by one. Deny by default: a (kind, action) the scope does not name is FALSE.
The policy compiler that builds scopes from Casbin grants is `policies/compiler.py`; an
unrestricted scope serves the CLI and internal jobs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .predicate import FALSE, TRUE, Pred

KINDS = ("region", "person", "household", "place", "event", "thing", "organisation")
ACTIONS = ("read", "create", "update", "delete", "export")


@dataclass(frozen=True)
class Scope:
    rules: dict[tuple[str, str], Pred] = field(default_factory=dict)
    unmasked_fields: frozenset[str] = frozenset()
    unrestricted: bool = False

    def where(self, kind: str, action: str = "read") -> Pred:
        if self.unrestricted:
            return TRUE
        return self.rules.get((kind, action), FALSE)

    def may_read_field(self, kind: str, field_name: str) -> bool:
        return self.unrestricted or f"{kind}.{field_name}" in self.unmasked_fields

    @property
    def hash(self) -> str:
        """Stable across processes: cache keys for this scope carry it."""
        if self.unrestricted:
            return "unrestricted"
        items = sorted((k, repr(p.key())) for k, p in self.rules.items())
        text = repr((items, sorted(self.unmasked_fields)))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def everything(cls) -> Scope:
        return cls(unrestricted=True)
