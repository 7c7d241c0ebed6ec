"""One connection type factory for every kind: Relay-style cursor pages with `totalCount`,
typed filters and `orderBy`, resolved by `resolvers.pagination`."""

from enum import Enum
from functools import cache
from typing import Any, Generic, Optional, TypeVar

import strawberry
from strawberry.types import Info

from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.filters import compile_filter
from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.pagination import Page, clamp_first, fetch_page

from .ids import decode_id

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: Optional[str]
    end_cursor: Optional[str]


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _page: strawberry.Private[Page]

    @strawberry.field
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]

    @strawberry.field(description="Rows matching the filter within your scope, over all pages.")
    async def total_count(self) -> int:
        return await self._page.count()


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@cache
def order_input(kind: str, type_name: str):
    """`<Type>OrderField` (the kind's sortable columns) and `<Type>Order { field, direction }`."""
    columns = kind_of(kind).order_columns
    field_enum = strawberry.enum(
        Enum(f"{type_name}OrderField", {c.upper(): c for c in columns}),
        description=f"Columns {type_name} lists can be ordered by; `id` breaks ties.",
    )
    namespace = {
        "__annotations__": {"field": field_enum, "direction": OrderDirection},
        "direction": OrderDirection.ASC,
    }
    return strawberry.input(type(f"{type_name}Order", (), namespace))


async def filter_spec(info: Info, value: Any) -> dict:
    """A filter input as the plain dict `resolvers.filters` takes; a `region` id becomes
    that region's subtree (an unknown or invisible region is bad input)."""
    if value is None:
        return {}
    spec = {k: v for k, v in vars(value).items() if v is not None and v is not strawberry.UNSET}
    region = spec.pop("region", None)
    if region is not None:
        row = await info.context.loaders.one("region", decode_id(region, "Region", "region"))
        if row is None:
            raise BadInput("no region with this id", field="region")
        spec["region_path"] = row.region_path
    return spec


def connection_field(kind: str, node_type: type, filter_type: type, *, subtree: bool = False,
                     description: str = ""):
    """The field `<kinds>(first, after, filter, orderBy)`; with `subtree`, the rows under
    the parent region (`Region.persons`, …)."""
    order_type = order_input(kind, node_type.__name__)

    async def resolve(
        root,
        info: Info,
        first: Optional[int] = None,
        after: Optional[str] = None,
        filter: Optional[filter_type] = None,
        order_by: Optional[list[order_type]] = None,
    ) -> Connection[node_type]:
        settings = info.context.settings
        size = clamp_first(first, settings.default_page_size, settings.max_page_size)
        order = tuple((o.field.value, o.direction is OrderDirection.DESC) for o in order_by or ()) or None
        where = compile_filter(kind, await filter_spec(info, filter), info.context.scope,
                               now=info.context.loaders.answered_at, order=order)
        if subtree:
            loader = info.context.loaders.subtree_pages(kind, where, order, size, after)
            page = await loader.load(root.region_path)
        else:
            page = await fetch_page(info.context.scope, kind, where, order, size, after)
        edges = [Edge(node=row, cursor=c) for row, c in zip(page.rows, page.cursors)]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            _page=page,
        )

    return strawberry.field(resolver=resolve, description=description or None)
