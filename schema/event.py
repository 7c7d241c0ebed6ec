from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers import deadlines

from .columns import column
from .enums import EventKind, EventSource, EventStatus, Urgency, described
from .filters import RowFilter
from .spatial import LocatedFilter
from .node import ModelNode, Versioned, load, load_by, load_linked
from .refs import DepartmentRef, PersonRef, PlaceRef, RegionRef, ThingRef

Light = described(deadlines.Light, "An open event's deadline light: GREEN on time, YELLOW due soon, RED overdue.", {
    "GREEN": "On time: the due time is further away than the warning window.",
    "YELLOW": "Due soon: within the warning window before the due time.",
    "RED": "Overdue: the due time has passed.",
})

LIGHT_RULE = (
    "RED once the due time has passed (dueAt < now); YELLOW from `dueSoonAt` up to and "
    "including the due time, where dueSoonAt = dueAt - max(a quarter of the step's window, 4 "
    "hours) (the window runs from the step that set the due time: report, dispatch or "
    "resolution); GREEN before that; null for closed and rejected events, which have nothing due.")


@strawberry.input(description="Conditions on events; they combine with AND.")
class EventFilter(RowFilter, LocatedFilter):
    status: Optional[list[EventStatus]] = strawberry.field(default=None, description="Any of these statuses.")
    kind: Optional[list[EventKind]] = strawberry.field(default=None, description="Any of these kinds.")
    source: Optional[list[EventSource]] = strawberry.field(default=None, description="Any of these sources.")
    urgency: Optional[list[Urgency]] = strawberry.field(default=None, description="Any of these urgencies.")
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
    actor: str = strawberry.field(description="Username of who took the step.")
    action: str = strawberry.field(description="The step, such as `report`, `accept`, `dispatch`, `escalate`, "
                                               "`start`, `resolve`, `verify`, `close`, `reject` or `supervise`.")
    from_status: Optional[EventStatus] = strawberry.field(description="Status before the step; null for the report.")
    to_status: EventStatus = strawberry.field(description="Status after the step (unchanged by supervision).")
    note: str = strawberry.field(description="The note given with the step (a reason, a result); empty if none.")
    attachments: list[str] = strawberry.field(description="Links to photos or documents of the step, as URLs.")

    @strawberry.field(description="When the step was taken.")
    def at(self: models.EventLog) -> datetime:
        return self.created_at


@strawberry.type(description="事: a dispute, hazard, request or visit, and where it stands.")
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

    @strawberry.field(description="The resident who reported it, when known to the hub and in your scope.")
    async def reporter(self: models.Event, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.reporter_id)

    @strawberry.field(description="Where it happened; null if not at a known place.")
    async def place(self: models.Event, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field(description="The region it is dispatched to (派单); null unless dispatched to a region.")
    async def handling_region(self: models.Event, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.handling_region_id)

    @strawberry.field(description="The department it is dispatched to; null unless dispatched to a department.")
    async def handling_department(self: models.Event, info: Info) -> Optional[DepartmentRef]:
        return await load(info, "department", self.handling_department_id)

    @strawberry.field(description="Persons involved.")
    async def persons(self: models.Event, info: Info) -> list[PersonRef]:
        return await load_linked(info, "event_person", "event_id", "person_id", "person", self.id)

    @strawberry.field(description="Things involved.")
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
