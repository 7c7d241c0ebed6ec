"""The id of the request being served: sent back as `X-Request-Id`, put in the extensions
of an internal error and in the log line with its traceback, so an operator can find the
details a caller was not shown.

It lives in a context variable: set once where the request enters (the ASGI middleware),
it is seen by everything that request runs, including the tasks of a WebSocket's
subscriptions, which copy the context they were started in."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-Id"
# An id from a proxy or a client is kept if it is short and plain, so that it can go
# into a header and a log line as it is; anything else is replaced.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

current: ContextVar[str | None] = ContextVar("gridhub_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_or_new(incoming: str | None) -> str:
    """The caller's id when it is sane, a new one otherwise."""
    if incoming and _SANE.fullmatch(incoming):
        return incoming
    return new_request_id()


def request_id() -> str:
    """The current request's id; outside a request (the CLI, a test), a fresh one, so an
    error still gets an id that its log line shares."""
    found = current.get()
    if found is None:
        found = new_request_id()
        current.set(found)
    return found


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record (`-` outside a request), for formats that show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get() or "-"
        return True
