"""What an operator watches: `/metrics` in the Prometheus text format, and log lines as
JSON objects that carry the request id and the signed-in user.

Metrics are per process (scrape every process, as behind a load balancer): requests by
route, method and status with latency histograms, errors by `extensions.code`, answers
served from the cache or computed, and the policy version each process is on — a process
stuck on an old version shows up at once.

Both the request id and the user live in context variables, set where the request enters
and where it is signed in, so every log line the request causes can name them."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridhub.resolvers.runtime.metrics import LATENCY, POLICY_VERSION, REGISTRY, REQUESTS, current_user
from gridhub.resolvers.runtime.request_id import current as current_request_id

access_log = logging.getLogger("gridhub.access")

# Paths are reported by route, not as sent: ids in paths would make a series per row.
ROUTES = ("/graphql", "/export/", "/admin", "/healthz", "/metrics", "/places/")


def route_of(path: str) -> str:
    return next((r for r in ROUTES if path == r or path.startswith(r)), "other")


class RequestMetrics:
    """ASGI middleware: every HTTP request counted and timed (WebSockets are long-lived and
    not timed; their operations' errors are counted where they are classified)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        user = current_user.set(None)
        try:
            await self.app(scope, receive, send_counted)
        finally:
            seconds = time.perf_counter() - started
            route, method = route_of(scope.get("path", "")), scope.get("method", "")
            REQUESTS.labels(route, method, str(status)).inc()
            LATENCY.labels(route).observe(seconds)
            # the access line, inside the request: it carries the request id and the user
            access_log.info("%s %s %s %.1f ms", method, scope.get("path", ""), status, seconds * 1000)
            current_user.reset(user)


def metrics_endpoint(store):
    async def metrics(request: Request) -> Response:
        POLICY_VERSION.set(store.version)  # this app's store, read when scraped
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return metrics


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, user, process id,
    and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": current_request_id.get(),
            "user": current_user.get(),
            "pid": record.process,  # which worker of `gridhub serve --workers N`
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A line for a person at a terminal: local time, level, logger, message, and the request
    id and user in brackets when there are some."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request, user = current_request_id.get(), current_user.get()
        tail = " ".join(part for part in (request and f"request {request}", user and f"user {user}") if part)
        if not tail:
            return line
        first, newline, rest = line.partition("\n")  # after the message, before a traceback
        return f"{first} [{tail}]{newline}{rest}"


def log_format_for(setting: str | None, stream=None) -> str:
    """LOG_FORMAT when set; otherwise text where a person reads the stream (a terminal), JSON
    where a program does (a service's journal, a log shipper)."""
    if setting:
        return setting
    stream = stream or sys.stderr
    return "text" if hasattr(stream, "isatty") and stream.isatty() else "json"


def configure_logging(log_format: str | None) -> None:
    handler = logging.StreamHandler()  # standard error
    handler.setFormatter(JsonFormatter() if log_format_for(log_format, handler.stream) == "json" else TextFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
