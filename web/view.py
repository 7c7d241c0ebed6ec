"""The GraphQL view: strawberry's ASGI view with what the hub adds around it — the body cap
and refusals as GraphQL errors with a status (gateway), the request's context (the token,
the scope, the rate limit), GraphQL over HTTP's media types, sign-in over WebSocket, and the
answer cache, trusted documents and limits it holds for the process."""

from __future__ import annotations

import logging
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gridhub.models.serving import ServingClaim
from gridhub.policies.store import PolicyStore
from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.runtime.cache import AnswerCache, make_backend
from gridhub.resolvers.identity.context import RequestContext
from gridhub.resolvers.errors import RateLimited
from gridhub.resolvers.identity.login_throttle import LoginThrottle
from gridhub.resolvers.identity.rate_limit import make_counters, make_window
from gridhub.resolvers.domain.registered_elsewhere import RegisterLookups
from gridhub.resolvers.runtime.request_id import request_id
from gridhub.resolvers.identity.session import ScopeCache, build_context
from gridhub.resolvers.read.sqlread import raw as raw_json
from gridhub.resolvers.identity.trusted_documents import ManifestError, TrustedDocuments
from gridhub.resolvers.runtime.unavailable import RETRY_AFTER_SECONDS, database_unavailable
from gridhub.schema import schema, trusted
from gridhub.schema.limits import document_too_large, only_signs_in
from gridhub.schema.subscription import GroupedSubscriptions
from gridhub.settings import Settings
from gridhub.web import gateway
from gridhub.web import graphiql

log = logging.getLogger("gridhub")


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
        # ones at start (lifespan) and others' as first asked (resolvers/identity/trusted_documents.py)
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

