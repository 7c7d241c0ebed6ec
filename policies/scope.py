"""The Scope: what one caller may do, as one predicate per (kind, action).

Every read path asks `scope.where(kind, action)` and pushes the answer into SQL; nothing
checks rows one by one. Deny by default: a (kind, action) the scope does not name is FALSE.
`policies/compiler.py` builds scopes from Casbin grants; an unrestricted scope serves the
CLI and internal jobs. Sensitive fields are "kinds" too: `person.id_number` names the rows
whose identity number the caller may see unmasked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property

from .predicate import FALSE, TRUE, Pred, and_

ACTIONS = ("read", "create", "update", "delete", "export")


@dataclass(frozen=True)
class Scope:
    rules: dict[tuple[str, str], Pred] = field(default_factory=dict)
    who: tuple = ()  # the caller facts facets depend on (department), part of the hash
    unrestricted: bool = False
    # (kind, action, also): asking for `action` on `kind` also needs `also` (see `requiring`)
    narrowing: tuple[tuple[str, str, str], ...] = ()

    def where(self, kind: str, action: str = "read") -> Pred:
        where = self._granted(kind, action)
        for k, a, also in self.narrowing:
            if (k, a) == (kind, action):
                where = and_(where, self._granted(kind, also))
        return where

    def _granted(self, kind: str, action: str) -> Pred:
        if self.unrestricted:
            return TRUE
        return self.rules.get((kind, action), FALSE)

    def requiring(self, also: str, kinds: tuple[str, ...], action: str = "read") -> Scope:
        """This scope where `action` on each of `kinds` needs `also` as well: an export reads
        what the caller may both read and export, through the very code that serves reads.
        Its hash differs, so plans and answers cached for the plain scope are never reused."""
        added = tuple((k, action, also) for k in kinds if (k, action, also) not in self.narrowing)
        return replace(self, narrowing=self.narrowing + added)

    def sees_unmasked(self, kind: str, field_name: str, row) -> bool:
        """Whether the caller was granted this sensitive field on this row (its region)."""
        return self.unrestricted or self.where(f"{kind}.{field_name}").matches(row)

    @cached_property  # a scope is never changed once made; its hash is asked per subscriber per change
    def hash(self) -> str:
        """Stable across processes: cache keys for this scope carry it."""
        if self.unrestricted and not self.narrowing:
            return "unrestricted"
        items = sorted((k, repr(p.key())) for k, p in self.rules.items())
        text = repr((items, self.who, self.unrestricted, self.narrowing) if self.narrowing else (items, self.who))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def everything(cls) -> Scope:
        return cls(unrestricted=True)
