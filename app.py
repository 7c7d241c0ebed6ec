"""Gridhub: the ASGI app (`create_app`) and the `gridhub` command.

    gridhub serve [--workers N]  serve /graphql (GraphiQL in a browser) and /healthz
    gridhub demo [--reset] [--now T]   build the deterministic demo county, as of now (or T)
    gridhub migrate            apply the schema migrations
    gridhub export-schema      write the SDL to schema.graphql
    gridhub pull KIND --out F  pull a kind from a hub into an NDJSON file (resumable)
    gridhub user add|passwd|disable|enable|grant   the operator's accounts (accounts.py)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api.migrate import migrate as run_migrations

from gridhub import accounts
from gridhub.console_config import console_config_endpoint
from gridhub import gateway
from gridhub import graphiql
from gridhub import observability
from gridhub import pull
from gridhub import web_clients
from gridhub.exports import export_endpoint, place_qr_endpoint
from gridhub.policies.store import PolicyStore, seed_default_policy
from gridhub.policies.watcher import PolicyWatcher
from gridhub.resolvers.access import broken_grants_in_force
from gridhub.resolvers.categories import seed_event_categories
from gridhub.resolvers.vocabulary import seed_vocabulary
from gridhub.resolvers.visits import refresh_missing_visit_due, seed_visit_rules
from gridhub.resolvers import deadlines
from gridhub.resolvers.cache import AnswerCache, make_backend
from gridhub.resolvers.context import RequestContext
from gridhub.resolvers.errors import RateLimited
from gridhub.resolvers.event_bus import EventBus, announce_event_change
from gridhub.resolvers.webhooks import HandOverWorker
from gridhub.resolvers.login_throttle import LoginThrottle
from gridhub.resolvers.registered_elsewhere import RegisterLookups
from gridhub.resolvers.rate_limit import make_counters, make_window
from gridhub.resolvers.trusted_documents import ManifestError, TrustedDocuments
from gridhub.resolvers.request_id import request_id
from gridhub.resolvers.session import ScopeCache, build_context
from gridhub.resolvers.sqlread import raw as raw_json
from gridhub.models.serving import DatabaseServed, ServingClaim, unserved
from gridhub.resolvers.unavailable import RETRY_AFTER_SECONDS, database_unavailable
from gridhub.schema import caches, schema, trusted
from gridhub.schema.limits import document_too_large, only_signs_in
from gridhub.schema.subscription import GroupedSubscriptions
from gridhub.settings import Settings, database_problem, tortoise_config

log = logging.getLogger("gridhub")
SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
ADMIN_DIR = Path(__file__).with_name("admin")  # the policy console: static files, served at /admin


async def init_database(settings: Settings, *, migrate: bool = True) -> None:
    config = tortoise_config(settings.database_url)
    if migrate:
        await run_migrations(config=config)
        await Tortoise.close_connections()
    # Tortoise keeps connections in a ContextVar; the global fallback lets request tasks
    # (started outside the lifespan's context) see them.
    await Tortoise.init(config=config, _enable_global_fallback=True)


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


def remove_sqlite_file(database_url: str) -> None:
    path = expand_db_url(database_url)["credentials"]["file_path"]
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


async def reset_database(settings: Settings) -> None:
    """An empty, migrated database, for `gridhub demo --reset` and `bench/generate --reset`.
    Rows are not deleted one by one: the audit trail refuses that (its append-only row
    triggers), as it should. SQLite: the file goes and is made again. PostgreSQL: every
    table is truncated, as an operator's retention would (row triggers do not fire).
    Refused (DatabaseServed) while a server holds the database (models.serving)."""
    async with unserved(settings.database_url):
        if not is_postgres(settings.database_url):
            await Tortoise.close_connections()
            remove_sqlite_file(settings.database_url)
            await init_database(settings)
            return
        tables = ", ".join(m._meta.db_table for m in Tortoise.apps["gridhub"].values())
        await connections.get("default").execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


class GridhubGraphQL(GraphQL):
    websocket_adapter_class = gateway.TextFrames
    graphql_transport_ws_handler_class = GroupedSubscriptions

    @property
    def graphql_ide_html(self) -> str:
        return graphiql.page()  # its assets served by the hub (/static/graphiql/), not a CDN

    def __init__(self, settings: Settings, store: PolicyStore):
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        self.settings = settings
        deadlines.configure(settings.light_yellow_after)
        self.store = store
        self.scopes = ScopeCache(settings.cache_bytes)
        self.answers = AnswerCache(make_backend(settings.cache_url, settings.cache_bytes))
        self.counters = make_counters(settings.cache_url)
        window = settings.rate_limit_window_seconds
        # the per-request limits: decided in the process, reconciled with Redis in shares (rate_limit.py)
        self.signed_in_limit = make_window(self.counters, "requests", settings.rate_limit_requests, window)
        self.anonymous_limit = make_window(self.counters, "anonymous", settings.rate_limit_anonymous_requests, window)
        self.login_throttle = LoginThrottle(self.counters, settings)
        self.register_lookups = RegisterLookups(self.counters, settings)
        self.proxies = settings.proxy_networks()
        # the registered operations, the manifest's parsed, validated and planned now; the stored
        # ones at start (lifespan) and others' as first asked (resolvers/trusted_documents.py)
        self.trusted = TrustedDocuments(only=settings.trusted_documents_only and not settings.demo_mode,
                                        automatic_bytes=settings.cache_bytes,
                                        prepare=trusted.preparer(schema._schema, settings))
        if settings.trusted_documents_file:
            try:
                count = self.trusted.load_manifest(settings.trusted_documents_file)
            except ManifestError as error:
                raise SystemExit(str(error)) from None
            log.info("trusted documents: %d from %s", count, settings.trusted_documents_file)
        self.claim: ServingClaim | None = None  # on the database, while served (models.serving)

    async def __call__(self, scope, receive, send) -> None:
        """HTTP: the body capped, and every refusal a GraphQL error with a 4xx status
        (strawberry answers plain text, or fails on a JSON body that is not an object)."""
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        media_type = gateway.negotiate(Request(scope).headers.get("accept"))
        try:
            if self.claim is not None and self.claim.problem:  # the database may be under a reset
                raise gateway.unavailable_refusal()
            gateway.check_declared_length(scope, self.settings.max_body_bytes)
            response = await self.run(Request(scope, gateway.capped(receive, self.settings.max_body_bytes)))
        except gateway.Refusal as refusal:
            response = gateway.refusal_response(refusal, media_type)
        except HTTPException as e:
            response = gateway.refusal_response(gateway.http_refusal(e), media_type)
        except Exception as error:
            if database_unavailable(error):  # signing in needs the database too
                response = gateway.refusal_response(gateway.unavailable_refusal(), media_type)
            else:
                log.exception("internal error [request %s] on /graphql", request_id())
                response = gateway.internal_error_response(media_type)
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request) -> bool:
        """GraphiQL for a browser's GET without a document; a GET that names a persisted
        document by its hash (`extensions`, APQ) is an operation, whatever it accepts."""
        return super().should_render_graphql_ide(request) and request.query_params.get("extensions") is None

    def encode_json(self, data: object) -> str | bytes:
        """orjson: a page of 100 events with their logs is a large answer, and the standard
        encoder took milliseconds of it. The compiled path's root fields are the database's
        JSON text (RawJSON), spliced in as they are. Every answer goes out through here: a
        single or batched request, a stream, a WebSocket message (gateway.TextFrames).
        Anything orjson refuses (an integer past 64 bits in a JSON scalar) falls back to the
        standard encoder, which needs the database's JSON parsed."""
        try:
            return raw_json.dumps(data)
        except TypeError:
            return super().encode_json(raw_json.materialised(data))

    async def parse_http_body(self, request_adapter):
        try:
            data = await super().parse_http_body(request_adapter)
        except AttributeError:  # a JSON body that is not an object: `5`, `"query"`
            raise gateway.Refusal("BAD_REQUEST", "the body must be a JSON object") from None
        except (ValueError, RecursionError):  # undecodable bytes, a 5000-digit number, [[[[…]]]]
            raise gateway.Refusal("BAD_REQUEST", "Unable to parse request body as JSON") from None
        too_large = document_too_large(getattr(data, "query", None), self.settings.max_document_bytes)
        if too_large:  # refused here, not inside the schema, where the error would keep it until a GC
            message, extensions = too_large
            raise gateway.Refusal(extensions.pop("code"), message, **extensions)
        return data

    async def get_context(self, request: Any, response: Any = None) -> RequestContext:
        context = await self.make_context(request.headers.get("authorization"), request, response)
        if isinstance(request, WebSocket):
            context.connection_params = None  # strawberry puts the connection_init payload here
            context.authorization = request.headers.get("authorization")  # or connection_init's (on_ws_connect)

            async def renew(query: str | None, operation_name: str | None):
                return await self.operation_context(context, query, operation_name)

            context.renew = renew
        return context

    async def make_context(self, authorization: str | None, request: Any, response: Any = None) -> RequestContext:
        context = await build_context(self.settings, self.store, self.scopes, authorization, request, response)
        context.answers = self.answers
        context.trusted_documents = self.trusted
        context.login_throttle = self.login_throttle
        context.register_lookups = self.register_lookups
        context.client_ip = gateway.client_ip(request.scope, self.proxies)
        return context

    async def operation_context(self, connection: RequestContext, query: str | None, operation_name: str | None
                                ) -> tuple[RequestContext, GraphQLError | None]:
        """The context of one operation over a WebSocket, made as an HTTP request's is: the
        connection's token verified again, the current policy version's scope, new loaders and
        audit; and the rate limit's refusal, if it refuses (schema.subscription)."""
        context = await self.make_context(connection.authorization, connection.request)
        context.connection_params = connection.connection_params
        try:
            if not self.signs_in(context, query, operation_name):
                await self.check_rate(context)
        except gateway.Refusal as refusal:
            return context, GraphQLError(refusal.message, extensions={"code": refusal.code, **refusal.extensions})
        return context, None

    def signs_in(self, context: RequestContext, query: str | None, operation_name: str | None) -> bool:
        """An anonymous caller's sign-in, which the login throttle governs, not the rate limit
        (login_throttle.py)."""
        return context.user is None and only_signs_in(query, operation_name, self.settings.max_query_tokens)

    async def execute_operation(self, request, request_adapter, request_data, context, root_value, sub_response):
        """The rate limit counts operations: not GraphiQL's page (served before this), and not
        an anonymous caller's sign-in."""
        if not (isinstance(request_data, GraphQLRequestData)
                and self.signs_in(context, request_data.query, request_data.operation_name)):
            await self.check_rate(context)
        return await super().execute_operation(request, request_adapter, request_data, context, root_value,
                                               sub_response)

    async def check_rate(self, context: RequestContext) -> None:
        """Per user when signed in, per client IP otherwise: 429 with Retry-After past it."""
        if context.user is not None:
            verdict = await self.signed_in_limit.hit(f"user:{context.user.id}")
        else:
            verdict = await self.anonymous_limit.hit(f"ip:{context.client_ip}")
        if not verdict.allowed:
            raise gateway.Refusal.of(RateLimited(f"too many requests; retry in {verdict.retry_after} s",
                                                 verdict.retry_after),
                                     headers={"Retry-After": str(verdict.retry_after)})

    async def get_sub_response(self, request: Any) -> Any:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = gateway.negotiate(request.headers.get("accept"))
        return sub_response

    async def process_result(self, request: Any, result: Any) -> Any:
        """GraphQL over HTTP with application/graphql-response+json: a request that failed
        before execution (parse, validation, variables, limits) has no `data` at all."""
        answer = await super().process_result(request, result)
        if gateway.negotiate(request.headers.get("accept")) == gateway.GRAPHQL_RESPONSE and \
                result.data is None and result.errors and all(e.path is None for e in result.errors):
            answer.pop("data", None)
        return answer

    def create_response(self, response_data: Any, sub_response: Any) -> Any:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "media_type", None) == gateway.GRAPHQL_RESPONSE:
            response.headers["content-type"] = gateway.GRAPHQL_RESPONSE
            if isinstance(response_data, dict) and "data" not in response_data and not sub_response.status_code:
                response.status_code = 400
        if gateway.unavailable_answer(response_data):  # the database away, not the request wrong
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    async def on_ws_connect(self, context: RequestContext) -> Any:
        """Sign-in over WebSocket: browsers cannot set headers there, so the token comes in the
        connection_init payload. A token that is not valid refuses the connection (close 4403);
        without one it stays anonymous and every field answers UNAUTHENTICATED."""
        authorization = connection_authorization(context.connection_params)
        if authorization:
            signed_in = await build_context(self.settings, self.store, self.scopes, authorization)
            context.user, context.auth_error = signed_in.user, signed_in.auth_error
            context.scope, context.loaders = signed_in.scope, signed_in.loaders
            context.authorization = authorization  # what each operation signs in with again
        if context.auth_error is not None:
            raise ConnectionRejectionError({"message": str(context.auth_error)})
        return await super().on_ws_connect(context)


def connection_authorization(payload: Any) -> str | None:
    """`{"Authorization": "Bearer <token>"}` (or `authorization`), or `{"token": "<token>"}`."""
    if not isinstance(payload, dict):
        return None
    if payload.get("token"):
        return f"Bearer {payload['token']}"
    value = payload.get("Authorization") or payload.get("authorization")
    return str(value) if value else None


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

    async def healthz(request: Request) -> JSONResponse:
        status = {"database": "ok", "cache": "ok"}
        try:
            await connections.get("default").execute_query("SELECT 1")
            if graphql.claim is not None and graphql.claim.problem:  # not serving it: out of the balancer
                status["database"] = f"error: {graphql.claim.problem}"
        except Exception as e:  # the point is to report it, whatever it is
            status["database"] = f"error: {type(e).__name__}"
        try:
            await request.app.state.cache.ping()
        except Exception as e:
            status["cache"] = f"error: {type(e).__name__}"
        # Without the database nothing can be answered: out of the load balancer (503).
        # Without Redis the hub answers from memory and polls the policy: degraded, serving.
        status_code = 200 if status["database"] == "ok" else 503
        healthy = all(v == "ok" for v in status.values())
        return JSONResponse({"status": "ok" if healthy else "degraded", **status}, status_code=status_code)

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    application = Starlette(
        routes=[
            Route("/", home),
            Route("/healthz", healthz),
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


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """uvicorn's loggers go through ours; the access line is written by
    observability.RequestMetrics, inside the request, with its id and user. Several workers
    are processes of their own, each making its app (`serve_worker`): the database is
    migrated and seeded once before they start, and a demo's random signing secret is made
    once and handed to them, so that a token from one is good on every other."""
    import uvicorn

    settings = check_settings(settings)
    if settings.demo_mode:
        log.info(demo_banner(host, port))
    # X-Forwarded-For is the app's to judge, from settings.trusted_proxies only
    # (gateway.client_ip): uvicorn's own would believe any loopback peer
    options = {"host": host, "port": port, "log_config": None, "access_log": False, "proxy_headers": False,
               # the fastest stack uvicorn has (both dependencies; docs/performance.md)
               "loop": "uvloop" if sys.platform != "win32" else "asyncio", "http": "httptools",
               # a subscription's change is made once per group, but compressed per socket
               # (docs/reliability.md, section 8)
               "ws_per_message_deflate": settings.websocket_compression}
    if workers <= 1:
        uvicorn.run(create_app(settings), **options)
        return
    asyncio.run(_prepared(settings))
    os.environ["JWT_SECRET"] = settings.jwt_secret
    module = __spec__.name if __spec__ else "gridhub.app"  # `python app.py` runs it as __main__
    # a worker imports the whole hub before it answers the parent's health check: on a busy
    # machine that takes longer than uvicorn's 5 s, and the parent would kill it as hung
    uvicorn.run(f"{module}:serve_worker", factory=True, workers=workers, timeout_worker_healthcheck=60, **options)


def serve_worker() -> Starlette:
    """The app of one worker of `gridhub serve --workers N`, from the environment the parent
    hands down, logging as the parent does."""
    settings = Settings()
    observability.configure_logging(settings.log_format)
    return create_app(settings, migrate=False)


async def _prepared(settings: Settings) -> None:
    try:
        await prepare_database(settings)
    finally:
        await Tortoise.close_connections()


def demo_banner(host: str, port: int) -> str:
    """The line a person trying the demo needs: where to go, and as whom."""
    from gridhub.resolvers.demo.users import DEMO_USERS

    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    return (f"Gridhub demo: GraphiQL at {base}/graphql, policy console at {base}/admin/; "
            f"demo users (password demo): {', '.join(u[0] for u in DEMO_USERS)}")


def export_schema(path: Path = SCHEMA_FILE) -> str:
    text = schema.as_str() + "\n"
    path.write_text(text, encoding="utf-8")
    return text


async def _demo(settings: Settings, reset: bool, scale: float, seed: int, now: datetime | None) -> None:
    from gridhub.resolvers.demo import build_demo
    from gridhub.resolvers.demo.users import create_demo_users

    await init_database(settings)
    try:
        from gridhub import models

        if await models.Region.exists():
            if not reset:
                print("the database already holds data; `gridhub demo --reset` rebuilds it")
                return
            await reset_database(settings)  # build_demo and create_demo_users seed what they need
        counts = await build_demo(scale=scale, seed=seed, now=now)
        users = await create_demo_users()
        print("demo county built:", ", ".join(f"{k} {v}" for k, v in counts.items()))
        print("demo users (password demo):", ", ".join(users))
    finally:
        await Tortoise.close_connections()


async def _bulletin(settings: Settings, region_path: str, week: str, form: str) -> int:
    """The weekly bulletin from the resolver `gridScorecard` uses, over everything (an operator's tool).
    Returns the exit status: 2, as argparse's, for an unknown region or a malformed week."""
    from gridhub.policies.scope import Scope
    from gridhub.resolvers import scorecard
    from gridhub.resolvers.errors import BadInput, NotFound

    await init_database(settings, migrate=False)
    data, refused = None, None
    try:
        data = await scorecard.bulletin(Scope.everything(), region_path, week, settings.score_weights)
    except (NotFound, BadInput) as e:  # the operator's arguments are wrong: the reason, no traceback
        refused = e
    finally:
        await Tortoise.close_connections()
    if refused is not None:  # said last, after what closing the database logs
        print(f"{refused.code}: {refused.message}", file=sys.stderr)
        return 2
    print(scorecard.bulletin_json(data) if form == "json" else scorecard.bulletin_markdown(data), end="")
    return 0


async def _prune(settings: Settings, notice_days: int | None, delivery_days: int | None) -> None:
    """Old notices and webhook deliveries deleted now (the server does it every hour)."""
    from gridhub.resolvers.retention import prune

    await init_database(settings, migrate=False)
    try:
        gone = await prune(settings.notice_retention_days if notice_days is None else notice_days,
                           settings.webhook_delivery_retention_days if delivery_days is None else delivery_days,
                           datetime.now(timezone.utc))
    finally:
        await Tortoise.close_connections()
    print(json.dumps(gone))


async def _migrate(settings: Settings) -> None:
    await run_migrations(config=tortoise_config(settings.database_url))
    await Tortoise.close_connections()
    print("migrations applied")
    await init_database(settings, migrate=False)
    try:
        broken = await broken_grants_in_force()
    finally:
        await Tortoise.close_connections()
    # listed, never dropped: an admin decides what becomes of each
    for line in broken:
        print(f"breaks the delegation rules: {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gridhub", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the hub")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes on the one port (share DATABASE_URL, and CACHE_URL=redis://… for "
                            "subscriptions and shared limits)")
    demo = commands.add_parser("demo", help="build the demo county")
    demo.add_argument("--reset", action="store_true", help="delete what the database holds first")
    demo.add_argument("--scale", type=float, default=1.0, help="1.0 is a Nanling-sized county")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--now", type=datetime.fromisoformat, metavar="TIME",
                      help="the demo's clock, e.g. 2026-11-01T08:00:00Z (China time without an offset); "
                           "by default the moment it is built")
    commands.add_parser("migrate", help="apply migrations")
    commands.add_parser("export-schema", help="write schema.graphql")
    bulletin = commands.add_parser("bulletin", help="print a region's weekly grid bulletin (周通报)")
    bulletin.add_argument("--region", required=True, help="a region path, e.g. /340223/340223100/")
    bulletin.add_argument("--week", required=True, help="an ISO week, e.g. 2026-W47")
    bulletin.add_argument("--format", choices=("md", "json"), default="md")
    pruning = commands.add_parser("prune", help="delete old notices and webhook deliveries (the server does it "
                                                "every hour)")
    pruning.add_argument("--notice-days", type=int, help="keep notices this many days (default: "
                                                         "NOTICE_RETENTION_DAYS; 0 keeps all)")
    pruning.add_argument("--delivery-days", type=int, help="keep answered or given-up webhook deliveries this "
                                                           "many days (default: WEBHOOK_DELIVERY_RETENTION_DAYS)")
    pull_parser = commands.add_parser("pull", help="pull a kind into an NDJSON file (resumable)")
    pull.add_arguments(pull_parser)
    accounts.add_arguments(commands.add_parser("user", help="create users, set passwords, disable, grant"))
    args = parser.parse_args(argv)
    if args.command == "pull":  # a client of a hub: no database, settings or logging of its own
        raise SystemExit(pull.main(args))
    settings = Settings()
    observability.configure_logging(settings.log_format)
    if args.command != "export-schema":
        check_database(settings)

    if args.command == "serve":
        run_server(settings, args.host or settings.host, args.port or settings.port, args.workers)
    elif args.command == "demo":
        try:
            asyncio.run(_demo(settings, args.reset, args.scale, args.seed, args.now))
        except DatabaseServed as refused:
            raise SystemExit(f"gridhub demo --reset: {refused}") from None
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "user":
        raise SystemExit(accounts.main(args, init_database, settings))
    elif args.command == "bulletin":
        raise SystemExit(asyncio.run(_bulletin(settings, args.region, args.week, args.format)))
    elif args.command == "prune":
        asyncio.run(_prune(settings, args.notice_days, args.delivery_days))
    elif args.command == "export-schema":
        export_schema()
        print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main(sys.argv[1:])
