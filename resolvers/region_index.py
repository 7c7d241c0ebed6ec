"""Where a point belongs, answered from memory: the live drawn regions' boundaries in a
shapely STRtree, built once per policy version in each process (docs/maps.md#speed).

`regionAt` is asked for every point a grid worker's app locates; in SQL each answer costs a
round trip and PostGIS parsing the candidate boundaries' GeoJSON again. Every change of a
region (drawing, re-gridding, creating) is a re-gridding operation that bumps the policy
version (resolvers.regrid), and every process learns of a new version as it learns of a
policy edit (policies.watcher): an index built at a version holds while the version does.
The SQL of resolvers.spatial.region_id_at is the reference; tests hold the two equal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import shapely
from shapely.geometry import Point, shape
from tortoise import connections

from gridhub import models


@dataclass
class BoundaryIndex:
    version: int
    regions: list[models.Region]  # live, drawn
    tree: shapely.STRtree

    @classmethod
    async def build(cls, version: int) -> BoundaryIndex:
        regions = await models.Region.filter(deleted_at__isnull=True, boundary__isnull=False)
        shapes = [shape(r.boundary) for r in regions]
        shapely.prepare(shapes)
        return cls(version, regions, shapely.STRtree(shapes))

    def at(self, lon: float, lat: float) -> models.Region | None:
        """The deepest region whose boundary holds the point (edges included, as PostGIS'
        ST_Intersects), of several the lowest code."""
        held = self.tree.query(Point(lon, lat), predicate="intersects")
        if len(held) == 0:
            return None
        return min((self.regions[i] for i in held), key=lambda r: (-r.depth, r.code))


# by database client (a test session may hold several), each index holding its client: an id
# is not reused for another database while the index built from it lives
_indexes: dict[int, tuple[object, BoundaryIndex]] = {}
_building: dict[int, asyncio.Lock] = {}


def _current(client, version: int) -> BoundaryIndex | None:
    held = _indexes.get(id(client))
    return held[1] if held and held[0] is client and held[1].version == version else None


async def region_at(version: int, lon: float, lat: float) -> models.Region | None:
    """The region at the point as of policy `version` (the caller's store's): the index is
    rebuilt, once for all requests waiting on it, when the version has moved."""
    client = connections.get("default")
    index = _current(client, version)
    if index is None:
        async with _building.setdefault(id(client), asyncio.Lock()):
            index = _current(client, version)
            if index is None:
                index = await BoundaryIndex.build(version)
                _indexes[id(client)] = (client, index)
    return index.at(lon, lat)
