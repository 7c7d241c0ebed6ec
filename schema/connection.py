"""One connection type factory for every kind: Relay-style cursor pages with `totalCount`,
typed filters and `orderBy`, resolved by `resolvers.read.pagination`."""

from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Annotated, Any, Callable, Generic, Optional, TypeVar

import strawberry
from strawberry.relay import to_base64
from graphql import FieldNode, GraphQLField
from graphql.execution.values import get_argument_values
from strawberry.types import Info
from strawberry.types.arguments import convert_arguments

from gridhub.resolvers.read import holders
from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.read.filters import compile_filter
from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.read.pagination import Page, clamp_first, fetch_page
from gridhub.resolvers.read.query import visible_value
from gridhub.policies.predicate import Pred
from gridhub.resolvers.relations import Via
from gridhub.resolvers.domain.vocabulary import check_tag_filters

from .ids import decode_id

T = TypeVar("T")


@strawberry.type(description="Where this page sits in the whole list; pass `endCursor` as `after` for the next.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Rows precede this page (true whenever `after` was given).")
    start_cursor: Optional[str] = strawberry.field(
        description="The cursor of the page's first row; null on an empty page.")
    end_cursor: Optional[str] = strawberry.field(
        description="The cursor of the page's last row, to pass as `after`; null on an empty page.")


@strawberry.type(description="One row of a page, with the cursor that points just after it.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The row.")
    cursor: str = strawberry.field(
        description="Opaque position of this row in the chosen order; pass it as `after` to continue.")


@strawberry.type(description="One page of a list (Relay cursor connection), limited to your scope.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's rows with their cursors, in order.")
    page_info: PageInfo = strawberry.field(description="Whether more pages follow, and the cursors to reach them.")
    _page: strawberry.Private[Page]

    @strawberry.field(description="The page's rows without cursors: the same as `edges { node }`.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]

    @strawberry.field(description="Rows matching the filter within your scope, over all pages.")
    async def total_count(self) -> int:
        return await self._page.count()


def name_the_kinds(schema: strawberry.Schema) -> None:
    """Each `<Type>Connection` and `<Type>Edge` names its kind: strawberry copies the generic
    type's one description into every specialisation, so they are rewritten once the schema
    is built (the GraphQL types are what introspection and `schema.graphql` read)."""
    for graphql_type in schema._schema.type_map.values():
        definition = (getattr(graphql_type, "extensions", None) or {}).get("strawberry-definition")
        generic = getattr(getattr(definition, "concrete_of", None), "origin", None)
        if generic not in (Connection, Edge):
            continue
        node = _type_name(definition.type_var_map["T"])
        if generic is Connection:
            graphql_type.description = f"One page of a {node} list (Relay cursor connection), limited to your scope."
            graphql_type.fields["nodes"].description = f"The page's {node} rows without cursors: `edges {{ node }}`."
        else:
            graphql_type.description = f"One {node} of a page, with the cursor that points just after it."
            graphql_type.fields["node"].description = f"The {node}."


def _type_name(node_type: Any) -> str:
    """The GraphQL name of a connection's node type: an object type, a lazy one or a union."""
    if hasattr(node_type, "resolve_type"):
        node_type = node_type.resolve_type()
    definition = getattr(node_type, "__strawberry_definition__", None)
    return definition.name if definition is not None else node_type.graphql_name


@strawberry.enum(description="Which way a column sorts.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest, earliest or A first.")
    DESC = strawberry.enum_value("desc", description="Largest, latest or Z first.")


# sortable column -> what ordering by it means (the kinds' `order_columns` in resolvers.kinds)
ORDER_COLUMNS = {
    "id": "Creation order of the row ids; the tie-breaker of every order.",
    "created_at": "When the row was created.",
    "updated_at": "When the row last changed.",
    "code": "The code, as text.",
    "name": "The name, by code point (not pinyin).",
    "title": "The title, by code point.",
    "region_path": "The region tree, depth first: a region's rows next to its subtree's.",
    "birth_date": "Date of birth, oldest first ascending; among the rows whose `person.id_number` you were "
                  "granted only (FORBIDDEN where granted nowhere).",
    "occurred_at": "When the event happened.",
    "open_due_at": "The deadline of an open event; events with nothing due sort last ascending.",
}


def order_column_description(column: str) -> str:
    return ORDER_COLUMNS.get(column, f"The `{column}` column.")


@cache
def order_input(kind: str, type_name: str):
    """`<Type>OrderField` (the kind's sortable columns) and `<Type>Order { field, direction }`."""
    columns = kind_of(kind).order_columns
    field_enum = strawberry.enum(
        Enum(f"{type_name}OrderField", {
            c.upper(): strawberry.enum_value(c, description=order_column_description(c)) for c in columns}),
        description=f"Columns {type_name} lists can be ordered by; `id` breaks ties.",
    )
    namespace = {
        "__annotations__": {"field": field_enum, "direction": OrderDirection},
        "field": strawberry.field(description="The column to sort by."),
        "direction": strawberry.field(default=OrderDirection.ASC, description="Ascending unless given."),
    }
    return strawberry.input(type(f"{type_name}Order", (), namespace),
                            description=f"One sort key of a {type_name} list; later keys break ties of earlier ones.")


async def filter_spec(context: Any, value: Any) -> dict:
    """A filter input as the plain dict `resolvers.read.filters` takes; a `region` id becomes
    that region's subtree (an unknown or invisible region is bad input)."""
    if value is None:
        return {}
    spec = {k: v for k, v in vars(value).items() if v is not None and v is not strawberry.UNSET}
    region = spec.pop("region", None)
    if region is not None:
        path = await visible_value(context.scope, "region", decode_id(region, "Region", "region"), "region_path")
        if path is None:
            raise BadInput("no region with this id", field="region")
        spec["region_path"] = path
    if "held_by" in spec:
        spec["held_by"] = await _holding(context, spec["held_by"])
    if spec.get("tags"):  # the vocabulary is data: asked here, where a statement may run
        await check_tag_filters(spec["tags"])
    if "organisation" in spec:  # volunteer activities by organisation
        spec["organisation"] = [decode_id(i, "Organisation", "organisation") for i in spec["organisation"]]
    return spec


@dataclass(frozen=True)
class ListRequest:
    """A list field's `first`, `after`, `filter` and `orderBy` decoded, once, by the one
    function both read paths call (and `/export`, which reads through a root connection)."""

    first: int
    after: Optional[str]
    where: Pred
    order: Optional[tuple[tuple[str, bool], ...]]  # as asked; None: the kind's natural order


async def list_request(kind: str, context: Any, first: Optional[int] = None, after: Optional[str] = None,
                       filter: Any = None, order_by: Any = None) -> ListRequest:
    """The arguments of `connection_field` as strawberry hands them to its resolver (the
    compiled path converts its own with `strawberry_arguments`, so both read one decoding)."""
    order = tuple((o.field.value, o.direction is OrderDirection.DESC) for o in order_by or ()) or None
    where = compile_filter(kind, await filter_spec(context, filter), context.scope,
                           now=context.loaders.answered_at, order=order)
    return ListRequest(page_size(context.settings, first), after, where, order)


def strawberry_arguments(schema: strawberry.Schema, field_def: GraphQLField, node: FieldNode,
                         variables: Any) -> dict[str, Any]:
    """A field's arguments in a document as its strawberry resolver would receive them."""
    raw = get_argument_values(field_def, node, variables)
    field = field_def.extensions["strawberry-definition"]
    return convert_arguments(raw, field.arguments, scalar_registry=schema.schema_converter.scalar_registry,
                             config=schema.config)


First = Annotated[Optional[int], strawberry.argument(
    description="Page size: the server's default page size if omitted, at most its maximum "
                "(a larger value is clamped).")]
After = Annotated[Optional[str], strawberry.argument(
    description="Start after this cursor (a previous page's `pageInfo.endCursor`); the first "
                "page if omitted.")]


def page_size(settings: Any, first: Optional[int]) -> int:
    return clamp_first(first, settings.default_page_size, settings.max_page_size)


def id_cursor(row_id: int) -> str:
    """The cursor of a row in a list ordered by id alone (notices, deliveries, transfers)."""
    return to_base64("after", row_id)


def after_id(after: Optional[str]) -> Optional[int]:
    return decode_id(after, "after", "after") if after else None


def as_connection(page: Page, after: Optional[str]) -> Connection:
    return Connection(
        edges=[Edge(node=row, cursor=c) for row, c in zip(page.rows, page.cursors)],
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        _page=page,
    )


async def _no_rows() -> int:
    return 0


EMPTY = Page([], [], False, _no_rows)


async def _holding(context: Any, held_by: Any) -> holders.Holding:
    """`heldBy` (an input object here, a dict on the compiled path) as the ids it names: one
    of the caller's holdings, a region it may read, or a department."""
    def given(name: str) -> Any:
        value = held_by.get(name) if isinstance(held_by, dict) else getattr(held_by, name, None)
        return None if value is strawberry.UNSET else value

    me, region, department = given("me"), given("region"), given("department")
    if sum(v is not None for v in (me, region, department)) != 1:
        raise BadInput("give exactly one of me, region or department", field="heldBy")
    if me is not None:
        if not me:
            raise BadInput("heldBy.me takes true only", field="heldBy")
        regions, departments = await holders.holdings_of(context.store, context.user)
        return holders.Holding(regions, departments)
    if region is not None:
        row = await context.loaders.one("region", decode_id(region, "Region", "heldBy"))
        if row is None:
            raise BadInput("no region with this id", field="heldBy")
        return holders.Holding(region_ids=(row.id,))
    row = await context.loaders.one("department", decode_id(department, "Department", "heldBy"))
    if row is None:
        raise BadInput("no department with this id", field="heldBy")
    return holders.Holding(department_ids=(row.id,))


def connection_field(kind: str, node_type: type, filter_type: type, *, subtree: bool = False,
                     description: str = ""):
    """The field `<kinds>(first, after, filter, orderBy)`; with `subtree`, the rows under
    the parent region (`Region.persons`, …)."""
    order_type = order_input(kind, node_type.__name__)

    async def resolve(
        root,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[Optional[filter_type], strawberry.argument(
            description="Only rows meeting every condition given; all rows in your scope if omitted.")] = None,
        order_by: Annotated[Optional[list[order_type]], strawberry.argument(
            description="Sort keys, most significant first; the kind's natural order if omitted.")] = None,
    ) -> Connection[node_type]:
        asked = await list_request(kind, info.context, first, after, filter, order_by)
        if subtree:
            loader = info.context.loaders.subtree_pages(kind, asked.where, asked.order, asked.first, after)
            page = await loader.load(root.region_path)
        else:
            page = await fetch_page(info.context.scope, kind, asked.where, asked.order, asked.first, after)
        return as_connection(page, after)

    return strawberry.field(resolver=resolve, description=description or None)


def relation_field(node_type: Any, via: Via, *, description: str, shown: Callable[[Any, Info], bool] | None = None,
                   deep: Via | None = None):
    """A relation that can grow without bound (resolvers.relations) as a connection
    `(first, after)`, in its target's natural order, its pages batched over the parents of
    a list. `shown(parent, info)`: whether the caller may see the relation of this parent at
    all (an empty connection where not). `deep`: the relation read through the place tree,
    chosen by a `deep: true` argument."""

    async def resolve(root, info: Info, first: First = None, after: After = None) -> Connection[node_type]:
        return await read(root, info, first, after, via)

    async def read(root, info: Info, first, after, chosen: Via):
        size = page_size(info.context.settings, first)
        if shown is not None and not shown(root, info):
            return as_connection(EMPTY, after)
        page = await info.context.loaders.relation_pages(chosen, size, after).load(root.id)
        return as_connection(page, after)

    if deep is None:
        return strawberry.field(resolver=resolve, description=description)

    async def resolve_deep(root, info: Info, first: First = None, after: After = None,
                           deep: Deep = False) -> Connection[node_type]:
        return await read(root, info, first, after, deep_via if deep else via)

    deep_via = deep
    return strawberry.field(resolver=resolve_deep, description=description)


Deep = Annotated[bool, strawberry.argument(
    description="Also those of every place under this one (a compound's buildings, their units and rooms).")]
