from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.relations import RELATIONS

from .columns import column
from .connection import relation_field
from .enums import ThingKind, ThingStatus
from .filters import RowFilter
from .spatial import LocatedFilter
from .node import ModelNode, Versioned, load
from .refs import DepartmentRef, EventRef, OrganisationRef, PlaceRef, RegionRef


@strawberry.input(description="Conditions on things; they combine with AND.")
class ThingFilter(RowFilter, LocatedFilter):
    kind: Optional[list[ThingKind]] = strawberry.field(default=None, description="Any of these kinds.")
    status: Optional[list[ThingStatus]] = strawberry.field(default=None, description="Any of these conditions.")


@strawberry.type(description="物: a public facility or city component (部件).")
class Thing(ModelNode, Versioned):
    row_kind = "thing"
    id: NodeID[int]
    code: str = column("thing", "code")
    name: str = column("thing", "name")
    kind: ThingKind = column("thing", "kind")
    status: ThingStatus = column("thing", "status")
    longitude: Optional[float] = column("thing", "longitude")
    latitude: Optional[float] = column("thing", "latitude")
    last_inspected_at: Optional[datetime] = column("thing", "last_inspected_at")

    @strawberry.field(description="The grid (or other region) it stands in.")
    async def region(self: models.Thing, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="Where it is, when at a known place.")
    async def place(self: models.Thing, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field(description="The organisation that owns it; null if not recorded.")
    async def owner(self: models.Thing, info: Info) -> Optional[OrganisationRef]:
        return await load(info, "organisation", self.owner_id)

    @strawberry.field(description="The department responsible for it.")
    async def department(self: models.Thing, info: Info) -> Optional[DepartmentRef]:
        return await load(info, "department", self.department_id)

    events = relation_field(EventRef, RELATIONS["thing", "events"],
                            description="Events the thing is involved in that you may read, newest first.")
