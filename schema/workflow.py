"""The event workflow's mutations: one per step of the closed loop (resolvers.domain.workflow)."""

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from gridhub.resolvers.domain import workflow

from .args import EventId, Note, arg
from .event import Event
from .ids import decode_id
from .inputs import input_types, to_data

EventInput, _ = input_types("event", "Event")


def event_row_id(id: GlobalID) -> int:
    return decode_id(id, "Event")


def handler_ids(region: Optional[GlobalID], department: Optional[GlobalID]) -> dict:
    """The region or department an event is sent to (dispatch, re-dispatch), as row ids."""
    return {"region_id": decode_id(region, "Region", "region") if region else None,
            "department_id": decode_id(department, "Department", "department") if department else None}


def _step(name: str, description: str):
    async def resolve(info: Info, id: EventId, note: Note = "") -> Event:
        return await workflow.take_step(info.context.scope, info.context.username, event_row_id(id), name, note)

    return strawberry.mutation(resolver=resolve, description=description)


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(description="上报: report a new event in your grid.")
    async def report_event(self, info: Info, input: arg(EventInput, "The event as reported.")) -> Event:
        return await workflow.report_event(info.context.scope, info.context.username, to_data(input))

    accept_event = _step("accept", "受理: take a reported event on.")

    @strawberry.mutation(description="Pass an event up one tier (grid → community → town → county).")
    async def escalate_event(self, info: Info, id: EventId, note: Note = "") -> Event:
        return await workflow.escalate_event(info.context.scope, info.context.username, event_row_id(id), note)
    start_handling = _step("start", "处置: begin work on a dispatched event.")

    @strawberry.mutation(description="督办: add supervision to an open event.")
    async def supervise_event(self, info: Info, id: EventId, note: Note = "") -> Event:
        return await workflow.supervise_event(info.context.scope, info.context.username, event_row_id(id), note)

    @strawberry.mutation(description="派单: send an accepted event to a region or a department, with a deadline.")
    async def dispatch_event(
            self, info: Info, id: EventId,
            region: arg(Optional[GlobalID], "The region to handle it (a lower or higher tier); give this or "
                                            "`department`.") = None,
            department: arg(Optional[GlobalID], "The department to handle it; give this or `region`.") = None,
            deadline: arg(Optional[datetime], "When handling is due; by the category's handling hours if "
                                              "omitted.") = None,
            note: Note = "") -> Event:
        return await workflow.dispatch_event(info.context.scope, info.context.username, event_row_id(id),
                                             **handler_ids(region, department), due_at=deadline, note=note)

    @strawberry.mutation(description="办结: report the event resolved, with feedback.")
    async def resolve_event(self, info: Info, id: EventId,
                            feedback: arg(str, "What was done (反馈), kept in the event's log."),
                            attachments: arg(Optional[list[str]], "Links to photos or documents of the "
                                                                  "result, as URLs.") = None) -> Event:
        return await workflow.take_step(info.context.scope, info.context.username, event_row_id(id), "resolve",
                                        feedback, attachments=attachments)

    @strawberry.mutation(description="核查: the reporting grid checks the result; a failed check "
                                     "sends the event back to handling.")
    async def verify_event(self, info: Info, id: EventId,
                           passed: arg(bool, "Whether the result holds; false sends the event back to "
                                             "handling."),
                           note: Note = "") -> Event:
        return await workflow.verify_event(info.context.scope, info.context.username, event_row_id(id), passed, note)

    @strawberry.mutation(description="销号: close a verified event with the satisfaction rating (1–5).")
    async def close_event(self, info: Info, id: EventId,
                          satisfaction: arg(int, "The reporter's satisfaction, 1 (poor) to 5 (very "
                                                 "satisfied)."),
                          note: Note = "") -> Event:
        return await workflow.close_event(info.context.scope, info.context.username, event_row_id(id),
                                          satisfaction, note)

    @strawberry.mutation(description="无效: reject a reported or accepted event as invalid.")
    async def reject_event(self, info: Info, id: EventId,
                           reason: arg(str, "Why the event is invalid, kept in its log.")) -> Event:
        return await workflow.take_step(info.context.scope, info.context.username, event_row_id(id), "reject", reason)
