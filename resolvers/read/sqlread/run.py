"""Running compiled reads: plans cached per (operation, scope, policy version), one
statement per root field, and the audit of what was revealed.

Python does no per-row work: the JSON text the database built goes into the response as
it is (raw.RawJSON, spliced by the response encoder), neither parsed nor encoded again. On
PostgreSQL the statement writes its own
audit entries (a data-modifying CTE, render.py); on SQLite it returns what it revealed and
Python notes it, as `RequestContext.reveal` does on the resolver path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from tortoise import connections

from gridhub.policies.predicate import Pred, and_
from gridhub.policies.scope import Scope

from gridhub.resolvers.runtime.lru import ByteLRU
from gridhub.resolvers.read.query import visible
from gridhub.resolvers.read.sqlread.dialect import Sql, dialect, prepare_connection
from gridhub.resolvers.read.sqlread.plan import Plan, RootField
from gridhub.resolvers.read.sqlread.raw import RawJSON
from gridhub.resolvers.read.sqlread.render import ACTOR, bind, render_root


STATEMENTS_BYTES = 256 << 10  # the rendered statements one plan keeps, by its arguments


@dataclass
class NestedRequest:
    """One relation connection below a root as asked (its PageRel's slot): page size, order
    (normalised) and cursor condition."""

    first: int
    order: tuple
    after: Pred | None

    def key(self) -> tuple:
        return self.first, self.order, self.after.key() if self.after else None


@dataclass
class RootRequest:
    """One root connection as asked: the caller's filter (already compiled), order (already
    normalised), page size and cursor condition, and its nested relation connections'."""

    root: RootField
    where: Pred
    order: tuple
    first: int
    after: Pred | None
    nested: list[NestedRequest] = field(default_factory=list)


@dataclass(frozen=True)
class RevealedRow:
    """What `RequestContext.note_sensitive_read` needs of a row."""

    id: int
    region_path: str


def statement(d: Sql, scope: Scope, plan: Plan, index: int, request: RootRequest) -> Frag:
    if plan.statements is None:
        plan.statements = ByteLRU(STATEMENTS_BYTES)
    cache = plan.statements
    key = (d.name, index, request.where.key(), request.after.key() if request.after else None,
           request.order, request.first, tuple(n.key() for n in request.nested))
    frag = cache.get(key)
    if frag is None:
        count_where = and_(visible(scope, request.root.kind), request.where)
        page_where = and_(count_where, request.after) if request.after else count_where
        frag = render_root(d, scope, request.root, page_where, count_where, request.order, request.first,
                           request.after is not None, request.nested)
        frag = bind(d, frag)
        cache.put(key, frag)
    return frag


async def compiled_result(scope: Scope, plan: Plan, requests: list[RootRequest], context: Any) -> dict:
    """The `data` of the operation, one statement per root field, each field's value the
    database's JSON text (RawJSON); audit notes are added to `context` only once every
    statement has answered."""
    d = Sql(dialect())
    await prepare_connection(d)
    client = connections.get("default")
    data, revealed = {}, []
    for index, request in enumerate(requests):
        frag = statement(d, scope, plan, index, request)
        params = [context.username if p is ACTOR else p for p in frag.params]
        row = (await client.execute_query_dict(frag.text, params))[0]
        data[request.root.key] = RawJSON(row["data"])
        if row["audit"]:  # SQLite's: what Python notes (PostgreSQL's statement writes its own)
            revealed.extend(orjson.loads(row["audit"]))
    for kind, field_name, row_id, path in revealed:
        context.note_sensitive_read(kind, field_name, RevealedRow(row_id, path))
    return data
