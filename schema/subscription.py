"""Live changes over WebSocket (graphql-transport-ws): `eventChanged` (resolvers.event_bus)."""

from typing import Annotated, AsyncGenerator, Optional

import strawberry
from graphql import ExecutionResult, GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.relay import GlobalID
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from gridhub.resolvers import event_bus
from gridhub.resolvers.errors import BadInput

from .event import Event
from .ids import decode_id


def changed_event_id(root: event_bus.SeenChange) -> GlobalID:
    return GlobalID("Event", str(root.event_id))


@strawberry.type(description="One change of an event you may read.")
class EventChange:
    action: str = strawberry.field(description=(
        "What happened: a workflow step (`report`, `accept`, `dispatch`, `escalate`, `start`, "
        "`resolve`, `verify`, `close`, `reject`, `supervise`), or `create`, `update`, `delete`."))
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


class SubscriptionsOnlyOverWebSocket(SchemaExtension):
    """A WebSocket's context lives as long as the connection: right for a subscription, which
    takes the current scope and fresh loaders at each change, wrong for a query or mutation,
    which would run under the scope of sign-in and read rows cached since. Those go over HTTP,
    and subscriptions only over WebSocket (a client that sends one over HTTP is told so)."""

    def on_execute(self):
        context = self.execution_context
        over_websocket = isinstance(getattr(context.context, "request", None), WebSocket)
        subscription = context.operation_type is OperationType.SUBSCRIPTION
        if over_websocket and not subscription:
            context.result = refusal("over WebSocket only subscriptions run: send queries and mutations over HTTP")
        elif subscription and not over_websocket:  # over HTTP it would run as a query and fail
            context.result = refusal("subscriptions run over WebSocket (graphql-transport-ws at /graphql)")
        yield


def refusal(message: str) -> ExecutionResult:
    return ExecutionResult(None, [GraphQLError(message, extensions={"code": "BAD_REQUEST"})])
