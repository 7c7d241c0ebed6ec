"""The corrections of the closed loop as mutations (resolvers.domain.workflow): re-dispatch 改派,
return 回退, extension 延期, parking 挂账 and urging 催办. Each is a step of the state
machine, refused (FORBIDDEN) to roles the policy does not give its verb where it is decided
and (CONFLICT) from states it does not start from."""

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from gridhub.resolvers.domain import workflow

from .args import EventId, Note, arg
from .event import Event
from .workflow import event_row_id, handler_ids

Reason = arg(str, "Why, kept in the event's log; required.")


@strawberry.type
class CorrectionMutation:
    @strawberry.mutation(description=(
        "改派: the tier that dispatched an event (or a tier above it) sends it to another region or "
        "department: from DISPATCHED, HANDLING, EXTENSION_REQUESTED or RETURNED to DISPATCHED, with a new "
        "handling window or the deadline given. Sending to a department needs the policy's "
        "`dispatch_to_department` (community centres and above by default)."))
    async def redispatch_event(
            self, info: Info, id: EventId,
            region: arg(Optional[GlobalID], "The region to handle it now; give this or `department`.") = None,
            department: arg(Optional[GlobalID], "The department to handle it now; give this or `region`.") = None,
            deadline: arg(Optional[datetime], "When handling is due; by the category's handling hours if "
                                              "omitted.") = None,
            note: Note = "") -> Event:
        return await workflow.redispatch_event(info.context.scope, info.context.username, event_row_id(id),
                                               **handler_ids(region, department), due_at=deadline, note=note)

    @strawberry.mutation(description=(
        "回退: the region or department an event was dispatched to gives it back, with a reason, to the "
        "queue of the tier that dispatched it (RETURNED), which has the accepting window to dispatch it "
        "again, escalate or reject it."))
    async def return_event(self, info: Info, id: EventId, reason: Reason) -> Event:
        return await workflow.return_event(info.context.scope, info.context.username, event_row_id(id), reason)

    @strawberry.mutation(description=(
        "延期申请: the handler asks the dispatching tier for a later deadline (HANDLING to "
        "EXTENSION_REQUESTED); the event stays due when it was until the tier decides."))
    async def request_extension(
            self, info: Info, id: EventId,
            deadline: arg(datetime, "The deadline asked for: later than the event's `dueAt`."),
            reason: Reason) -> Event:
        return await workflow.request_extension(info.context.scope, info.context.username, event_row_id(id),
                                                deadline, reason)

    @strawberry.mutation(description=(
        "延期审批: the dispatching tier approves an extension (the event is due by the deadline asked for) "
        "or refuses it (a note is required; the deadline stays); handling goes on (HANDLING)."))
    async def decide_extension(
            self, info: Info, id: EventId,
            approved: arg(bool, "True approves the deadline asked for, false refuses it."),
            note: Note = "") -> Event:
        return await workflow.decide_extension(info.context.scope, info.context.username, event_row_id(id),
                                               approved, note)

    @strawberry.mutation(description=(
        "挂账: the county centre parks a case that cannot be solved now (PARKED), due for review at "
        "`reviewAt`; a parked event is not urged, and its handler keeps it."))
    async def park_event(self, info: Info, id: EventId,
                         review_at: arg(datetime, "When the case is to be reviewed; in the future."),
                         reason: Reason) -> Event:
        return await workflow.park_event(info.context.scope, info.context.username, event_row_id(id), review_at,
                                         reason)

    @strawberry.mutation(description=(
        "解除挂账: the county centre takes a parked event up again: back to the state it was parked from "
        "(HANDLING for a pending extension), with that step's window from now or the deadline given."))
    async def unpark_event(
            self, info: Info, id: EventId,
            deadline: arg(Optional[datetime], "When the step is due; by the category's hours if omitted.") = None,
            note: Note = "") -> Event:
        return await workflow.unpark_event(info.context.scope, info.context.username, event_row_id(id), deadline,
                                           note)

    @strawberry.mutation(description=(
        "催办: a tier above the handler (the parent of the handling region; for a department, the tier that "
        "dispatched to it, or one above) presses an open, unparked event; counted in `urgeCount`, the state "
        "and the deadline stay."))
    async def urge_event(self, info: Info, id: EventId, note: Note = "") -> Event:
        return await workflow.urge_event(info.context.scope, info.context.username, event_row_id(id), note)
