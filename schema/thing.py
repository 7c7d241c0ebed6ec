from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models

from .enums import ThingKind, ThingStatus
from .filters import RowFilter
from .node import ModelNode, Versioned, load, load_linked
from .refs import DepartmentRef, EventRef, OrganisationRef, PlaceRef, RegionRef


@strawberry.input
class ThingFilter(RowFilter):
    kind: Optional[list[ThingKind]] = None
    status: Optional[list[ThingStatus]] = None


@strawberry.type(description="物: a public facility or city component (部件).")
class Thing(ModelNode, Versioned):
    row_kind = "thing"
    id: NodeID[int]
    code: str
    name: str
    kind: ThingKind
    status: ThingStatus
    longitude: Optional[float]
    latitude: Optional[float]
    last_inspected_at: Optional[datetime]

    @strawberry.field
    async def region(self: models.Thing, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field
    async def place(self: models.Thing, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field
    async def owner(self: models.Thing, info: Info) -> Optional[OrganisationRef]:
        return await load(info, "organisation", self.owner_id)

    @strawberry.field(description="The department responsible for it.")
    async def department(self: models.Thing, info: Info) -> Optional[DepartmentRef]:
        return await load(info, "department", self.department_id)

    @strawberry.field(description="Events the thing is involved in.")
    async def events(self: models.Thing, info: Info) -> list[EventRef]:
        return await load_linked(info, "event_thing", "thing_id", "event_id", "event", self.id)
