"""The compiled read path's hook: an extension that, after strawberry has parsed and
validated the operation, answers plain reads with one SQL statement per root field
(`resolvers.read.sqlread`) and otherwise lets the resolvers run, which stay the reference.

Setting `execution_context.result` before `on_execute` yields makes strawberry skip its
own execution (strawberry.schema.schema.Schema._execute_operation): graphql-core never runs,
and the result's `data` holds each root field's JSON text as the database wrote it
(resolvers.read.sqlread.RawJSON), which the response encoder splices in unparsed. Any doubt — an
unsupported selection, bad input (the resolvers raise the proper error), a database
error — means falling back, never answering differently."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from graphql import GraphQLError
from graphql.execution.values import VariableValues, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from gridhub.resolvers.errors import GridhubError
from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.read.pagination import after_predicate, normalise_order
from gridhub.resolvers.read.sqlread import Unsupported, compiled_result
from gridhub.resolvers.runtime.lru import ByteLRU, approximate_size
from gridhub.resolvers.read.sqlread.plan import PageRel, Plan, RootField
from gridhub.resolvers.read.sqlread.run import STATEMENTS_BYTES, NestedRequest, RootRequest

from . import caches
from .connection import list_request, page_size, strawberry_arguments
from .plan import plan_operation

log = logging.getLogger("gridhub.compiled")

PLANS = caches.PLANS
# trusted documents' plans by (digest, operation name), whatever the scope: a plan depends on
# the document only; the statements rendered from it, which depend on the scope, are kept
# per (scope, policy version) in PLANS as any plan's
TEMPLATES: dict[tuple, Any] = {}
_UNSUPPORTED = object()
ARGUMENTS_BYTES = 64 << 10  # a plan's converted arguments, by variables (Arguments)


def plan_once(schema, document, operation_name: str | None) -> Any:
    """An operation's plan, or _UNSUPPORTED (the resolvers answer it)."""
    try:
        return plan_operation(schema, document, operation_name)
    except Unsupported as why:
        log.debug("resolver path: %s", why)
        return _UNSUPPORTED


def plan_key(execution_context, scope, store) -> tuple:
    return (caches.digest(execution_context.query), execution_context.operation_name, scope.hash,
            getattr(store, "version", None))


def plan_for(execution_context, scope, store) -> Plan | None:
    """The cached plan of this operation for this scope and policy version (None: not
    compilable, remembered too so that refusals cost one lookup)."""
    key = plan_key(execution_context, scope, store)
    plan = PLANS.get(key)
    if plan is None:
        template = TEMPLATES.get(key[:2])
        if template is not None:  # a trusted document's, planned once (schema/trusted.py)
            plan = template if template is _UNSUPPORTED else replace(template, statements=None)
        else:
            plan = plan_once(execution_context.schema._schema, execution_context.graphql_document,
                             execution_context.operation_name)
        # its rendered statements grow inside it later, within their own budget
        budget = approximate_size((key, plan)) + STATEMENTS_BYTES + ARGUMENTS_BYTES
        PLANS.put(key, plan, None if plan is _UNSUPPORTED else budget)
    return None if plan is _UNSUPPORTED else plan


class Arguments:
    """The plan's fields' arguments as strawberry converts them for a resolver, for this
    request's variables: a pure function of the document and the variables, so kept in the
    plan by the variables' JSON (converting a filter's input objects was 7 % of a compiled
    request's CPU). Consumers only read them."""

    def __init__(self, schema, plan: Plan, variables: VariableValues, raw: Any):
        self.schema, self.variables = schema, variables
        try:
            # the standard encoder, not orjson: orjson writes NaN as null, and a JSON scalar's
            # NaN and null must not share converted arguments
            self.key = json.dumps(raw or {}, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):  # not JSON: converted each time
            self.key = None
        if plan.arguments is None:
            plan.arguments = ByteLRU(ARGUMENTS_BYTES)
        self.cache = plan.arguments

    def of(self, field_def, node) -> dict:
        if self.key is None:
            return strawberry_arguments(self.schema, field_def, node, self.variables)
        key = (id(node), self.key)
        found = self.cache.get(key)
        if found is None:
            found = strawberry_arguments(self.schema, field_def, node, self.variables)
            self.cache.put(key, found, len(self.key) + 512)
        return found


async def root_request(root: RootField, arguments: Arguments, context) -> RootRequest:
    """The arguments decoded by the resolvers' own `list_request`."""
    asked = await list_request(root.kind, context, **arguments.of(root.field_def, root.node))
    kind = kind_of(root.kind)
    order = normalise_order(kind, asked.order)
    after = asked.after
    return RootRequest(root, asked.where, order, asked.first, after_predicate(kind, order, after) if after else None,
                       [nested_request(rel, arguments, context.settings) for rel in root.nested])


def nested_request(rel: PageRel, arguments: Arguments, settings) -> NestedRequest:
    """A relation connection's arguments as `schema.connection.relation_field` reads them."""
    args = arguments.of(rel.field_def, rel.node)
    kind = kind_of(rel.via.target)
    order = normalise_order(kind, rel.via.order)
    after = args.get("after")
    return NestedRequest(page_size(settings, args.get("first")), order,
                         after_predicate(kind, order, after) if after else None)


class CompiledReads(SchemaExtension):
    async def on_execute(self):
        context = self.execution_context.context
        if getattr(getattr(context, "settings", None), "compiled_reads", False) and context.user is not None:
            result = await self.try_compiled(context)
            if result is not None:
                self.execution_context.result = result
        yield

    async def try_compiled(self, context) -> Any:
        ec = self.execution_context
        plan = plan_for(ec, context.scope, context.store)
        if plan is None:
            return None
        variables = get_variable_values(ec.schema._schema, plan.variable_definitions, ec.variables or {})
        if not isinstance(variables, VariableValues):
            return None  # graphql-core reports the variables' errors
        arguments = Arguments(ec.schema, plan, variables, ec.variables)
        try:
            requests = [await root_request(r, arguments, context) for r in plan.roots]
        except (GridhubError, GraphQLError, ValueError, TypeError, KeyError) as why:
            log.debug("resolver path for the arguments: %s", why)
            return None
        try:
            data = await compiled_result(context.scope, plan, requests, context)
        except Exception as why:  # the resolvers answer; a compiled statement failing is a bug to see
            if "parser stack overflow" in str(why):
                # SQLite's parser takes only so many nested lists (e.g. a list of persons with
                # their tags inside a list inside a page): a limit, not a bug; remember it
                log.debug("resolver path: too deeply nested for SQLite")
                PLANS.put(plan_key(ec, context.scope, context.store), _UNSUPPORTED)
                return None
            log.exception("compiled read failed; answering with the resolvers")
            return None
        return ExecutionResult(data=data, errors=None)
