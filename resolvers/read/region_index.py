"""Where a point belongs, answered from memory: the live drawn regions' boundaries in a
shapely STRtree, built once per policy version in each process (docs/maps.md#speed).

`regionAt` is asked for every point a grid worker's app locates; in SQL each answer costs a
round trip and PostGIS parsing the candidate boundaries' GeoJSON again. Every change of a
region (drawing, re-gridding, creating) is a re-gridding operation that bumps the policy
version (resolvers.domain.regrid), and every process learns of a new version as it learns of a
policy edit (policies.watcher): an index built at a version holds while the version does.
The SQL of resolvers.read.spatial.region_id_at is the reference; tests hold the two equal."""

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
_builds: dict[int, tuple[int, asyncio.Task]] = {}  # the build under way, by client: its version

# region_at's answer while the index of this version is being built: ask SQL
NOT_READY = object()


def _current(client, version: int) -> BoundaryIndex | None:
    held = _indexes.get(id(client))
    return held[1] if held and held[0] is client and held[1].version == version else None


def _build(client, version: int) -> asyncio.Task:
    """The build of the index at `version`, started unless under way. It runs beside the
    requests (a county's 4,000 boundaries take about a second on a busy machine): the first
    regionAt after a policy edit is not held up behind it."""
    under_way = _builds.get(id(client))
    if under_way is not None and under_way[0] == version and not under_way[1].done():
        return under_way[1]

    async def build() -> None:
        index = await BoundaryIndex.build(version)
        _indexes[id(client)] = (client, index)

    task = asyncio.get_running_loop().create_task(build())
    _builds[id(client)] = (version, task)  # held: a task nobody holds may be collected
    return task


async def region_at(version: int, lon: float, lat: float):
    """The region at the point as of policy `version` (the caller's store's), None where no
    boundary holds it, or NOT_READY while the index of that version is being built."""
    client = connections.get("default")
    index = _current(client, version)
    if index is None:
        _build(client, version)
        return NOT_READY
    return index.at(lon, lat)


async def ready(version: int) -> None:
    """Until the index of `version` is built (tests, and a process that wants it warm)."""
    client = connections.get("default")
    if _current(client, version) is None:
        await _build(client, version)
