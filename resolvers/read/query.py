"""The one place every read starts: rows of a kind that exist and that the scope allows."""

from __future__ import annotations

from tortoise import connections

from gridhub.policies.predicate import TRUE, Compare, IsNull, Pred, SqlParams, and_
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


async def visible_value(scope: Scope, kind: str, row_id: int, column: str):
    """`column` of the row `row_id` of `kind` if the caller sees it, else None: the same rows
    as `rows`, in one statement without building an ORM query, for what every request of a
    kind asks (a filter's `region`, whose query building was a fifth of a compiled read's
    CPU)."""
    params = SqlParams(sql_dialect())
    where = and_(visible(scope, kind), Compare("id", "eq", row_id)).to_sql(params, "t")
    found = await connections.get("default").execute_query_dict(
        f'SELECT t.{column} AS value FROM "{kind_of(kind).model._meta.db_table}" t WHERE {where}', params.values)
    return found[0]["value"] if found else None


def sql_dialect() -> str:
    """The dialect hand-built SQL is written for: "postgres" or "sqlite"."""
    return "postgres" if connections.get("default").capabilities.dialect == "postgres" else "sqlite"
