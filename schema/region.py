from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.scalars import JSON
from strawberry.types import Info

from gridhub import models

from .connection import connection_field
from .columns import column
from .enums import Tier
from .event import Event, EventFilter, overdue_event_count
from .filters import RowFilter, with_column_filters
from .node import ModelNode, Versioned
from .organisation import Organisation, OrganisationFilter
from .person import Household, HouseholdFilter, Person, PersonFilter
from .place import Place, PlaceFilter
from .staffing import REGION_MISSING_STAFF, REGION_STAFF
from .thing import Thing, ThingFilter
from .relations import with_relations


@strawberry.input(description="Conditions on regions; they combine with AND.")
@with_column_filters("region")
class RegionFilter(RowFilter):
    pass  # its columns: resolvers.kinds


@strawberry.type(description="A node of the administrative tree: county > town > community > grid > micro-grid.")
@with_relations("region")
class Region(ModelNode, Versioned):
    row_kind = "region"
    id: NodeID[int]
    code: str = column("region", "code")
    name: str = column("region", "name")
    tier: Tier = column("region", "tier")
    depth: int = column("region", "depth")
    boundary: Optional[JSON] = column("region", "boundary")

    @strawberry.field(description="Materialized path, e.g. `/340223/340223100/340223100001/001/`.")
    def path(self: models.Region) -> str:
        return self.region_path

    @strawberry.field(description="From the root down to the parent.")
    async def ancestors(self: models.Region, info: Info) -> list["Region"]:
        parts = self.region_path.strip("/").split("/")[:-1]
        paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        found = [r for rs in await info.context.loaders.rows_by("region", "region_path").load_many(paths)
                 for r in rs]
        return sorted(found, key=lambda r: len(r.region_path))

    persons = connection_field("person", Person, PersonFilter, subtree=True,
                               description="Persons in this region's subtree.")
    households = connection_field("household", Household, HouseholdFilter, subtree=True,
                                  description="Households in this region's subtree.")
    places = connection_field("place", Place, PlaceFilter, subtree=True,
                              description="Places in this region's subtree.")
    events = connection_field("event", Event, EventFilter, subtree=True,
                              description="Events reported in this region's subtree.")
    overdue_event_count: int = strawberry.field(
        resolver=overdue_event_count, description="Open events in this subtree past their due time (RED) "
                                                  "that you may read; list them with "
                                                  "`events(filter: {light: [RED]})`.")
    things = connection_field("thing", Thing, ThingFilter, subtree=True,
                              description="Things in this region's subtree.")
    organisations = connection_field("organisation", Organisation, OrganisationFilter, subtree=True,
                                     description="Organisations in this region's subtree.")
    staff = REGION_STAFF
    missing_staff = REGION_MISSING_STAFF


@strawberry.type(description="A functional department (公安, 民政, …).")
class Department(ModelNode):
    row_kind = "department"
    id: NodeID[int]
    code: str = column("department", "code")
    name: str = column("department", "name")


