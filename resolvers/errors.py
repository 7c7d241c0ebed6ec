"""Errors a caller can act on, each with a stable code that reaches GraphQL as
`extensions.code`. Anything else is an internal error and its details stay in the log."""

from __future__ import annotations

import re

from gridhub.resolvers.runtime.names import camel


# the one message of an outage, whichever layer meets it
UNAVAILABLE_MESSAGE = "The database is not reachable; retry shortly"


class GridhubError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    @property
    def extensions(self) -> dict:
        ext = {"code": self.code, **{camel(k): v for k, v in self.extra.items()}}
        if self.field:
            ext["field"] = self.field
        return ext


class Unauthenticated(GridhubError):
    code = "UNAUTHENTICATED"


class Forbidden(GridhubError):
    code = "FORBIDDEN"


class NotFound(GridhubError):
    code = "NOT_FOUND"


class BadInput(GridhubError):
    code = "BAD_USER_INPUT"


class Conflict(GridhubError):
    code = "CONFLICT"


class Unavailable(GridhubError):
    """The database is away for a moment (resolvers.runtime.unavailable): retry shortly."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, message: str = UNAVAILABLE_MESSAGE, **extra):
        super().__init__(message, **extra)


class RateLimited(GridhubError):
    """Too many requests (or failed sign-ins) in a window; `retryAfter` says when to retry."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


_TOO_LONG = re.compile(r"^(?:(\w+): )?Length of .* (\d+) > (\d+)$", re.S)


def storage_refusal(error: Exception) -> BadInput | None:
    """A value the ORM refused before it reached the database (tortoise validates lengths
    and ranges of what is written or compared): the caller's input, so BAD_USER_INPUT,
    told without echoing the value."""
    from tortoise.exceptions import ValidationError

    if not isinstance(error, ValidationError):
        return None
    too_long = _TOO_LONG.match(str(error))
    if too_long:
        field = camel(too_long.group(1)) if too_long.group(1) else None
        return BadInput(f"{field or 'a text'} is longer than {too_long.group(3)} characters", field=field)
    return BadInput("a value is outside what can be stored")


# Every `extensions.code` a caller can receive. Anything else would be a bug: the hostile
# input tests hold every answer to this list.
STABLE_CODES = frozenset({
    "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT",  # our own errors
    "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST",  # the request itself
    "QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "TOO_MANY_TOKENS", "QUERY_TOO_COSTLY", "RATE_LIMITED",  # limits
    "DOCUMENT_TOO_LARGE",
    "SERVICE_UNAVAILABLE",  # the database is away (resolvers.runtime.unavailable): retry shortly
    "INTERNAL_SERVER_ERROR",
})

# The ladder's last rung: the HTTP status of a request refused as a whole, by its code (a
# refusal may name another where HTTP says more: 405, 413, 415). An answer that executed
# keeps 200 whatever its errors, as GraphQL over HTTP asks, except an outage (gateway).
HTTP_STATUS = {
    "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "BAD_USER_INPUT": 400, "CONFLICT": 409,
    "BAD_REQUEST": 400, "DOCUMENT_TOO_LARGE": 413, "RATE_LIMITED": 429, "SERVICE_UNAVAILABLE": 503,
    "INTERNAL_SERVER_ERROR": 500,
}
