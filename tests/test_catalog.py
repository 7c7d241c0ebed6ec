"""The catalog of kinds (resolvers/kinds.py) against the schema it describes: node ids, root
connections, pulls and the compiled planner read their names from it, so the schema's types
and root fields must be the ones it names."""

from graphql import get_named_type

from gridhub.resolvers.kinds import KINDS, LISTED, NODE_KINDS
from gridhub.resolvers.bulk.sync import PULL_KINDS
from gridhub.schema import schema
from gridhub.schema.plan import ROOT_CONNECTIONS


def test_each_listed_kind_has_its_root_connection_of_its_node_type():
    query = schema._schema.query_type
    for kind in LISTED.values():
        field = query.fields[kind.root_field]
        assert field.type.of_type.name == f"{kind.node_type}Connection", kind.name
        assert ROOT_CONNECTIONS[kind.root_field] == kind.name and PULL_KINDS[kind.name] == kind.node_type


def test_each_node_type_names_its_kind():
    node_interface = schema._schema.type_map["Node"]
    for type_name, kind in NODE_KINDS.items():
        graphql_type = schema._schema.type_map[type_name]
        assert node_interface in graphql_type.interfaces, type_name
        definition = graphql_type.extensions["strawberry-definition"]
        assert definition.origin.row_kind == kind, type_name
    implementing = {t.name for t in schema._schema.get_possible_types(node_interface)}
    assert implementing == set(NODE_KINDS), "a Node type the catalog does not name, or the reverse"


def test_every_root_list_of_a_kind_is_in_the_catalog():
    """A root connection over a node type is the kind's list, or one of the views named here."""
    # the to-do list; the audit; the seed programmes' registers, which grids keep and no
    # department pulls: lists of the resolvers only, not pulled, exported or compiled
    views = {"myQueue": "event", "auditTrail": "audit", "jointHouseholdUnits": "joint_unit",
             "servicePosts": "service_post", "volunteerActivities": "volunteer_activity"}
    roots = {}
    for name, field in schema._schema.query_type.fields.items():
        named = get_named_type(field.type).name
        if named.endswith("Connection") and named.removesuffix("Connection") in NODE_KINDS:
            roots[name] = NODE_KINDS[named.removesuffix("Connection")]
    assert roots == {**{k.root_field: k.name for k in LISTED.values()}, **views}
    assert all(k.model for k in KINDS.values())


def test_each_column_filter_of_the_catalog_is_the_filter_input_of_its_kind():
    """A filterable column is one entry of `Kind.filters`: the root list's filter input takes
    it as a list of its values (each an enum's value or a text), described as declared."""
    query = schema._schema.query_type
    for kind in LISTED.values():
        inputs = get_named_type(query.fields[kind.root_field].args["filter"].type).fields
        for column_filter in kind.filters:
            name = column_filter.key.split("_")[0] + "".join(p.title() for p in column_filter.key.split("_")[1:])
            if column_filter.values is None:
                assert name not in inputs, (kind.name, name)
                continue
            field = inputs[name]
            assert field.description == column_filter.description, (kind.name, name)
            element = get_named_type(field.type)
            assert element.name == getattr(column_filter.values, "__name__", None) or (
                column_filter.values is str and element.name == "String"), (kind.name, name, element.name)
