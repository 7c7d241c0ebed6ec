from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.relations import RELATIONS

from .columns import column
from .connection import relation_field
from .enums import OrganisationKind
from .filters import RowFilter
from .node import ModelNode, Versioned, load
from .programmes import ORGANISATION_FIELDS
from .refs import MembershipRef, PersonRef, PlaceRef, RegionRef, ThingRef


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

    members = relation_field(MembershipRef, RELATIONS["organisation", "members"],
                             description="Its members, each with a role, in the order they were recorded.")
    things = relation_field(ThingRef, RELATIONS["organisation", "things"],
                            description="Things the organisation owns that you may read.")
    service_posts = ORGANISATION_FIELDS["service_posts"]
    volunteer_activities = ORGANISATION_FIELDS["volunteer_activities"]


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
