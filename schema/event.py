from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers import deadlines

from .enums import EventKind, EventSource, EventStatus, Urgency
from .filters import RowFilter
from .node import ModelNode, Versioned, load, load_by, load_linked
from .refs import DepartmentRef, PersonRef, PlaceRef, RegionRef, ThingRef

Light = strawberry.enum(deadlines.Light, description=(
    "An open event's deadline light: GREEN on time, YELLOW due soon, RED overdue."))

LIGHT_RULE = (
    "RED once the due time has passed (dueAt < now); YELLOW from `dueSoonAt` up to and "
    "including the due time, where dueSoonAt = dueAt - max(a quarter of the step's window, 4 "
    "hours) (the window runs from the step that set the due time: report, dispatch or "
    "resolution); GREEN before that; null for closed and rejected events, which have nothing due.")


@strawberry.input
class EventFilter(RowFilter):
    status: Optional[list[EventStatus]] = None
    kind: Optional[list[EventKind]] = None
    source: Optional[list[EventSource]] = None
    urgency: Optional[list[Urgency]] = None
    category: Optional[list[str]] = strawberry.field(
        default=None, description="Category paths; `safety` matches `safety/fire`.")
    light: Optional[list[Light]] = strawberry.field(
        default=None, description="Events whose light is one of these now. `[RED]` lists the overdue "
                                  "events, and with `region` (or `Region.events`) those of a region. "
                                  + LIGHT_RULE)
    due_before: Optional[datetime] = strawberry.field(
        default=None, description="Open events due before this time (closed and rejected ones have "
                                  "nothing due).")
    due_after: Optional[datetime] = strawberry.field(
        default=None, description="Open events due at or after this time.")


@strawberry.type(description="One step of an event's life.")
class EventLogEntry:
    actor: str
    action: str
    from_status: Optional[EventStatus]
    to_status: EventStatus
    note: str
    attachments: list[str]

    @strawberry.field
    def at(self: models.EventLog) -> datetime:
        return self.created_at


@strawberry.type(description="事: a dispute, hazard, request or visit, and where it stands.")
class Event(ModelNode, Versioned):
    row_kind = "event"
    id: NodeID[int]
    title: str
    description: str
    kind: EventKind
    category: str
    source: EventSource
    reporter_name: str
    occurred_at: datetime
    longitude: Optional[float]
    latitude: Optional[float]
    urgency: Urgency
    attachments: list[str]
    status: EventStatus
    due_at: Optional[datetime] = strawberry.field(description=(
        "When the step the event is at is due: accepting (受理, until dispatch), handling (处置, "
        "until resolution) or verifying (核查, until closing), by its category's hours or the "
        "dispatcher's deadline. Closed and rejected events keep their last one. Order lists by "
        "`OPEN_DUE_AT` for the most urgent first: this time for open events, the rest after."))
    due_soon_at: Optional[datetime] = strawberry.field(description=(
        "When the light turns YELLOW; null when nothing is due."))
    closed_at: Optional[datetime]
    supervised_at: Optional[datetime] = strawberry.field(description="When supervision (督办) was last added.")
    satisfaction: Optional[int]

    @strawberry.field(description=LIGHT_RULE + " Judged at the time of the request.")
    def light(self: models.Event, info: Info) -> Optional[Light]:
        return deadlines.light_at(self, info.context.loaders.answered_at)

    @strawberry.field(description="The reporting grid.")
    async def region(self: models.Event, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="The grid the event was reported in, kept through re-gridding: a grid "
                                  "since split or merged away shows here retired (with `deletedAt`).")
    async def reported_region(self: models.Event, info: Info) -> Optional[RegionRef]:
        return await load(info, "region_history", self.reported_region_id or self.region_id)

    @strawberry.field
    async def reporter(self: models.Event, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.reporter_id)

    @strawberry.field
    async def place(self: models.Event, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field
    async def handling_region(self: models.Event, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.handling_region_id)

    @strawberry.field
    async def handling_department(self: models.Event, info: Info) -> Optional[DepartmentRef]:
        return await load(info, "department", self.handling_department_id)

    @strawberry.field
    async def persons(self: models.Event, info: Info) -> list[PersonRef]:
        return await load_linked(info, "event_person", "event_id", "person_id", "person", self.id)

    @strawberry.field
    async def things(self: models.Event, info: Info) -> list[ThingRef]:
        return await load_linked(info, "event_thing", "event_id", "thing_id", "thing", self.id)

    @strawberry.field(description="Every step, oldest first.")
    async def log(self: models.Event, info: Info) -> list[EventLogEntry]:
        return await load_by(info, "event_log", "event_id", self.id)


async def overdue_event_count(root: models.Region, info: Info) -> int:
    """`Region.overdueEventCount`: counted for every region of the response in one SQL
    statement, as the `totalCount` of subtree pages are (an empty page of each)."""
    where = deadlines.light_predicate([deadlines.Light.RED], info.context.loaders.answered_at)
    page = await info.context.loaders.subtree_pages("event", where, None, 0, None).load(root.region_path)
    return await page.count()
