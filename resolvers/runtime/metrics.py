"""The hub's Prometheus series, counted where things happen (errors where they are
classified, cache answers where they are looked up) and served by `observability`."""

from __future__ import annotations

from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Who is signed in on the request being served, for log lines (set in get_context).
current_user: ContextVar[str | None] = ContextVar("gridhub_user", default=None)

# One registry per process: several apps in one process (the tests) share the series.
REGISTRY = CollectorRegistry()
REQUESTS = Counter("gridhub_requests", "HTTP requests answered", ("route", "method", "status"), registry=REGISTRY)
LATENCY = Histogram("gridhub_request_seconds", "Time to answer an HTTP request", ("route",), registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("gridhub_errors", "Errors returned, by extensions.code", ("code",), registry=REGISTRY)
CACHE = Counter("gridhub_cache_answers", "Cached answers asked for, by result", ("result",), registry=REGISTRY)
POLICY_VERSION = Gauge("gridhub_policy_version", "The policy version this process enforces", registry=REGISTRY)


def count_error(code: str | None) -> None:
    ERRORS.labels(code or "UNKNOWN").inc()


def count_cache(hit: bool) -> None:
    CACHE.labels("hit" if hit else "miss").inc()
