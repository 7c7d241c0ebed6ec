"""Spatial inputs and fields: boxes, areas and distances to filter by (resolvers.read.spatial)."""

from typing import Optional

import strawberry
from strawberry.scalars import JSON


@strawberry.input(description="A longitude-latitude box (decimal degrees, CGCS2000/WGS 84), edges included.")
class BoxInput:
    west: float = strawberry.field(description="Least longitude.")
    south: float = strawberry.field(description="Least latitude.")
    east: float = strawberry.field(description="Greatest longitude (not less than `west`: a box does not "
                                               "cross the antimeridian).")
    north: float = strawberry.field(description="Greatest latitude.")


@strawberry.input(description="Within a great-circle distance of a point.")
class NearInput:
    longitude: float = strawberry.field(description="The point's longitude.")
    latitude: float = strawberry.field(description="The point's latitude.")
    metres: float = strawberry.field(description="At most 200 000.")


@strawberry.input(description="Where a located row lies (a person: where their residence lies). A home's exact "
                               "location is looked at only where you were granted `place.address`.")
class LocatedFilter:
    box: Optional[BoxInput] = strawberry.field(default=None, description="Inside this box.")
    area: Optional[JSON] = strawberry.field(
        default=None, description="Inside this GeoJSON Polygon or MultiPolygon geometry (edges included).")
    near: Optional[NearInput] = strawberry.field(default=None, description="Within this distance of a point.")
