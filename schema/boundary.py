"""The input boundary: every String, ID, DateTime, Date and JSON value an operation brings —
a literal in the document or a variable — is checked before anything executes, and what
the database cannot store or the code cannot compute (resolvers/domain/boundary.py says what) is
refused as BAD_USER_INPUT naming the field. One place for every argument of every field,
so that no resolver meets a lone surrogate, a NUL or a moment past year 9999.

Literals are checked by a validation rule (cached with the document's validation);
variables, which change per request, by `variable_problem` after validation."""

from __future__ import annotations

from typing import Any

import dateutil.parser
from graphql import (
    GraphQLError, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType, GraphQLSchema,
    OperationDefinitionNode, ValidationRule, get_named_type, type_from_ast,
)

from gridhub.resolvers.domain import boundary


def scalar_problem(type_name: str, value: Any) -> str | None:
    """Why a value of this scalar (as sent: text for DateTime and Date) is refused. A value
    that does not parse at all is left to the scalar, which refuses it itself."""
    if type_name in ("String", "ID") and isinstance(value, str):
        return boundary.text_problem(value)
    if type_name == "JSON":
        return boundary.json_problem(value)
    if type_name in ("DateTime", "Date") and isinstance(value, str):
        problem = boundary.text_problem(value)
        if problem:
            return problem
        try:
            parsed = dateutil.parser.isoparse(value)
        except (ValueError, OverflowError):
            return None
        if type_name == "Date":
            return boundary.date_problem(parsed.date())
        return boundary.moment_problem(parsed)
    return None


def refusal(path: str, problem: str, node=None) -> GraphQLError:
    return GraphQLError(f"{path} {problem}", node, extensions={"code": "BAD_USER_INPUT", "field": path})


class BoundaryLiterals(ValidationRule):
    """Literal values in the document, each named by its argument and input fields
    (`input.name`)."""

    def __init__(self, context):
        super().__init__(context)
        self.names: list[str] = []

    def enter_argument(self, node, *_):
        self.names.append(node.name.value)

    def leave_argument(self, *_):
        self.names.pop()

    def enter_variable_definition(self, node, *_):
        self.names.append("$" + node.variable.name.value)

    def leave_variable_definition(self, *_):
        self.names.pop()

    def enter_object_field(self, node, *_):
        self.names.append(node.name.value)

    def leave_object_field(self, *_):
        self.names.pop()

    def enter_string_value(self, node, *_):
        named = get_named_type(self.context.get_input_type())
        name = named.name if isinstance(named, GraphQLScalarType) else "String"
        problem = scalar_problem(name, node.value)
        if problem:
            self.report_error(refusal(".".join(self.names) or "a value", problem, node))


def _walk(type_, value: Any, path: str) -> tuple[str, str] | None:
    """The first problem in a variable's value, as (path, problem)."""
    if value is None:
        return None
    if isinstance(type_, GraphQLNonNull):
        return _walk(type_.of_type, value, path)
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            found = _walk(type_.of_type, item, f"{path}[{index}]" if isinstance(value, list) else path)
            if found:
                return found
        return None
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, dict):
            return None
        for name, field in type_.fields.items():
            if name in value:
                found = _walk(field.type, value[name], f"{path}.{name}")
                if found:
                    return found
        return None
    if isinstance(type_, GraphQLScalarType):
        problem = scalar_problem(type_.name, value)
        return (path, problem) if problem else None
    return None


def variable_problem(schema: GraphQLSchema, document, operation_name: str | None,
                     variables: Any) -> GraphQLError | None:
    """The first refused variable value of the operation that would run."""
    if not isinstance(variables, dict) or not variables:
        return None
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name and (definition.name is None or definition.name.value != operation_name):
            continue
        for declared in definition.variable_definitions or ():
            name = declared.variable.name.value
            if name not in variables:
                continue
            type_ = type_from_ast(schema, declared.type)
            found = _walk(type_, variables[name], "$" + name) if type_ is not None else None
            if found:
                return refusal(*found)
    return None
