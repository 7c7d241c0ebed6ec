"""How errors reach callers: every GraphQL error carries a stable `extensions.code`
(resolvers.errors.STABLE_CODES); our own errors keep their message and field, anything
unexpected is logged with its traceback and the request id, and reaches the caller only
as "Internal server error" with INTERNAL_SERVER_ERROR and that `requestId` — never a
stack trace, an SQL statement or a value of some row. The same holds for each result of
a subscription's stream, which is sent before the operation ends."""

import logging
import re

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from gridhub.resolvers.errors import GridhubError, Unavailable, storage_refusal
from gridhub.resolvers.runtime.metrics import count_error
from gridhub.resolvers.runtime.request_id import request_id
from gridhub.resolvers.runtime.unavailable import RETRY_AFTER_SECONDS, database_unavailable

log = logging.getLogger("gridhub.errors")

INTERNAL_MESSAGE = "Internal server error"
_TOO_MANY_TOKENS = re.compile(r"Document contains more than (\d+) tokens")


def request_error_code(error: GraphQLError) -> dict:
    """Errors raised before execution: the document or the variables are wrong."""
    too_many = _TOO_MANY_TOKENS.search(error.message)
    if too_many:
        return {"code": "TOO_MANY_TOKENS", "limit": int(too_many.group(1))}
    if error.message.startswith("Syntax Error"):
        return {"code": "GRAPHQL_PARSE_FAILED"}
    if error.message.startswith("Variable"):
        return {"code": "BAD_USER_INPUT"}
    return {"code": "GRAPHQL_VALIDATION_FAILED"}


def is_request_error(error: GraphQLError) -> bool:
    """Raised by parsing, validation or the coercion of variables: these point into the
    document. An exception of our own code before execution (an extension's hook) is
    wrapped without a location, and is not one."""
    if error.path is not None:
        return False
    original = error.original_error
    return original is None or isinstance(original, GraphQLError) or bool(error.locations)


def mask(error: GraphQLError) -> GraphQLError:
    """An unexpected error: its details go to the log, under the request id the caller gets."""
    rid = request_id()
    original = error.original_error
    log.error("internal error [request %s] at %s: %s", rid, error.path, error.message,
              exc_info=(type(original), original, original.__traceback__) if original else None)
    error.message = INTERNAL_MESSAGE
    error.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": rid}
    error.original_error = None
    return error


def unavailable(error: GraphQLError) -> GraphQLError:
    """The database is away (a restart, a failover): not a bug, so no traceback; the caller
    may retry shortly, and the pool reconnects by itself once it is back."""
    rid = request_id()
    log.warning("database unavailable [request %s] at %s: %s", rid, error.path, error.original_error)
    problem = Unavailable(request_id=rid, retry_after=RETRY_AFTER_SECONDS)
    error.message, error.extensions = problem.message, problem.extensions
    error.original_error = None
    return error


def classify(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is not None and not isinstance(original, GridhubError):
        original = storage_refusal(original) or original
    if database_unavailable(original):
        return unavailable(error)
    if isinstance(original, GridhubError):
        error.message = original.message
        error.extensions = {**(error.extensions or {}), **original.extensions}
    elif (error.extensions or {}).get("code"):
        pass
    elif is_request_error(error):
        error.extensions = {**(error.extensions or {}), **request_error_code(error)}
    elif error.path is not None and isinstance(original, (GlobalIDValueError, GraphQLError)):
        error.extensions = {"code": "BAD_USER_INPUT"}
    else:
        mask(error)
    return error


def classify_all(result) -> None:
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [classify(e) for e in errors]
        for error in result.errors:
            count_error((error.extensions or {}).get("code"))


class ErrorCodes(SchemaExtension):
    def on_operation(self):
        yield
        classify_all(self.execution_context.result)

    def on_stream_result(self, result):
        """Each result of a stream (a subscription's events, an operation over WebSocket)
        is classified before it is sent."""
        classify_all(result)
        yield
