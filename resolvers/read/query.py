"""The one place every read starts: rows of a kind that exist and that the scope allows."""

from __future__ import annotations

from tortoise import connections

from gridhub.policies.predicate import TRUE, IsNull, Pred, and_
from gridhub.policies.scope import Scope

from gridhub.resolvers.kinds import kind_of


def visible(scope: Scope, kind: str, action: str = "read") -> Pred:
    """The predicate of rows of `kind` the caller may `action`: live rows within the scope."""
    k = kind_of(kind)
    where = scope.where(kind, action) if k.scoped else TRUE
    return and_(IsNull("deleted_at"), where) if k.soft_deleted else where


def rows(scope: Scope, kind: str, where: Pred = TRUE, action: str = "read"):
    """A Tortoise queryset of the visible rows of `kind` matching `where`."""
    return kind_of(kind).model.filter(and_(visible(scope, kind, action), where).to_q())


def sql_dialect() -> str:
    """The dialect hand-built SQL is written for: "postgres" or "sqlite"."""
    return "postgres" if connections.get("default").capabilities.dialect == "postgres" else "sqlite"
