from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry
from strawberry.relay import GlobalID, NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.domain import deadlines

from .columns import column
from .enums import EventKind, EventSource, EventStatus, Urgency, described
from .filters import RowFilter, with_column_filters
from .spatial import LocatedFilter
from .node import ModelNode, Versioned, load
from .refs import RegionRef
from .relations import with_relations

Light = described(deadlines.Light, "An open event's deadline light: GREEN on time, YELLOW due soon, RED overdue.", {
    "GREEN": "On time: the due time is further away than the warning window.",
    "YELLOW": "Due soon: within the warning window before the due time.",
    "RED": "Overdue: the due time has passed.",
})

LIGHT_RULE = (
    "RED once the due time has passed (dueAt < now); YELLOW from `dueSoonAt` up to and "
    "including the due time, where dueSoonAt lies a share of the step's window after its start "
    "(the setting LIGHT_YELLOW_AFTER, by default 0.75: the last quarter of the window, whether 2 "
    "hours or 10 days; the window runs from the step that set the due time: a report, dispatch, "
    "resolution, approved extension or parking); GREEN before that; null for closed and rejected "
    "events, which have nothing due.")


@strawberry.enum(description="A step of the closed loop an event can be waiting for.")
class WaitingStep(Enum):
    ACCEPT = strawberry.enum_value("accept", description="受理: reported, waiting to be accepted (or escalated).")
    DISPATCH = strawberry.enum_value("dispatch", description="派单: accepted, waiting to be dispatched.")
    START = strawberry.enum_value("start", description="处置: dispatched, waiting for handling to start.")
    REDISPATCH = strawberry.enum_value("redispatch", description="改派: returned by its handler, waiting to be "
                                                                 "dispatched again (or escalated, rejected).")
    RESOLVE = strawberry.enum_value("resolve", description="办结: being handled, waiting to be resolved.")
    DECIDE_EXTENSION = strawberry.enum_value("decide_extension", description="延期: an extension asked for, "
                                                                             "waiting for the dispatching tier.")
    VERIFY = strawberry.enum_value("verify", description="核查: resolved, waiting for the reporting grid's check.")
    CLOSE = strawberry.enum_value("close", description="销号: verified, waiting to be closed.")


@strawberry.input(description=(
    "Whose to-do list: give exactly one of `me`, `region` or `department`. An event is held by "
    "whom its next step waits for: the region it was dispatched or escalated to (the reporting "
    "grid while none), a department it was dispatched to while it is handled, and the reporting "
    "grid while it waits for verification, the dispatching tier while an extension waits for its "
    "decision; closed, rejected and parked events by nobody."))
class HeldBy:
    me: Optional[bool] = strawberry.field(default=None, description=(
        "`true`: held by you: by the regions where you hold a role that accepts, dispatches, "
        "handles, resolves, verifies or closes events (the node of the grant, not its subtree), or "
        "by your department."))
    region: Optional[GlobalID] = strawberry.field(default=None, description=(
        "Held by this region itself (a tier's centre, a grid), not by its subtree."))
    department: Optional[GlobalID] = strawberry.field(default=None, description="Held by this department.")


@strawberry.input(description="Conditions on events; they combine with AND.")
@with_column_filters("event")
class EventFilter(RowFilter, LocatedFilter):
    light: Optional[list[Light]] = strawberry.field(
        default=None, description="Events whose light is one of these now. `[RED]` lists the overdue "
                                  "events, and with `region` (or `Region.events`) those of a region. "
                                  + LIGHT_RULE)
    due_before: Optional[datetime] = strawberry.field(
        default=None, description="Open events due before this time (closed and rejected ones have "
                                  "nothing due).")
    due_after: Optional[datetime] = strawberry.field(
        default=None, description="Open events due at or after this time.")
    held_by: Optional[HeldBy] = strawberry.field(
        default=None, description="Events on a to-do list: yours, a region's or a department's (see `HeldBy`).")
    waiting_for: Optional[list[WaitingStep]] = strawberry.field(
        default=None, description="Events waiting for any of these steps (by their status).")
    supervised: Optional[bool] = strawberry.field(
        default=None, description="`true`: events supervision (督办) was added to; `false`: the others.")
    parked: Optional[bool] = strawberry.field(
        default=None, description="`true`: parked events (挂账, waiting for their review date); `false`: the others.")


@strawberry.type(description="One step of an event's life.")
@with_relations("event_log")
class EventLogEntry:
    actor: str = strawberry.field(description="Username of who took the step.")
    action: str = strawberry.field(description=(
        "The step: `report`, `accept`, `dispatch`, `escalate`, `start`, `resolve`, `verify`, `close`, `reject`, "
        "`supervise`, or a correction: `redispatch`, `return`, `request_extension`, `approve_extension`, "
        "`refuse_extension`, `park`, `unpark`, `urge`."))
    from_status: Optional[EventStatus] = strawberry.field(description="Status before the step; null for the report.")
    to_status: EventStatus = strawberry.field(description="Status after the step (unchanged by supervision).")
    note: str = strawberry.field(description="The note given with the step (a reason, a result); empty if none.")
    attachments: list[str] = strawberry.field(description="Links to photos or documents of the step, as URLs.")
    due_at: Optional[datetime] = strawberry.field(description=(
        "What was due after the step: the deadline it set or kept (for a dispatch, the handler's; for "
        "parking, the review date), the one asked for with an extension request; null when nothing was due."))

    @strawberry.field(description="When the step was taken.")
    def at(self: models.EventLog) -> datetime:
        return self.created_at


@strawberry.type(description="事: a dispute, hazard, request or visit, and where it stands.")
@with_relations("event")
class Event(ModelNode, Versioned):
    row_kind = "event"
    id: NodeID[int]
    title: str = column("event", "title")
    description: str = column("event", "description")
    kind: EventKind = column("event", "kind")
    category: str = column("event", "category")
    source: EventSource = column("event", "source")
    reporter_name: str = column("event", "reporter_name")
    occurred_at: datetime = column("event", "occurred_at")
    longitude: Optional[float] = column("event", "longitude")
    latitude: Optional[float] = column("event", "latitude")
    urgency: Urgency = column("event", "urgency")
    attachments: list[str] = column("event", "attachments")
    status: EventStatus = column("event", "status")
    due_at: Optional[datetime] = strawberry.field(description=(
        "When the step the event is at is due: accepting (受理, until dispatch), handling (处置, "
        "until resolution) or verifying (核查, until closing), by its category's hours or the "
        "dispatcher's deadline. Closed and rejected events keep their last one. Order lists by "
        "`OPEN_DUE_AT` for the most urgent first: this time for open events, the rest after."))
    due_soon_at: Optional[datetime] = strawberry.field(description=(
        "When the light turns YELLOW; null when nothing is due."))
    closed_at: Optional[datetime] = column("event", "closed_at")
    supervised_at: Optional[datetime] = strawberry.field(description="When supervision (督办) was last added.")
    satisfaction: Optional[int] = column("event", "satisfaction")
    requested_due_at: Optional[datetime] = strawberry.field(description=(
        "The deadline the handler asked for (延期) while the event is EXTENSION_REQUESTED; null otherwise."))
    urge_count: int = strawberry.field(description="How often a tier above has urged (催办) the event.")
    urged_at: Optional[datetime] = strawberry.field(description="When the event was last urged; null if never.")

    @strawberry.field(description=LIGHT_RULE + " Judged at the time of the request.")
    def light(self: models.Event, info: Info) -> Optional[Light]:
        return deadlines.light_at(self, info.context.loaders.answered_at)

    @strawberry.field(description="The grid the event was reported in, kept through re-gridding: a grid "
                                  "since split or merged away shows here retired (with `deletedAt`).")
    async def reported_region(self: models.Event, info: Info) -> Optional[RegionRef]:
        return await load(info, "region_history", self.reported_region_id or self.region_id)


async def overdue_event_count(root: models.Region, info: Info) -> int:
    """`Region.overdueEventCount`: counted for every region of the response in one SQL
    statement, as the `totalCount` of subtree pages are (an empty page of each)."""
    where = deadlines.light_predicate([deadlines.Light.RED], info.context.loaders.answered_at)
    page = await info.context.loaders.subtree_pages("event", where, None, 0, None).load(root.region_path)
    return await page.count()
