"""Gridhub's composition root: the ASGI app (`create_app`) made of its parts — the settings
checked, the database prepared, the policy store and its watcher, the event bus, the hand-over
worker, the GraphQL view (web/view.py) and the routes of the HTTP layer (web/). The `gridhub`
command is cli/."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from tortoise import Tortoise

from gridhub.models.database import init_database
from gridhub.models.serving import ServingClaim
from gridhub.policies.store import PolicyStore, seed_default_policy
from gridhub.policies.watcher import PolicyWatcher
from gridhub.resolvers.domain.categories import seed_event_categories
from gridhub.resolvers.runtime.event_bus import EventBus, announce_event_change
from gridhub.resolvers.domain.visit_due import refresh_missing_visit_due, seed_visit_rules
from gridhub.resolvers.domain.vocabulary import seed_vocabulary
from gridhub.resolvers.domain.hand_over import HandOverWorker
from gridhub.schema import caches
from gridhub.settings import Settings, database_problem
from gridhub.web import gateway
from gridhub.web import clients as web_clients
from gridhub.web import health
from gridhub.web import observability
from gridhub.web import graphiql
from gridhub.web.console import console_config_endpoint
from gridhub.web.exports import export_endpoint, place_qr_endpoint
from gridhub.web.view import GridhubGraphQL

log = logging.getLogger("gridhub")
ADMIN_DIR = Path(__file__).with_name("admin")  # the policy console: static files, served at /admin


# HS256 wants a key at least as long as its hash (RFC 7518, 3.2)
MIN_SECRET_BYTES = 32


def check_database(settings: Settings) -> None:
    problem = database_problem(settings.database_url)
    if problem:
        raise SystemExit(problem)


def check_settings(settings: Settings) -> Settings:
    """Refuse at start what would fail later or silently: a database that cannot be opened, no
    JWT secret or a short one outside demo mode. In demo mode a random secret is made."""
    check_database(settings)
    if settings.demo_mode and settings.trusted_documents_only:
        log.warning("demo mode answers any document: TRUSTED_DOCUMENTS_ONLY applies outside demo mode only")
    if not settings.jwt_secret:
        if not settings.demo_mode:
            raise SystemExit("JWT_SECRET is required (or DEMO_MODE=1 for a demo)")
        import secrets

        log.warning("demo mode: signing tokens with a random secret made at start")
        settings = settings.model_copy(update={"jwt_secret": secrets.token_hex(32)})
    elif not settings.demo_mode and len(settings.jwt_secret.encode()) < MIN_SECRET_BYTES:
        raise SystemExit(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes; make one with "
                         "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return settings


async def prepare_database(settings: Settings, *, migrate: bool = True) -> None:
    """Migrations, then what an empty database needs before the first request: the default
    policy, the event categories and the visit rules (each written only where missing)."""
    await init_database(settings, migrate=migrate)
    await seed_default_policy()
    await seed_event_categories()
    await seed_vocabulary()
    await seed_visit_rules()
    await refresh_missing_visit_due()


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> Starlette:
    settings = check_settings(settings or Settings())
    caches.configure(settings)  # the byte budgets of the schema's caches (documents, costs, plans)
    store = PolicyStore()
    graphql = GridhubGraphQL(settings, store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        claim = graphql.claim = await ServingClaim.take(settings.database_url)  # no reset replaces it while served
        keeping = asyncio.create_task(claim.keep())  # taken again after a PostgreSQL restart
        await prepare_database(settings, migrate=migrate)
        await store.load()
        await graphql.trusted.load_stored()
        redis_url = settings.cache_url if settings.cache_url.startswith("redis://") else None
        watcher = PolicyWatcher(store, redis_url)
        await watcher.start()
        events = EventBus(redis_url, scope_of=lambda user: graphql.scopes.get(store, user),
                          policy_version=lambda: store.version)
        await events.start()
        handovers = HandOverWorker(interval=settings.handover_interval_seconds,
                                   retry_base=settings.webhook_retry_seconds,
                                   max_attempts=settings.webhook_max_attempts,
                                   timeout=settings.webhook_timeout_seconds,
                                   notice_days=settings.notice_retention_days,
                                   delivery_days=settings.webhook_delivery_retention_days,
                                   on_notice=lambda notice, event: announce_event_change(event, "due_soon"))
        await handovers.start()
        app.state.cache = graphql.answers
        app.state.store = store
        # what start-up built (the schema, the models, the policy) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it (a 60 ms pause at
        # the 99th percentile under load)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await handovers.stop()
            await events.stop()
            await watcher.stop()
            await app.state.cache.close()
            await graphql.counters.close()
            await Tortoise.close_connections()
            keeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeping
            await claim.release()


    application = Starlette(
        routes=[
            Route("/", health.home),
            Route("/healthz", health.health_endpoint(graphql)),
            Route("/metrics", observability.metrics_endpoint(store)),
            Route("/graphql", graphql),  # every method: the view answers others with a GraphQL 405
            Route("/export/{kind}", export_endpoint(graphql), methods=["GET"]),
            Route("/places/{id:path}/qr.svg", place_qr_endpoint(graphql), methods=["GET"]),
            WebSocketRoute("/graphql", graphql),
            Route("/admin/config.json", console_config_endpoint(settings), methods=["GET"]),
            Mount("/admin", StaticFiles(directory=ADMIN_DIR, html=True, check_dir=False)),  # the policy console
            Mount("/static", StaticFiles(directory=graphiql.STATIC_DIR, check_dir=False)),  # GraphiQL's assets
        ],
        middleware=[Middleware(gateway.RequestIds), *web_clients.middleware(settings),
                    Middleware(observability.RequestMetrics)],
        lifespan=lifespan,
    )
    application.state.graphql = graphql  # its rate limits, for operators' tools and tests
    return application
