"""Live changes over WebSocket (graphql-transport-ws): `eventChanged` (resolvers.runtime.event_bus)."""

from typing import Annotated, AsyncGenerator, AsyncIterator, Optional

import strawberry
from graphql import ExecutionResult, GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.relay import GlobalID
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import Info
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from gridhub.resolvers.runtime import event_bus
from gridhub.resolvers.errors import BadInput

from .event import Event
from .ids import decode_id


def changed_event_id(root: event_bus.SeenChange) -> GlobalID:
    return GlobalID("Event", str(root.event_id))


@strawberry.type(description="One change of an event you may read.")
class EventChange:
    action: str = strawberry.field(description=(
        "What happened: a workflow step (`report`, `accept`, `dispatch`, `escalate`, `start`, "
        "`resolve`, `verify`, `close`, `reject`, `supervise`, `redispatch`, `return`, `request_extension`, "
        "`approve_extension`, `refuse_extension`, `park`, `unpark`, `urge`), or `create`, `update`, `delete`."))
    event_id: GlobalID = strawberry.field(resolver=changed_event_id,
                                          description="The changed event's id (also for a deleted event).")
    version: int = strawberry.field(description="The event's version right after this change.")
    event: Optional[Event] = strawberry.field(description=(
        "The event as it stands when the change is delivered (its `version` may already be "
        "later than this change's); null for `delete`, whose tombstone is only `eventId`."))


@strawberry.type
class EventSubscription:
    @strawberry.subscription(description=(
        "Each change of an event you may read, as it happens, in order; `region` narrows to "
        "changes made in that subtree. What you may read is decided by your scope under the "
        "policy in force at each change: nothing of an event outside it is sent, and a "
        "deletion reaches only those who could read the event before it. Sign in with the "
        "connection_init payload `{\"Authorization\": \"Bearer <token>\"}`. Missed changes "
        "(while disconnected) are not replayed: catch up with `events(filter: {updatedSince})`."))
    async def event_changed(
            self, info: Info,
            region: Annotated[Optional[GlobalID], strawberry.argument(
                description="Only changes of events in this region's subtree; all you may read if omitted.")] = None,
    ) -> AsyncGenerator[EventChange, None]:
        region_path = None
        if region is not None:
            row = await info.context.loaders.one("region", decode_id(region, "Region", "region"))
            if row is None:
                raise BadInput("no region with this id", field="region")
            region_path = row.region_path
        async for change in event_bus.changes_seen_by(info.context, region_path):
            if change.action not in event_bus.NOTICE_ONLY:
                yield change


class OperationsOverWebSocket(SchemaExtension):
    """A WebSocket's context lives as long as the connection; each operation sent over it
    (query, mutation or subscription) runs instead under a context of its own, made as an
    HTTP request's is (`GridhubGraphQL.operation_context`): the token verified again (a user
    disabled since is UNAUTHENTICATED), the scope of the policy version in force, new loaders
    and audit, the rate limit counted. The connection's context carries `renew` for that.
    Subscriptions run only over WebSocket (a client that sends one over HTTP is told so).
    First among the extensions: the others read the context this one puts in place."""

    async def on_operation(self):
        execution = self.execution_context
        renew = getattr(execution.context, "renew", None)
        self.refused = None
        if renew is not None:
            execution.context, self.refused = await renew(execution.query, execution.operation_name)
        yield


    def on_execute(self):
        execution = self.execution_context
        over_websocket = isinstance(getattr(execution.context, "request", None), WebSocket)
        if self.refused is not None:
            execution.result = ExecutionResult(None, [self.refused])
        elif execution.operation_type is OperationType.SUBSCRIPTION and not over_websocket:
            # over HTTP it would run as a query and fail
            execution.result = ExecutionResult(None, [GraphQLError(
                "subscriptions run over WebSocket (graphql-transport-ws at /graphql)",
                extensions={"code": "BAD_REQUEST"})])
        yield


class GroupedSubscriptions(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, where a subscription's results are made once per group of
    sockets with the same key (resolvers.runtime.event_bus.Group) rather than once per socket. A
    socket's own operation still runs here — parse, validation, limits, sign-in, the
    `region` argument under its scope — and its resolver joins the bus, which then sends
    it the text its group made."""

    async def run_operation(self, operation) -> None:
        event_bus.current_operation.set(event_bus.Operation(
            operation.id, operation.query, operation.variables, operation.operation_name,
            send=self.websocket.send_text, execute=self.execute_for_group))
        await super().run_operation(operation)

    async def execute_for_group(self, context, operation: event_bus.Operation) -> AsyncIterator[str]:
        """The operation run once for a group under its `context`: each result, encoded as
        the payload of a `next` message (as strawberry's Operation.send_next shapes it)."""
        stream = await self.schema.stream(operation.query, variable_values=operation.variables,
                                          context_value=context, root_value=self.root_value,
                                          operation_name=operation.operation_name)
        async with aclosing(stream):
            async for result in stream:
                payload = {"data": result.data}
                if result.errors:
                    payload["errors"] = [error.formatted for error in result.errors]
                if result.extensions:
                    payload["extensions"] = result.extensions
                encoded = self.view.encode_json(payload)
                yield encoded.decode() if isinstance(encoded, bytes) else encoded
