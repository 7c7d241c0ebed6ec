"""Errors a caller can act on, each with a stable code that reaches GraphQL as
`extensions.code`. Anything else is an internal error and its details stay in the log."""

from __future__ import annotations


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


class GridhubError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    @property
    def extensions(self) -> dict:
        ext = {"code": self.code, **{_camel(k): v for k, v in self.extra.items()}}
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
