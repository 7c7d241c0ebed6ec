"""`GET /export/{kind}`: a department's bulk pull over HTTP, streamed; and
`GET /places/{id}/qr.svg`, a place's address code as a QR image, signed in the same way. The logic is in
schema/export.py and resolvers/bulk/sync.py; this is the starlette glue: sign-in (the same
`Authorization: Bearer` as /graphql, JWT or `ghs_…` service token) and the same per-user
rate limit, refusals as GraphQL-style errors with an HTTP status, and the streamed body,
audited when it ends however it ends.

    GET /export/person?format=ndjson|csv&filter={"tags":["care"]}&updated_since=2026-11-01T00:00:00Z
    GET /export/person?cursor=…   (with the same filter and format: resume a pull)
"""

from __future__ import annotations

import io
import logging
from typing import Any

import anyio
import segno
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gridhub.web.gateway import Refusal, refusal_response, unavailable_refusal
from gridhub.policies.predicate import Compare
from gridhub.resolvers.identity.auth import SERVICE_TOKEN_PREFIX
from gridhub.resolvers.errors import GridhubError, NotFound, Unauthenticated, Unavailable
from gridhub.schema.export import Export, ExportRequest, audit_root
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.identity.context import RequestContext
from gridhub.resolvers.identity.session import build_context
from gridhub.resolvers.read.sqlread import materialised
from gridhub.resolvers.runtime.unavailable import database_unavailable
from gridhub.schema import schema
from gridhub.schema.ids import decode_id

log = logging.getLogger("gridhub.export")


async def execute(query: str, variables: dict, context: Any) -> Any:
    """The export reads the rows' values: a compiled answer's JSON text is parsed here."""
    result = await schema.execute(query, variable_values=variables, context_value=context)
    if result.data is not None:
        result.data = materialised(result.data)
    return result


class ExportResponse(StreamingResponse):
    """Streams an export and audits it when the stream ends: finished, failed, or cut off
    by the client (then starlette cancels the stream; the audit is shielded from that)."""

    def __init__(self, export: Export):
        super().__init__(export.chunks(), media_type=export.media_type, headers=export.headers())
        self.export = export

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await self.body_iterator.aclose()
                    await self.export.finish()
                except Exception:
                    log.exception("could not audit an export of %s", self.export.request.kind)


async def signed_in(graphql: Any, request: Request) -> RequestContext:
    """The caller of a plain HTTP route: signed in as on /graphql, and counted against the
    same per-user rate limit (a 429 Refusal past it), so a pull loop cannot outrun it.
    `graphql` is the /graphql view (web/view.py), whose settings, policy and limits these share."""
    context = await build_context(graphql.settings, graphql.store, graphql.scopes,
                                  request.headers.get("authorization"), request)
    if context.user is None:
        raise context.auth_error or Unauthenticated("send `Authorization: Bearer <token>`")
    await graphql.check_rate(context)
    return context


def refusing(handler):
    """A plain HTTP route whose refusals are GraphQL-style errors with an HTTP status, as on
    /graphql: the caller's (4xx), the rate limit's (429), the database's absence (503)."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except Unavailable:  # its batch's GraphQL said so
            return refusal_response(unavailable_refusal())
        except GridhubError as problem:
            return refusal_response(Refusal.of(problem))
        except Refusal as refused:
            return refusal_response(refused)
        except Exception as error:
            if not database_unavailable(error):
                raise
            return refusal_response(unavailable_refusal())

    return endpoint


def export_endpoint(graphql: Any):
    settings, store = graphql.settings, graphql.store

    @refusing
    async def endpoint(request: Request) -> Response:
        context = await signed_in(graphql, request)
        token = request.headers["authorization"].partition(" ")[2]
        export = Export(
            ExportRequest.from_params(request.path_params["kind"], request.query_params),
            scope=context.scope, user=context.user, settings=settings, store=store,
            gql_schema=schema._schema, execute=execute,
            audit_path=audit_root([d for _, d in store.grants_of(context.user.username)]),
            token=token[:12] if token.startswith(SERVICE_TOKEN_PREFIX) else None)
        await export.start()
        return ExportResponse(export)

    return endpoint


def place_qr_endpoint(graphql: Any):
    """`GET /places/{id}/qr.svg`: the QR code of a place's standard address code (一标), as
    SVG. `id` is the place's GraphQL global id or its integer id. Signed in like /export;
    a place that is missing, not readable to the caller or without an address code is
    404 NOT_FOUND, alike, so the answer tells nothing of places outside the scope."""
    @refusing
    async def endpoint(request: Request) -> Response:
        context = await signed_in(graphql, request)
        raw = request.path_params["id"]
        try:
            place_id = int(raw) if raw.isdigit() else decode_id(raw, "Place")
        except GridhubError:
            raise NotFound("no place with this id") from None
        if not 0 < place_id < 2 ** 63:
            raise NotFound("no place with this id")
        place = await rows(context.scope, "place", Compare("id", "eq", place_id)).first()
        if place is None or not place.address_code:
            raise NotFound("no place with this id and an address code")
        buffer = io.BytesIO()
        segno.make(place.address_code, error="m").save(buffer, kind="svg", xmldecl=False, scale=4,
                                                       title=place.address_code)
        return Response(buffer.getvalue(), media_type="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=300"})

    return endpoint
