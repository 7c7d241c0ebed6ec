import asyncio
from enum import Enum
from typing import Annotated, Optional, Union

import strawberry
from strawberry import relay
from strawberry.types import Info

from gridhub.resolvers.read import search as search_resolver
from gridhub.resolvers.read import spatial
from gridhub.resolvers.errors import BadInput, NotFound
from gridhub.resolvers.read.query import rows

from .args import arg
from .connection import After, Connection, First, as_connection, connection_field, page_size
from .event import Event, EventFilter
from .ids import NODE_KINDS, decode_id
from .organisation import Organisation, OrganisationFilter
from .person import Household, HouseholdFilter, Person, PersonFilter
from .place import Place, PlaceFilter
from .region import Department, Region, RegionFilter
from .thing import Thing, ThingFilter

SearchResult = Annotated[Union[Person, Place, Event, Thing, Organisation],
                         strawberry.union("SearchResult", description="A row `search` found.")]


@strawberry.enum(description="A kind of row `search` can look among.")
class SearchKind(Enum):
    PERSON = strawberry.enum_value("person", description="Persons, by name.")
    PLACE = strawberry.enum_value("place", description="Places, by name, address or code.")
    EVENT = strawberry.enum_value("event", description="Events, by title or description.")
    THING = strawberry.enum_value("thing", description="Things, by name or code.")
    ORGANISATION = strawberry.enum_value("organisation", description="Organisations, by name or credit code.")


async def _load_node(info: Info, id: relay.GlobalID):
    kind = NODE_KINDS.get(id.type_name)
    row_id = decode_id(id, None)
    return await info.context.loaders.one(kind, row_id)


@strawberry.type
class Query:
    @strawberry.field(description="Any node by its global id. Absent and out-of-scope rows alike "
                                  "answer null with a NOT_FOUND error.")
    async def node(self, info: Info, id: arg(relay.GlobalID, "A global id, such as `Person`'s `id`.")
                   ) -> Optional[relay.Node]:
        row = await _load_node(info, id)
        if row is None:
            raise NotFound(f"no {id.type_name} with this id")
        return row

    @strawberry.field(description="Nodes by global id, in order; null where absent or out of scope.")
    async def nodes(self, info: Info, ids: arg(list[relay.GlobalID], "Global ids, at most the maximum page "
                                                                      "size of them.")
                    ) -> list[Optional[relay.Node]]:
        if len(ids) > info.context.settings.max_page_size:
            raise BadInput(f"at most {info.context.settings.max_page_size} ids at once", field="ids")
        return list(await asyncio.gather(*(_load_node(info, i) for i in ids)))

    regions = connection_field("region", Region, RegionFilter, description="Regions you may read.")
    persons = connection_field("person", Person, PersonFilter, description="Persons (人) you may read.")
    households = connection_field("household", Household, HouseholdFilter,
                                  description="Households (户) you may read.")
    places = connection_field("place", Place, PlaceFilter, description="Places (地) you may read.")
    events = connection_field("event", Event, EventFilter, description="Events (事) you may read.")
    things = connection_field("thing", Thing, ThingFilter, description="Things (物) you may read.")
    organisations = connection_field("organisation", Organisation, OrganisationFilter,
                                     description="Organisations (组织) you may read.")

    @strawberry.field(description="The deepest region whose boundary holds the point (longitude, latitude in "
                                  "CGCS2000/WGS 84 decimal degrees, not GCJ-02): a grid where grids are drawn. "
                                  "A point on an edge or corner several regions share belongs to the one with "
                                  "the lowest code. Null where no drawn boundary holds it, or where that region "
                                  "is not one you may read.")
    async def region_at(self, info: Info, longitude: arg(float, "Longitude, decimal degrees."),
                        latitude: arg(float, "Latitude, decimal degrees.")) -> Optional[Region]:
        c = info.context
        if c.store is None:  # no policy version to key the in-process index on: SQL
            found = await spatial.region_id_at(longitude, latitude)
            return None if found is None else await c.loaders.one("region", found)
        return await spatial.readable_region_at(c.scope, longitude, latitude, c.store.version)

    @strawberry.field(description="Every functional department, by code: the targets of dispatch (派单).")
    async def departments(self, info: Info) -> list[Department]:
        return await rows(info.context.scope, "department").order_by("code")

    @strawberry.field(description="Case-insensitive match on names, titles, codes and addresses, among the "
                                  "rows you may read: persons first, then places, events, things and "
                                  "organisations, each kind by creation order.")
    async def search(self, info: Info, text: arg(str, "The text to look for."),
                     kinds: arg(Optional[list[SearchKind]], "Look only among these kinds; all if omitted.") = None,
                     first: First = None, after: After = None) -> Connection[SearchResult]:
        names = [k.value for k in kinds] if kinds else None
        page = await search_resolver.search(info.context.scope, text, names, page_size(info.context.settings, first), after)
        return as_connection(page, after)
