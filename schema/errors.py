"""How errors reach callers: every GraphQL error carries a stable `extensions.code`;
our own errors keep their message and field, anything unexpected is logged and reaches
the caller only as INTERNAL_SERVER_ERROR."""

import logging

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from resolvers.errors import GridhubError

log = logging.getLogger("gridhub.errors")


def request_error_code(error: GraphQLError) -> str:
    """Errors raised before execution: the document or the variables are wrong."""
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def classify(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GridhubError):
        error.message = original.message
        error.extensions = {**(error.extensions or {}), **original.extensions}
    elif (error.extensions or {}).get("code"):
        pass
    elif error.path is None:
        error.extensions = {**(error.extensions or {}), "code": request_error_code(error)}
    elif isinstance(original, (GlobalIDValueError, GraphQLError)):
        error.extensions = {"code": "BAD_USER_INPUT"}
    else:
        log.error("unexpected error in %s", error.path, exc_info=original)
        error.message = "Internal server error"
        error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
    return error


class ErrorCodes(SchemaExtension):
    def on_operation(self):
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [classify(e) for e in result.errors]
