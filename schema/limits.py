"""Limits on what one operation may ask, all checked before anything executes, and none
by a per-field hook (they would triple the cost of execution, DESIGN "Known pitfalls"):

- tokens: the parser stops counting past `max_query_tokens` (graphql-core's `max_tokens`);
- depth and aliases: a validation rule, so its verdict is cached with the rest of the
  document's validation (schema/caches.py) and costs nothing on a repeated document;
- cost: the values the operation may ask for, from the document and its variables: over
  every path down to a leaf field, the product of the page sizes along it, summed. A
  page size is a field's `first` (its default when absent; above the maximum it counts as
  the maximum, and the resolver refuses it as BAD_USER_INPUT), or the number of `ids` of
  `nodes`. Lists without a page size (an event's persons) count once: their length is the
  data's, bounded by the database, not the caller's to choose.

Fragments are measured once each, whatever the number of spreads, so a document of
fragments that spread each other many times costs its size to measure, not its expansion.

The limits come from the request's settings, so a test app can run tight ones. Every
refusal names its limit in `extensions`: `{code, limit, <measure>}`."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from graphql import (
    FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLList, GraphQLSchema,
    InlineFragmentNode, OperationDefinitionNode, OperationType, SelectionSetNode, ValidationRule, VariableNode,
    get_named_type, get_nullable_type, parse, value_from_ast_untyped,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gridhub.settings import Settings

from . import caches
from .boundary import BoundaryLiterals, variable_problem
from .caches import CallerCache, digest

_DEFAULTS = Settings.model_construct()  # the field defaults, without reading the environment


def _fragments(document) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operations(document) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


# -- depth and aliases: a validation rule --------------------------------------------------

class _Shape:
    """(depth, aliases) of selection sets, each fragment measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]):
        self.fragments = fragments
        self.measured: dict[str, tuple[int, int]] = {}
        self.measuring: set[str] = set()  # a cycle is a validation error of its own: count it once

    def of(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                below, inner = self.of(selection.selection_set)
                depth, aliases = max(depth, 1 + below), aliases + inner + (selection.alias is not None)
            elif isinstance(selection, InlineFragmentNode):
                below, inner = self.of(selection.selection_set)
                depth, aliases = max(depth, below), aliases + inner
            elif isinstance(selection, FragmentSpreadNode):
                below, inner = self.fragment(selection.name.value)
                depth, aliases = max(depth, below), aliases + inner
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        if name not in self.measured:
            fragment = self.fragments.get(name)
            if fragment is None or name in self.measuring:
                return 0, 0
            self.measuring.add(name)
            self.measured[name] = self.of(fragment.selection_set)
            self.measuring.discard(name)
        return self.measured[name]


@cache
def shape_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """One rule class per pair of limits, so that validation cache keys stay stable."""

    class OperationShape(ValidationRule):
        def __init__(self, context):
            super().__init__(context)
            shape = _Shape(_fragments(context.document))
            for operation in _operations(context.document):
                depth, aliases = shape.of(operation.selection_set)
                if depth > max_depth:
                    context.report_error(GraphQLError(
                        f"this operation nests fields {depth} deep; at most {max_depth} are allowed",
                        operation, extensions={"code": "QUERY_TOO_DEEP", "limit": max_depth, "depth": depth}))
                if aliases > max_aliases:
                    context.report_error(GraphQLError(
                        f"this operation has {aliases} aliases (fragments expanded); at most {max_aliases}"
                        " are allowed", operation,
                        extensions={"code": "TOO_MANY_ALIASES", "limit": max_aliases, "aliases": aliases}))

    return OperationShape


class IntrospectionNeedsSignIn(ValidationRule):
    """With INTROSPECTION off, the schema is told only to callers who are signed in: a
    frontend team's tools work with a token, the anonymous internet learns nothing of the
    hub's shape (`__typename` stays open: clients use it to tell types apart)."""

    def enter_field(self, node: FieldNode, *_):
        if node.name.value in ("__schema", "__type"):
            self.report_error(GraphQLError(
                "introspection needs a signed-in caller on this hub (INTROSPECTION is off): "
                "send `Authorization: Bearer <token>`", node, extensions={"code": "UNAUTHENTICATED"}))


# -- cost -----------------------------------------------------------------------------------

class _Cost:
    """The cost of selection sets at a multiplier of one (cost is linear in the multiplier,
    so a fragment's cost is kept per page size still to apply, and scaled where spread)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict, variables: dict, default_page: int,
                 max_page: int):
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.default_page, self.max_page = default_page, max_page
        self.measured: dict[tuple[str, int | None], int] = {}
        self.measuring: set[tuple[str, int | None]] = set()

    def of(self, parent: Any, selection_set: SelectionSetNode, pending: int | None) -> int:
        """`pending`: the page size of a connection above, taken by its list fields
        (`edges`, `nodes`) and not by the rest (`totalCount`, `pageInfo`)."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, pending)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.of(inner, selection.selection_set, pending) if inner else 0
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, pending)
        return total

    def fragment(self, name: str, pending: int | None) -> int:
        key = (name, pending)
        if key not in self.measured:
            fragment = self.fragments.get(name)
            inner = self.schema.get_type(fragment.type_condition.name.value) if fragment else None
            if inner is None or key in self.measuring:
                return 0
            self.measuring.add(key)
            self.measured[key] = self.of(inner, fragment.selection_set, pending)
            self.measuring.discard(key)
        return self.measured[key]

    def field(self, parent: Any, node: FieldNode, pending: int | None) -> int:
        definition = self.definition(parent, node.name.value)
        if definition is None:  # __typename, or a field validation has refused
            return 1
        is_list = isinstance(get_nullable_type(definition.type), GraphQLList)
        size = self.page_size(definition, node, is_list)
        multiplier, passed_on = 1, None
        if size is not None and is_list:
            multiplier = size
        elif size is not None:
            passed_on = size
        elif is_list and pending is not None:
            multiplier = pending
        if node.selection_set is None:
            return multiplier
        return multiplier * self.of(get_named_type(definition.type), node.selection_set, passed_on)

    def definition(self, parent: Any, name: str):
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        return (getattr(parent, "fields", None) or {}).get(name)

    def argument(self, node: FieldNode, name: str, default: Any) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = value_from_ast_untyped(argument.value, self.variables)
                return default if value is None else value
        return default

    def page_size(self, definition, node: FieldNode, is_list: bool) -> int | None:
        if "first" in definition.args:
            default = definition.args["first"].default_value
            first = self.argument(node, "first", None if default is None else default)
            if not isinstance(first, int) or isinstance(first, bool):
                first = self.default_page  # absent or null: the default page; not an int: refused later
            return min(max(first, 0), self.max_page)
        if "ids" in definition.args and is_list:
            ids = self.argument(node, "ids", [])
            return min(len(ids), self.max_page) if isinstance(ids, list) else 1
        return None


def operation_cost(schema: GraphQLSchema, document, operation_name: str | None, variables: dict | None,
                   default_page: int, max_page: int) -> int:
    """The cost of the operation that would run (of the dearest one when that is unclear;
    execution then refuses the document anyway)."""
    operations = _operations(document)
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    roots = {OperationType.QUERY: schema.query_type, OperationType.MUTATION: schema.mutation_type,
             OperationType.SUBSCRIPTION: schema.subscription_type}
    fragments, dearest = _fragments(document), 0
    for operation in operations:
        root = roots.get(operation.operation)
        if root is None:
            continue
        values = {d.variable.name.value: value_from_ast_untyped(d.default_value)
                  for d in operation.variable_definitions or () if d.default_value is not None}
        values.update(variables if isinstance(variables, dict) else {})
        cost = _Cost(schema, fragments, values, default_page, max_page).of(root, operation.selection_set, None)
        dearest = max(dearest, cost)
    return dearest


def page_size_variables(document) -> frozenset[str]:
    """The variables a cost can depend on: those inside `first` and `ids` arguments."""
    names: set[str] = set()

    def values(node) -> None:
        if isinstance(node, VariableNode):
            names.add(node.name.value)
        for item in getattr(node, "values", None) or ():
            values(item)

    def walk(selection_set) -> None:
        for selection in selection_set.selections if selection_set else ():
            for argument in getattr(selection, "arguments", None) or ():
                if argument.name.value in ("first", "ids"):
                    values(argument.value)
            walk(selection.selection_set if not isinstance(selection, FragmentSpreadNode) else None)

    for definition in document.definitions:
        walk(getattr(definition, "selection_set", None))
    return frozenset(names)


class CostCache:
    """Costs of recent operations: frontends send the same few documents, and a cost
    depends only on the document and the variables in its page sizes. Keyed by the
    document's digest, in a cache bounded in bytes (schema/caches.py), anonymous callers'
    in a budget of their own."""

    def __init__(self, cache: CallerCache | None = None):
        self.cache = cache if cache is not None else CallerCache()

    def cost(self, schema: GraphQLSchema, query: str, document, operation_name: str | None, variables: Any,
             default_page: int, max_page: int, *, anonymous: bool = False) -> int:
        variables = variables if isinstance(variables, dict) else {}
        shape = (digest(query), operation_name, default_page, max_page)
        names = self.cache.get(shape)
        if names is None:
            names = page_size_variables(document)
            self.cache.put(shape, names, anonymous=anonymous)
        try:
            key = (shape, json.dumps([variables.get(n) for n in sorted(names)], sort_keys=True))
        except (TypeError, ValueError):
            key = None
        found = self.cache.get(key) if key else None
        if found is None:
            found = operation_cost(schema, document, operation_name, variables, default_page, max_page)
            if key:
                self.cache.put(key, found, anonymous=anonymous)
        return found


COSTS = CostCache(caches.COSTS)


def document_too_large(query: str | None, limit: int) -> tuple[str, dict] | None:
    """(message, extensions) when a document has more than `limit` bytes: refused before it
    is parsed or cached, so that its size costs nothing but reading it."""
    size = len((query or "").encode("utf-8", "surrogatepass"))
    if size <= limit:
        return None
    return (f"this document has {size} bytes; at most {limit} are allowed",
            {"code": "DOCUMENT_TOO_LARGE", "limit": limit, "bytes": size})


def _settings(context: Any) -> Settings:
    return getattr(context, "settings", None) or _DEFAULTS


def our_rules(settings: Settings, *, signed_in: bool) -> tuple:
    """The validation rules the hub adds to graphql-core's for a caller (the validation
    cache's key names them: schema/trusted.py validates registered documents with these)."""
    rules = (shape_rule(settings.max_query_depth, settings.max_query_aliases), BoundaryLiterals)
    return rules if signed_in or settings.introspection else rules + (IntrospectionNeedsSignIn,)


class QueryLimits(SchemaExtension):
    """Sets the token limit, the shape rule and the input boundary's rule (schema/boundary.py)
    for the operation, and after validation refuses variables past the boundary and
    operations that cost too much. It must come
    after DocumentCaches among the schema's extensions, which validates before it."""

    def on_operation(self):
        context = self.execution_context
        settings = _settings(context.context)
        too_large = document_too_large(context.query, settings.max_document_bytes)
        if too_large:  # over WebSocket (HTTP refuses it with 413 before strawberry sees it: web/view.py)
            message, extensions = too_large
            raise GraphQLError(message, extensions=extensions)
        context.parse_options["max_tokens"] = settings.max_query_tokens
        context.validation_rules = context.validation_rules + our_rules(
            settings, signed_in=getattr(context.context, "user", None) is not None)
        yield

    def on_validate(self):
        context = self.execution_context
        if context.pre_execution_errors is None:  # no cache validated before us: do it here
            context.pre_execution_errors = validate_document(context.schema._schema, context.graphql_document,
                                                             context.validation_rules)
        if not context.pre_execution_errors:
            refusal = self.refusal(context)
            if refusal is not None:
                context.pre_execution_errors = [refusal]
        yield

    def refusal(self, context) -> GraphQLError | None:
        refused = variable_problem(context.schema._schema, context.graphql_document, context.operation_name,
                                   context.variables)
        if refused is not None:
            return refused
        settings = _settings(context.context)
        cost = COSTS.cost(context.schema._schema, context.query or "", context.graphql_document,
                          context.operation_name, context.variables, settings.default_page_size,
                          settings.max_page_size, anonymous=caches.anonymous(context))
        if cost > settings.max_query_cost:
            return GraphQLError(
                f"this operation may ask for {cost} values, at most {settings.max_query_cost} are allowed: "
                "page sizes multiply down nested lists, so ask for smaller pages or fewer nested lists",
                extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": settings.max_query_cost})
        return None


def only_signs_in(query: str | None, operation_name: str | None, max_tokens: int) -> bool:
    """Whether a request's operation is one `login` and nothing else. Such a request is
    governed by the failure-based throttle above, not by the per-address budget of anonymous
    requests: an office behind one NAT address signs in together every morning, and its
    sign-ins must not use up what its colleagues' anonymous requests may spend. One field
    only: a document of fifty aliased logins (each a deliberately slow password check) is
    no sign-in but a load, and is counted like any other request."""
    if not query:
        return False
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False  # counted, and refused as it is parsed again
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.MUTATION:
        return False
    selections = operations[0].selection_set.selections
    return len(selections) == 1 and isinstance(selections[0], FieldNode) and selections[0].name.value == "login"
