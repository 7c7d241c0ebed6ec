"""Spatial inputs and fields: boxes, areas and distances to filter by (resolvers.spatial)."""

from typing import Optional

import strawberry
from strawberry.scalars import JSON


@strawberry.input(description="A longitude-latitude box (decimal degrees, CGCS2000/WGS 84), edges included.")
class BoxInput:
    west: float
    south: float
    east: float
    north: float


@strawberry.input(description="Within a great-circle distance of a point.")
class NearInput:
    longitude: float
    latitude: float
    metres: float = strawberry.field(description="At most 200 000.")


@strawberry.input(description="Where a located row lies (a person: where their residence lies). A home's exact "
                               "location is looked at only where you were granted `place.address`.")
class LocatedFilter:
    box: Optional[BoxInput] = strawberry.field(default=None, description="Inside this box.")
    area: Optional[JSON] = strawberry.field(
        default=None, description="Inside this GeoJSON Polygon or MultiPolygon geometry (edges included).")
    near: Optional[NearInput] = strawberry.field(default=None, description="Within this distance of a point.")
