from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

import models

from .enums import EventKind, EventSource, EventStatus, Urgency
from .filters import RowFilter
from .node import ModelNode, Versioned, load, load_by, load_linked
from .refs import DepartmentRef, PersonRef, PlaceRef, RegionRef, ThingRef


@strawberry.input
class EventFilter(RowFilter):
    status: Optional[list[EventStatus]] = None
    kind: Optional[list[EventKind]] = None
    source: Optional[list[EventSource]] = None
    urgency: Optional[list[Urgency]] = None
    category: Optional[list[str]] = strawberry.field(
        default=None, description="Category paths; `safety` matches `safety/fire`.")


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
    due_at: Optional[datetime]
    closed_at: Optional[datetime]
    supervised_at: Optional[datetime] = strawberry.field(description="When supervision (督办) was last added.")
    satisfaction: Optional[int]

    @strawberry.field(description="The reporting grid.")
    async def region(self: models.Event, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

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
