from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.relations import DEEP, RELATIONS

from .columns import column
from .connection import relation_field
from .enums import PlaceKind
from .filters import RowFilter
from .spatial import LocatedFilter
from .node import ModelNode, Versioned, load
from .refs import EventRef, HouseholdRef, OrganisationRef, PersonRef, PlaceRef, RegionRef, ThingRef


@strawberry.input(description="Conditions on places; they combine with AND.")
class PlaceFilter(RowFilter, LocatedFilter):
    kind: Optional[list[PlaceKind]] = strawberry.field(default=None, description="Any of these kinds.")


@strawberry.type(description="地: a standard address (一标) and what stands there.")
class Place(ModelNode, Versioned):
    row_kind = "place"
    id: NodeID[int]
    code: str = strawberry.field(description="Standard address code.")
    kind: PlaceKind = column("place", "kind")
    usage: str = column("place", "usage")
    compound: str = column("place", "compound")
    building: str = column("place", "building")
    owner_name: str = column("place", "owner_name")

    @strawberry.field(description="Longitude in decimal degrees (CGCS2000/WGS 84). A home's (a house, rented "
                                  "house or flat) is the centre of its 0.01° cell where you were not granted "
                                  "`place.address`.")
    def longitude(self: models.Place, info: Info) -> Optional[float]:
        return info.context.reveal("place", "longitude", self, self.longitude)

    @strawberry.field(description="As `longitude`.")
    def latitude(self: models.Place, info: Info) -> Optional[float]:
        return info.context.reveal("place", "latitude", self, self.latitude)
    address_code: Optional[str] = strawberry.field(description=(
        "一标: the standard address code, the content of the place's QR code (`GET /places/{id}/qr.svg`): "
        "the region's code and a six-digit serial unless given on create; digits and upper-case letters."))

    @strawberry.field(description="A house's exact address shows only its compound and building (`梅林雅居1幢`) "
                                  "where you were not granted `place.address`.")
    def name(self: models.Place, info: Info) -> str:
        return info.context.reveal("place", "name", self, self.name)

    @strawberry.field(description="As `name`: up to the building where you were not granted `place.address`.")
    def address(self: models.Place, info: Info) -> str:
        return info.context.reveal("place", "address", self, self.address)

    @strawberry.field(description="Part of the exact address: null where you were not granted `place.address`.")
    def unit(self: models.Place, info: Info) -> Optional[str]:
        return info.context.reveal("place", "unit", self, self.unit)

    @strawberry.field(description="Part of the exact address: null where you were not granted `place.address`.")
    def floor(self: models.Place, info: Info) -> Optional[str]:
        return info.context.reveal("place", "floor", self, self.floor)

    @strawberry.field(description="Part of the exact address: null where you were not granted `place.address`.")
    def room(self: models.Place, info: Info) -> Optional[str]:
        return info.context.reveal("place", "room", self, self.room)

    @strawberry.field(description="The grid (or other region) the place lies in.")
    async def region(self: models.Place, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="The landlord of a rented house (出租房); null otherwise.")
    async def landlord(self: models.Place, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.landlord_id)

    @strawberry.field(description="The place it lies in (a room's unit, a unit's building, a building's "
                                  "compound); null at the top of its tree or where you may not read it.")
    async def parent(self: models.Place, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.parent_id)

    children = relation_field(PlaceRef, RELATIONS["place", "children"],
                              description="The places lying directly in this one that you may read (a compound's "
                                          "buildings, a building's units, a unit's rooms).")
    rentals = relation_field(PlaceRef, RELATIONS["place", "rentals"],
                             description="The rented homes (出租房, `RENTAL_HOUSE`) that you may read in and under this "
                                         "place: which rooms of a building are rented.")
    residents = relation_field(PersonRef, RELATIONS["place", "residents"], deep=DEEP["place", "residents"],
                               description="Persons whose current residence this is, that you may read; with "
                                           "`deep: true`, of this place and every place under it.")
    households = relation_field(HouseholdRef, RELATIONS["place", "households"],
                                description="Households living here that you may read.")
    things = relation_field(ThingRef, RELATIONS["place", "things"],
                            description="Things at this place that you may read.")
    events = relation_field(EventRef, RELATIONS["place", "events"],
                            description="Events that happened here that you may read, newest first.")
    organisations = relation_field(OrganisationRef, RELATIONS["place", "organisations"],
                                   deep=DEEP["place", "organisations"],
                                   description="Organisations at this address (实有单位 on their premises) that you "
                                               "may read; with `deep: true`, also those under it.")
