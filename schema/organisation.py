from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models

from .columns import column
from .enums import OrganisationKind
from .filters import RowFilter
from .node import ModelNode, Versioned, load, load_by
from .refs import PersonRef, PlaceRef, RegionRef, ThingRef


@strawberry.input(description="Conditions on organisations; they combine with AND.")
class OrganisationFilter(RowFilter):
    kind: Optional[list[OrganisationKind]] = strawberry.field(default=None, description="Any of these kinds.")


@strawberry.type(description="组织: a party organisation, enterprise, social organisation, ….")
class Organisation(ModelNode, Versioned):
    row_kind = "organisation"
    id: NodeID[int]
    credit_code: Optional[str] = column("organisation", "credit_code")
    name: str = column("organisation", "name")
    kind: OrganisationKind = column("organisation", "kind")
    legal_representative: str = column("organisation", "legal_representative")

    @strawberry.field(description="The region it belongs to.")
    async def region(self: models.Organisation, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="Its address; null if not recorded.")
    async def place(self: models.Organisation, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field(description="Its members, each with a role.")
    async def members(self: models.Organisation, info: Info) -> list["Membership"]:
        return await load_by(info, "membership", "organisation_id", self.id)

    @strawberry.field(description="Things the organisation owns.")
    async def things(self: models.Organisation, info: Info) -> list[ThingRef]:
        return await load_by(info, "thing", "owner_id", self.id)


@strawberry.type(description="A person's role in an organisation.")
class Membership:
    role: str = column("membership", "role")
    started_on: Optional[date] = column("membership", "started_on")
    ended_on: Optional[date] = column("membership", "ended_on")

    @strawberry.field(description="The organisation.")
    async def organisation(self: models.Membership, info: Info) -> Optional[Organisation]:
        return await load(info, "organisation", self.organisation_id)

    @strawberry.field(description="The member.")
    async def person(self: models.Membership, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.person_id)
