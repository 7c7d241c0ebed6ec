"""What every HTTP request meets around GraphQL: a request id on every response, refusals
shaped as GraphQL errors (`{"errors": [{"message", "extensions": {"code", …}}]}`) with a
proper 4xx status instead of strawberry's plain-text ones or a 500, a cap on the body, and
the GraphQL-over-HTTP media types (application/json, application/graphql-response+json)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from ipaddress import ip_address
from typing import Any

from cross_web import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import InvalidOperationTypeError

from gridhub.resolvers.errors import HTTP_STATUS, GridhubError, Unavailable
from gridhub.resolvers.runtime.metrics import count_error
from gridhub.resolvers.runtime.request_id import HEADER, accept_or_new, current, request_id
from gridhub.resolvers.runtime.unavailable import RETRY_AFTER_SECONDS, database_unavailable

log = logging.getLogger("gridhub.http")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


class Refusal(Exception):
    """A request refused as a whole: a stable code, a message, and the HTTP status the code's
    rung of the ladder gives (resolvers.errors.HTTP_STATUS) unless `status` says more."""

    def __init__(self, code: str, message: str, *, status: int | None = None, headers: dict | None = None,
                 **extensions: Any):
        super().__init__(message)
        self.status, self.code, self.message = status or HTTP_STATUS[code], code, message
        self.headers = headers or {}
        self.extensions = extensions

    @classmethod
    def of(cls, problem: GridhubError, *, headers: dict | None = None) -> Refusal:
        """A domain error refusing a whole request (a plain HTTP route, the rate limit)."""
        extensions = {k: v for k, v in problem.extensions.items() if k != "code"}
        return cls(problem.code, problem.message, headers=headers, **extensions)


def error_body(message: str, extensions: dict) -> bytes:
    return json.dumps({"errors": [{"message": message, "extensions": extensions}]},
                      ensure_ascii=False).encode()


def refusal_response(refusal: Refusal, media_type: str = JSON) -> Response:
    count_error(refusal.code)
    return Response(error_body(refusal.message, {"code": refusal.code, **refusal.extensions}),
                    status_code=refusal.status, media_type=media_type, headers=refusal.headers)


def unavailable_refusal() -> Refusal:
    """503 while the database is away: retry shortly (resolvers/runtime/unavailable.py tells it)."""
    log.warning("database unavailable [request %s]", request_id())
    return Refusal.of(Unavailable(request_id=request_id(), retry_after=RETRY_AFTER_SECONDS),
                      headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def unavailable_answer(response_data: Any) -> bool:
    """Whether an executed operation's answer failed as a whole because the database was
    away (or its write lock not had in time): a SERVICE_UNAVAILABLE error and no root field
    answered. Over HTTP it is then a 503 with `Retry-After`, like a request refused before it
    ran; an answer with some data keeps its 200 (the data is an answer)."""
    if not isinstance(response_data, dict):
        return False
    codes = {(e.get("extensions") or {}).get("code") for e in response_data.get("errors") or ()}
    data = response_data.get("data")
    return "SERVICE_UNAVAILABLE" in codes and (not data or all(value is None for value in data.values()))


def internal_error_response(media_type: str = JSON) -> Response:
    count_error("INTERNAL_SERVER_ERROR")
    return Response(error_body("Internal server error", {"code": "INTERNAL_SERVER_ERROR",
                                                         "requestId": request_id()}),
                    status_code=500, media_type=media_type)


def negotiate(accept: str | None) -> str:
    """The response media type: application/graphql-response+json when the caller ranks
    it at least as high as application/json (GraphQL over HTTP prefers it then), else
    application/json, also for callers that send no Accept or */*, as before."""
    ranks: dict[str, float] = {}
    for part in (accept or "").split(","):
        kind, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranks[kind.lower()] = max(quality, ranks.get(kind.lower(), 0.0))
    wanted = ranks.get(GRAPHQL_RESPONSE, 0.0)
    return GRAPHQL_RESPONSE if wanted > 0 and wanted >= ranks.get(JSON, 0.0) else JSON


def http_refusal(error: HTTPException) -> Refusal:
    """strawberry's own refusals, as GraphQL errors; a mutation over GET is 405 (GraphQL
    over HTTP), an unsupported content type 415."""
    status, headers = error.status_code, {}
    if isinstance(error.__cause__, InvalidOperationTypeError):
        status, headers = 405, {"Allow": "POST"}
    elif status == 405:
        headers = {"Allow": "GET, POST"}
    elif error.reason == "Unsupported content type":
        status = 415
    return Refusal("BAD_REQUEST", error.reason, status=status, headers=headers)


class BodyTooLarge(Refusal):
    def __init__(self, limit: int):
        super().__init__("BAD_REQUEST", f"the request body is larger than {limit} bytes", status=413, limit=limit)


def check_declared_length(scope: Scope, limit: int) -> None:
    """Refuse a body announced too large before reading any of it."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise Refusal("BAD_REQUEST", "Content-Length is not a number") from None
            if length > limit:
                raise BodyTooLarge(limit)


def capped(receive: Receive, limit: int) -> Receive:
    """`receive` that refuses once the body read so far passes `limit` (a chunked body
    announces no length)."""
    seen = 0

    async def receive_capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_capped


def _trusted(address: str, proxies: Sequence) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(scope: Scope, proxies: Sequence = ()) -> str:
    """The caller's address, for the per-address rate limit and login throttle: the peer's,
    unless the peer is one of the trusted `proxies` (settings.trusted_proxies); then the
    last address of `X-Forwarded-For` that is not a trusted proxy's. Anything before it was
    written by the caller and proves nothing. With no trusted proxies (the default) the
    header is ignored: a caller could otherwise claim a new address per guess. uvicorn's
    own proxy headers are off (`gridhub serve`), so the peer here is the socket's."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for name, value in scope.get("headers") or () if name == b"x-forwarded-for"
            for hop in value.decode("latin-1").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop if _is_address(hop) else peer
    return hops[0] if hops else peer


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


class RequestIds:
    """ASGI middleware: every request gets an id (the caller's `X-Request-Id` when it is
    sane), every response and WebSocket handshake carries it back, and an exception no
    route handled becomes a masked 500 whose id names its log line."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers") or () if k == b"x-request-id"), None)
        rid = accept_or_new(incoming)
        token = current.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept"):
                started = True
                headers = [(k, v) for k, v in message.get("headers") or () if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (HEADER.lower().encode(), rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if scope["type"] != "http" or started:
                raise
            if database_unavailable(error):  # a route of its own, or a middleware, met the database away
                await refusal_response(unavailable_refusal())(scope, receive, send_with_id)
                return
            log.exception("unhandled error [request %s] on %s", rid, scope.get("path"))
            await internal_error_response()(scope, receive, send_with_id)
        finally:
            current.reset(token)


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages as text frames. The view's JSON encoder (orjson) makes
    bytes, which strawberry sends as binary frames: the `graphql-ws` client of browsers
    (urql, Apollo, GraphiQL) then reads a Blob and fails with "Message is missing the 'type'
    property". The protocol is JSON text, so the bytes (UTF-8) go out as text."""

    async def send_json(self, message) -> None:
        encoded = self.view.encode_json(message)
        await self.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)

    async def send_text(self, text: str) -> None:
        """A message encoded already (a subscription group's, resolvers.runtime.event_bus)."""
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
