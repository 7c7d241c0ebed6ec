"""A plan of what to read for one operation: the small tree `schema/plan.py` makes from a
GraphQL document and `render.py` turns into SQL. It names only columns, masked fields, tags,
to-one relations, to-many lists (of nodes, and of sub-rows such as `log`) and the relation
connections of resolvers.relations; what a plan cannot say is `Unsupported`, and the
resolver path answers the whole operation instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gridhub.resolvers.relations import Via


class Unsupported(Exception):
    """The compiled path cannot answer this; the resolvers will."""


@dataclass
class Column:
    column: str
    how: str  # text | int | datetime | date | enum | year (of a date)
    enum_names: tuple[tuple[str, str], ...] = ()  # (stored value, GraphQL NAME)


@dataclass
class GlobalId:
    type_name: str


@dataclass
class Typename:
    name: str


@dataclass
class Masked:
    """A sensitive field or one derived from it (policies.sensitivity), shown as `value`
    where granted and masked elsewhere."""

    field: str
    value: Column


@dataclass
class Tags:
    pass


@dataclass
class Relation:
    fk: str
    node: "NodeSel"


@dataclass
class ListRel:
    """A to-many list of nodes; `how` is its TO_MANY entry."""

    how: tuple
    node: "NodeSel"


@dataclass
class PageRel:
    """A nested connection of a relation (resolvers.relations), `slot` its place among its
    root's nested connections, whose `first` and `after` are read per request (they may be
    variables): `field_def` and `node` to read them with."""

    via: Via
    sel: "ConnectionSel"
    slot: int
    field_def: Any
    node: FieldNode


@dataclass
class NodeSel:
    kind: str
    type_name: str
    entries: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class ConnectionSel:
    """`entries` of the connection: (key, part) with part one of `totalCount`,
    ("pageInfo", [(key, name)]), ("edges", [(key, "cursor" | NodeSel | Typename)]),
    ("nodes", NodeSel), Typename."""

    entries: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class RootField:
    key: str
    kind: str
    field_def: Any
    node: FieldNode
    selection: ConnectionSel
    nested: list[PageRel] = field(default_factory=list)


@dataclass
class Plan:
    roots: list[RootField]
    variable_definitions: tuple = ()
    statements: Any = None  # a ByteLRU of rendered statements, by arguments (run.py)
    arguments: Any = None  # a ByteLRU of its fields' arguments as strawberry converts them, by variables
