import asyncio
from enum import Enum
from typing import Annotated, Optional, Union

import strawberry
from strawberry import relay
from strawberry.types import Info

from gridhub.resolvers import search as search_resolver
from gridhub.resolvers.errors import BadInput, NotFound
from gridhub.resolvers.pagination import clamp_first
from gridhub.resolvers.query import rows

from .connection import connection_field
from .event import Event, EventFilter
from .ids import NODE_KINDS, decode_id
from .organisation import Organisation, OrganisationFilter
from .person import Household, HouseholdFilter, Person, PersonFilter
from .place import Place, PlaceFilter
from .region import Department, Region, RegionFilter
from .thing import Thing, ThingFilter

SearchResult = Annotated[Union[Person, Place, Event, Thing, Organisation], strawberry.union("SearchResult")]


@strawberry.enum
class SearchKind(Enum):
    PERSON = "person"
    PLACE = "place"
    EVENT = "event"
    THING = "thing"
    ORGANISATION = "organisation"


async def _load_node(info: Info, id: relay.GlobalID):
    kind = NODE_KINDS.get(id.type_name)
    row_id = decode_id(id, None)
    return await info.context.loaders.one(kind, row_id)


@strawberry.type
class Query:
    @strawberry.field(description="Any node by its global id. Absent and out-of-scope rows alike "
                                  "answer null with a NOT_FOUND error.")
    async def node(self, info: Info, id: relay.GlobalID) -> Optional[relay.Node]:
        row = await _load_node(info, id)
        if row is None:
            raise NotFound(f"no {id.type_name} with this id")
        return row

    @strawberry.field(description="Nodes by global id, in order; null where absent or out of scope.")
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[Optional[relay.Node]]:
        if len(ids) > info.context.settings.max_page_size:
            raise BadInput(f"at most {info.context.settings.max_page_size} ids at once", field="ids")
        return list(await asyncio.gather(*(_load_node(info, i) for i in ids)))

    regions = connection_field("region", Region, RegionFilter)
    persons = connection_field("person", Person, PersonFilter)
    households = connection_field("household", Household, HouseholdFilter)
    places = connection_field("place", Place, PlaceFilter)
    events = connection_field("event", Event, EventFilter)
    things = connection_field("thing", Thing, ThingFilter)
    organisations = connection_field("organisation", Organisation, OrganisationFilter)

    @strawberry.field
    async def departments(self, info: Info) -> list[Department]:
        return await rows(info.context.scope, "department").order_by("code")

    @strawberry.field(description="Case-insensitive match on names, titles, codes and addresses.")
    async def search(self, info: Info, text: str, kinds: Optional[list[SearchKind]] = None,
                     first: int = 20) -> list[SearchResult]:
        size = clamp_first(first, 20, info.context.settings.max_page_size)
        names = [k.value for k in kinds] if kinds else None
        return await search_resolver.search(info.context.scope, text, names, size)
