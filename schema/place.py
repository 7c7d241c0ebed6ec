from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models

from .columns import column
from .enums import PlaceKind
from .filters import RowFilter, with_column_filters
from .spatial import LocatedFilter
from .node import ModelNode, Versioned
from .relations import with_relations


@strawberry.input(description="Conditions on places; they combine with AND.")
@with_column_filters("place")
class PlaceFilter(RowFilter, LocatedFilter):
    pass  # its columns: resolvers.kinds


@strawberry.type(description="地: a standard address (一标) and what stands there.")
@with_relations("place")
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

