"""From a validated GraphQL operation to a plan of what to read (resolvers.read.sqlread.plan),
or `Unsupported`.

Anything the plan cannot say (subtree connections, visits, computed fields such as `light`,
floats and JSON whose text the database would write differently, fragments, directives) is
refused, and the resolver path answers the whole operation instead."""

from __future__ import annotations

from graphql import (
    BooleanValueNode, FieldNode, GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType,
    OperationDefinitionNode, OperationType,
)

from gridhub.policies.sensitivity import governing
from gridhub.resolvers.kinds import LISTED, kind_of
from gridhub.resolvers.relations import RELATIONS, Many, One, Via
from gridhub.resolvers.read.sqlread.dialect import MAX_KEY_BYTES
from gridhub.resolvers.read.sqlread.plan import (
    Column, ConnectionSel, GlobalId, ListRel, Masked, NodeSel, PageRel, Plan, Relation, RootField, Tags, Typename,
    Unsupported,
)

ROOT_CONNECTIONS = {k.root_field: k.name for k in LISTED.values()}

# sub-rows (not Nodes), read unscoped through their visible parent
SUB_ROW_KINDS = {"event_log", "residence", "membership"}
# the kinds a plan reads: those with a root connection, and their sub-rows
PLANNED = set(LISTED) | SUB_ROW_KINDS


def _planned(relation_type: type) -> dict:
    return {key: r for key, r in RELATIONS.items()
            if isinstance(r, relation_type) and key[0] in PLANNED and r.target in PLANNED}


# the relations of resolvers.relations as the planner reads them:
# (kind, field) -> foreign key column of a to-one relation the loaders resolve by id
TO_ONE = {key: r.column for key, r in _planned(One).items()}
# (kind, field) -> a to-many list as its loader reads it: ("by", target kind, column) for
# `Loaders.rows_by` (target rows whose column holds the parent's id, in the target's
# default order), ("link", link kind, from column, to column, target kind) for
# `Loaders.linked` (link rows in id order, then their visible targets)
TO_MANY = {key: ("by", r.target, r.column) if r.link is None else ("link", r.link, r.column, r.to_column, r.target)
           for key, r in _planned(Many).items()}
# to-many relations that are connections (first, after)
PAGED = _planned(Via)


# fields with a resolver that still read one column as it is
RENAMED_COLUMNS = {("region", "path"): "region_path", ("event_log", "at"): "created_at"}
# fields with a resolver that compute a plain value from one column: (column, how)
COMPUTED_COLUMNS = {("person", "birth_year"): ("birth_date", "year")}
SCALAR_HOW = {"String": "text", "Int": "int", "DateTime": "datetime", "Date": "date"}
MAX_DEPTH = 3  # relation levels below a root node



def plan_operation(schema, document, operation_name: str | None) -> Plan:
    operation = _operation(document, operation_name)
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise Unsupported("not a plain query")
    query_type = schema.query_type
    roots = []
    for key, node in _fields(operation.selection_set):
        kind = ROOT_CONNECTIONS.get(node.name.value)
        if kind is None:
            raise Unsupported(f"root field {node.name.value}")
        field_def = query_type.fields[node.name.value]
        nested: list[PageRel] = []
        roots.append(RootField(key, kind, field_def, node, _connection(_unwrap(field_def.type), node, 0, nested),
                               nested))
    if not roots:
        raise Unsupported("nothing selected")
    return Plan(roots, tuple(operation.variable_definitions or ()))


def _operation(document, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != len(document.definitions):
        raise Unsupported("fragment definitions")
    if operation_name is None:
        if len(operations) != 1:
            raise Unsupported("which operation")
        return operations[0]
    for o in operations:
        if o.name and o.name.value == operation_name:
            return o
    raise Unsupported("no such operation")


def _fields(selection_set) -> list[tuple[str, FieldNode]]:
    """(response key, field) of a selection set made only of plain fields, keys unique."""
    if selection_set is None:
        raise Unsupported("missing selection")
    out, seen = [], set()
    for s in selection_set.selections:
        if not isinstance(s, FieldNode) or s.directives:
            raise Unsupported("fragments or directives")
        key = s.alias.value if s.alias else s.name.value
        if key in seen:
            raise Unsupported("a response key selected twice")
        if len(key.encode()) > MAX_KEY_BYTES:  # a column name in PostgreSQL's JSON (dialect.Sql.obj)
            raise Unsupported("a response key longer than a PostgreSQL name")
        seen.add(key)
        out.append((key, s))
    return out


def _unwrap(gtype):
    return gtype.of_type if isinstance(gtype, GraphQLNonNull) else gtype


def _connection(conn_type: GraphQLObjectType, node: FieldNode, depth: int, nested: list[PageRel],
                sub_kind: str | None = None) -> ConnectionSel:
    """`depth`: of the connection's nodes; `nested` collects the connections below."""
    sel = ConnectionSel()
    for key, f in _fields(node.selection_set):
        name = f.name.value
        if name == "__typename":
            sel.entries.append((key, Typename(conn_type.name)))
        elif name == "totalCount":
            sel.entries.append((key, "totalCount"))
        elif name == "pageInfo":
            info_type = _unwrap(conn_type.fields["pageInfo"].type)
            parts = []
            for k, p in _fields(f.selection_set):
                if p.arguments or p.selection_set:
                    raise Unsupported("pageInfo arguments")
                parts.append((k, Typename(info_type.name) if p.name.value == "__typename" else p.name.value))
            sel.entries.append((key, ("pageInfo", parts)))
        elif name == "edges":
            edge_type = _unwrap(_unwrap(conn_type.fields["edges"].type).of_type)
            parts = []
            for k, e in _fields(f.selection_set):
                if e.name.value == "__typename":
                    parts.append((k, Typename(edge_type.name)))
                elif e.name.value == "cursor":
                    parts.append((k, "cursor"))
                else:  # node
                    parts.append((k, _node(_unwrap(edge_type.fields["node"].type), e, depth, nested, sub_kind)))
            sel.entries.append((key, ("edges", parts)))
        elif name == "nodes":
            node_type = _unwrap(_unwrap(conn_type.fields["nodes"].type).of_type)
            sel.entries.append((key, ("nodes", _node(node_type, f, depth, nested, sub_kind))))
        else:
            raise Unsupported(f"connection field {name}")
    return sel


def _node(gtype: GraphQLObjectType, node: FieldNode, depth: int, nested: list[PageRel],
          sub_kind: str | None = None) -> NodeSel:
    """`sub_kind`: the kind of a sub-row type (Residence, Membership, EventLogEntry), which
    has no `row_kind` of its own."""
    if node.arguments:
        raise Unsupported("arguments on a node")
    definition = gtype.extensions.get("strawberry-definition")
    kind = sub_kind or getattr(getattr(definition, "origin", None), "row_kind", None)
    if kind is None or kind == "department":
        raise Unsupported(f"type {gtype.name}")
    model_fields = kind_of(kind).model._meta.fields_db_projection
    sel = NodeSel(kind, gtype.name)
    for key, f in _fields(node.selection_set):
        name = f.name.value
        if name == "__typename":
            sel.entries.append((key, Typename(gtype.name)))
            continue
        if name == "id":
            sel.entries.append((key, GlobalId(gtype.name)))
            continue
        gfield = gtype.fields[name]
        python_name = gfield.extensions["strawberry-definition"].python_name
        has_resolver = gfield.extensions["strawberry-definition"].base_resolver is not None
        if (kind, python_name) in PAGED:
            if depth >= MAX_DEPTH:
                raise Unsupported("relations nested too deep")
            via = PAGED[(kind, python_name)]
            for a in f.arguments or ():
                if a.name.value == "deep" and via.deep is not None:
                    if not isinstance(a.value, BooleanValueNode):
                        raise Unsupported("deep given as a variable")  # the plan is made per text
                    via = via.deep if a.value.value else via
                elif a.name.value not in ("first", "after"):
                    raise Unsupported("connection arguments")
            rel = PageRel(via, ConnectionSel(), len(nested), gfield, f)
            nested.append(rel)
            target_sub = via.target if not kind_of(via.target).scoped else None
            rel.sel = _connection(_unwrap(gfield.type), f, depth + 1, nested, target_sub)
            sel.entries.append((key, rel))
            continue
        if f.arguments:
            raise Unsupported("field arguments")
        if (kind, python_name) == ("person", "tags"):
            sel.entries.append((key, Tags()))
        elif governing(kind, python_name) and python_name in model_fields:
            sel.entries.append((key, Masked(python_name, _column(model_fields[python_name], _unwrap(gfield.type)))))
        elif (kind, python_name) in TO_ONE:
            if depth >= MAX_DEPTH:
                raise Unsupported("relations nested too deep")
            target = _unwrap(gfield.type)
            sel.entries.append((key, Relation(TO_ONE[(kind, python_name)], _node(target, f, depth + 1, nested))))
        elif (kind, python_name) in TO_MANY:
            if depth >= MAX_DEPTH:
                raise Unsupported("relations nested too deep")
            how = TO_MANY[(kind, python_name)]
            target = _unwrap(_unwrap(gfield.type).of_type)
            sub_kind = how[1] if how[1] in SUB_ROW_KINDS else None
            sel.entries.append((key, ListRel(how, _node(target, f, depth + 1, nested, sub_kind))))
        elif (kind, python_name) in COMPUTED_COLUMNS:
            sel.entries.append((key, Column(*COMPUTED_COLUMNS[(kind, python_name)])))
        elif (kind, python_name) in RENAMED_COLUMNS:
            sel.entries.append((key, _column(RENAMED_COLUMNS[(kind, python_name)], _unwrap(gfield.type))))
        elif not has_resolver and python_name in model_fields and not f.selection_set:
            sel.entries.append((key, _column(model_fields[python_name], _unwrap(gfield.type))))
        else:
            raise Unsupported(f"{gtype.name}.{name}")
    return sel


def _column(column: str, gtype) -> Column:
    if isinstance(gtype, GraphQLEnumType):
        names = tuple((getattr(v.value, "value", v.value), name) for name, v in gtype.values.items())
        return Column(column, "enum", names)
    if isinstance(gtype, GraphQLScalarType) and gtype.name in SCALAR_HOW:
        return Column(column, SCALAR_HOW[gtype.name])
    if isinstance(gtype, GraphQLList):
        raise Unsupported("list columns")
    raise Unsupported(f"scalar {getattr(gtype, 'name', gtype)}")
