from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models

from .enums import OrganisationKind
from .filters import RowFilter
from .node import ModelNode, Versioned, load, load_by
from .refs import PersonRef, PlaceRef, RegionRef, ThingRef


@strawberry.input
class OrganisationFilter(RowFilter):
    kind: Optional[list[OrganisationKind]] = None


@strawberry.type(description="组织: a party organisation, enterprise, social organisation, ….")
class Organisation(ModelNode, Versioned):
    row_kind = "organisation"
    id: NodeID[int]
    credit_code: Optional[str] = strawberry.field(description="Unified social credit code.")
    name: str
    kind: OrganisationKind
    legal_representative: str

    @strawberry.field
    async def region(self: models.Organisation, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field
    async def place(self: models.Organisation, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field
    async def members(self: models.Organisation, info: Info) -> list["Membership"]:
        return await load_by(info, "membership", "organisation_id", self.id)

    @strawberry.field(description="Things the organisation owns.")
    async def things(self: models.Organisation, info: Info) -> list[ThingRef]:
        return await load_by(info, "thing", "owner_id", self.id)


@strawberry.type(description="A person's role in an organisation.")
class Membership:
    role: str
    started_on: Optional[date]
    ended_on: Optional[date]

    @strawberry.field
    async def organisation(self: models.Membership, info: Info) -> Optional[Organisation]:
        return await load(info, "organisation", self.organisation_id)

    @strawberry.field
    async def person(self: models.Membership, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.person_id)
