"""Cursor pagination over any kind: keyset, so a page deep in a county's 300,000 persons
costs what the first page costs, and rows inserted meanwhile neither repeat nor vanish.

A cursor is the sort key of the last row it follows (the order columns, then `id`),
base64-encoded JSON; it is only meaningful with the order it was issued for."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from tortoise import connections

from gridhub.policies.predicate import Compare, In, Pred, SqlParams, and_, or_
from gridhub.policies.scope import Scope

from gridhub.resolvers.domain import boundary
from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.kinds import Kind, kind_of
from gridhub.resolvers.read.query import rows, sql_dialect, visible

if TYPE_CHECKING:
    from gridhub.resolvers.relations import Via

Order = tuple[tuple[str, bool], ...]  # (column, descending)


@dataclass
class Page:
    rows: list
    cursors: list[str]
    has_next: bool
    count: Callable[[], Awaitable[int]]


def normalise_order(kind: Kind, order: Order | None) -> Order:
    """The requested order, checked, with `id` appended so that every key is unique."""
    order = tuple(order or kind.default_order)
    for column, _ in order:
        if column not in kind.order_columns and column != "id":
            raise BadInput(f"cannot order {kind.name} by {column}", field="orderBy")
    if not any(c == "id" for c, _ in order):
        order = order + (("id", order[-1][1] if order else False),)
    return order


def _encode_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _decode_value(kind: Kind, column: str, value: Any) -> Any:
    typ = kind.order_columns.get(column, int)
    if value is None:
        return None
    if typ is datetime:
        return datetime.fromisoformat(value)
    if typ is date:
        return date.fromisoformat(value)
    return typ(value)


def encode_cursor(row: Any, order: Order) -> str:
    key = [_encode_value(getattr(row, column)) for column, _ in order]
    return base64.urlsafe_b64encode(json.dumps(key, ensure_ascii=False).encode()).decode()


def decode_cursor(kind: Kind, order: Order, cursor: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError
        decoded = [_decode_value(kind, c, v) for (c, _), v in zip(order, values)]
        if any(boundary.value_problem(v) for v in decoded):  # forged: past what a column holds
            raise ValueError
        return decoded
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise BadInput("cursor is not valid for this list and order", field="after") from None


def after_predicate(kind: Kind, order: Order, cursor: str) -> Pred:
    """Rows strictly after the cursor in `order`: (a > x) OR (a = x AND b > y) OR …"""
    values = decode_cursor(kind, order, cursor)
    branches = []
    for i, (column, desc) in enumerate(order):
        equal = [Compare(c, "eq", v) for (c, _), v in zip(order[:i], values[:i])]
        branches.append(and_(*equal, Compare(column, "lt" if desc else "gt", values[i])))
    if len(order) == 1:
        return branches[0]
    # the same rows, with a bound on the first column an index range can start from: without
    # it every page of a long pull by (updated_at, id) scans from the first row again
    first, desc = order[0]
    return and_(Compare(first, "lte" if desc else "gte", values[0]), or_(*branches))


def clamp_first(first: int | None, default: int, maximum: int) -> int:
    if first is None:
        return default
    if first < 0:
        raise BadInput("first must not be negative", field="first")
    if first > maximum:
        raise BadInput(f"first may be at most {maximum}", field="first", maximum=maximum)
    return first


async def fetch_page(
    scope: Scope, kind_name: str, where: Pred, order: Order | None, first: int, after: str | None
) -> Page:
    kind = kind_of(kind_name)
    order = normalise_order(kind, order)
    page_where = and_(where, after_predicate(kind, order, after)) if after else where
    ordering = [("-" if desc else "") + column for column, desc in order]
    fetched = await rows(scope, kind_name, page_where).order_by(*ordering).limit(first + 1) if first else []
    found = list(fetched[:first])

    async def count() -> int:
        return await rows(scope, kind_name, where).count()

    return Page(found, [encode_cursor(r, order) for r in found], len(fetched) > first, count)


def _under_parent(alias: str) -> str:
    """The row lies in the parent region's subtree; written without LIKE so that no
    character of a path acts as a wildcard."""
    return f"substr({alias}.region_path, 1, length(r.region_path)) = r.region_path"


async def fetch_subtree_pages(
    scope: Scope, kind_name: str, parent_paths: list[str], where: Pred, order: Order | None,
    first: int, after: str | None,
) -> dict[str, Page]:
    """The same page of `kind` under each of several regions, in two statements however many
    regions there are: a window query picks each region's ids, then the rows load by id."""
    kind = kind_of(kind_name)
    order = normalise_order(kind, order)
    page_where = and_(visible(scope, kind_name), where)
    if after:
        page_where = and_(page_where, after_predicate(kind, order, after))
    params = SqlParams(sql_dialect())
    paths_sql = ", ".join(params.add(p) for p in parent_paths)
    condition = page_where.to_sql(params, "x")
    ordering = ", ".join(f"x.{c} {'DESC' if d else 'ASC'}" for c, d in order)
    sql = (
        f"SELECT q.id, q.parent_path FROM ("
        f"SELECT x.id AS id, r.region_path AS parent_path, "
        f"ROW_NUMBER() OVER (PARTITION BY r.region_path ORDER BY {ordering}) AS rn "
        f"FROM region r JOIN {kind.model._meta.db_table} x ON {_under_parent('x')} "
        f"WHERE r.region_path IN ({paths_sql}) AND {condition}"
        f") q WHERE q.rn <= {params.add(first + 1)} ORDER BY q.parent_path, q.rn"
    )
    picked = await connections.get("default").execute_query_dict(sql, params.values) if first else []
    by_id = {r.id: r for r in await rows(scope, kind_name, In("id", tuple({p["id"] for p in picked})))}
    grouped: dict[str, list] = {p: [] for p in parent_paths}
    for p in picked:
        if p["id"] in by_id:
            grouped[p["parent_path"]].append(by_id[p["id"]])
    counter = GroupCounter(lambda paths: _count_subtrees(scope, kind_name, where, paths))
    pages = {}
    for path, found in grouped.items():
        shown = found[:first]
        pages[path] = Page(shown, [encode_cursor(r, order) for r in shown], len(found) > first,
                           counter.for_key(path))
    return pages


class GroupCounter:
    """`totalCount` of the connections of a batch (one per region of a list, one per parent
    of a relation): counted for all of them in one statement, on the first that asks."""

    def __init__(self, count_all: Callable[[list], Awaitable[dict]]):
        self.count_all = count_all
        self.keys: list = []
        self._counts: asyncio.Future | None = None

    def for_key(self, key) -> Callable[[], Awaitable[int]]:
        self.keys.append(key)

        async def count() -> int:
            if self._counts is None:
                self._counts = asyncio.ensure_future(self.count_all(list(dict.fromkeys(self.keys))))
            return (await self._counts).get(key, 0)

        return count


async def _count_subtrees(scope: Scope, kind_name: str, where: Pred, paths: list[str]) -> dict[str, int]:
    table = kind_of(kind_name).model._meta.db_table
    params = SqlParams(sql_dialect())
    paths_sql = ", ".join(params.add(p) for p in paths)
    condition = and_(visible(scope, kind_name), where).to_sql(params, "x")
    sql = (f"SELECT r.region_path AS parent_path, COUNT(x.id) AS n FROM region r "
           f"JOIN {table} x ON {_under_parent('x')} "
           f"WHERE r.region_path IN ({paths_sql}) AND {condition} GROUP BY r.region_path")
    found = await connections.get("default").execute_query_dict(sql, params.values)
    return {r["parent_path"]: r["n"] for r in found}


def _relation_source(scope: Scope, via: "Via", params: SqlParams, parent_ids: list[int], where: Pred
                     ) -> tuple[str, str]:
    """FROM … WHERE … of the targets of `via` under any of `parent_ids` (alias `x`) meeting
    `where`, and the expression of the parent id each belongs to."""
    table = kind_of(via.target).model._meta.db_table
    ids_sql = ", ".join(params.add(i) for i in parent_ids)
    if via.link is None:
        return (f"FROM {table} x WHERE x.{via.column} IN ({ids_sql}) AND {where.to_sql(params, 'x')}",
                f"x.{via.column}")
    link_table = kind_of(via.link).model._meta.db_table
    link_where = visible(scope, via.link).to_sql(params, "l")
    return (f"FROM {link_table} l JOIN {table} x ON x.{via.target_column} = l.{via.to_column} WHERE l.{via.column} "
            f"IN ({ids_sql}) AND {link_where} AND {where.to_sql(params, 'x')}", f"l.{via.column}")


async def fetch_relation_pages(scope: Scope, via: "Via", parent_ids: list[int], first: int, after: str | None
                               ) -> dict[int, Page]:
    """The same page of a relation (resolvers.relations) under each of several parents, in
    one window query however many parents there are (their counts take one more, when
    asked). The rows it returns become models as Tortoise's own queries make them."""
    kind = kind_of(via.target)
    order = normalise_order(kind, via.order)
    where = via.target_where(scope)
    page_where = and_(where, after_predicate(kind, order, after)) if after else where
    picked: list = []
    if first:
        params = SqlParams(sql_dialect())
        source, parent = _relation_source(scope, via, params, parent_ids, page_where)
        ordering = ", ".join(f"x.{c} {'DESC' if d else 'ASC'}" for c, d in order)
        sql = (f"SELECT q.* FROM (SELECT x.*, {parent} AS gh_parent, "
               f"ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {ordering}) AS gh_rn {source}) q "
               f"WHERE q.gh_rn <= {params.add(first + 1)} ORDER BY q.gh_parent, q.gh_rn")
        picked = await connections.get("default").execute_query_dict(sql, params.values)
    grouped: dict[int, list] = {i: [] for i in parent_ids}
    for p in picked:
        grouped[p["gh_parent"]].append(kind.model._init_from_db(**p))

    async def count_all(ids: list[int]) -> dict[int, int]:
        params = SqlParams(sql_dialect())
        source, parent = _relation_source(scope, via, params, ids, where)
        sql = f"SELECT {parent} AS gh_parent, COUNT(x.id) AS n {source} GROUP BY {parent}"
        return {r["gh_parent"]: r["n"] for r in await connections.get("default").execute_query_dict(sql, params.values)}

    counter = GroupCounter(count_all)
    pages = {}
    for parent_id, found in grouped.items():
        shown = found[:first]
        pages[parent_id] = Page(shown, [encode_cursor(r, order) for r in shown], len(found) > first,
                                counter.for_key(parent_id))
    return pages
