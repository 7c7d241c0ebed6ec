"""The demo county on a map: a partition of a county-sized square around the county seat
into towns, communities, grids and micro-grids (nested Voronoi cells of the regions'
centres), and points of rows kept inside the area of the region they belong to.

Each region's cell is cut from its parent's, so siblings never overlap and every region lies
inside its parent. A grid with micro-grids keeps a part of its own (the cell of one more
seed, no region's): rows of the grid itself lie there and rows of a micro-grid in the
micro-grid, so `regionAt` at a row's point answers the row's own region.

Randomness comes from a generator of its own: the demo's other rows do not change with it."""

from __future__ import annotations

import random

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, box
from shapely.ops import triangulate, voronoi_diagram

from gridhub import models
from gridhub.models.geo import to_geojson

HALF_SIDE = 0.2  # degrees: a square of ~40 km by ~44 km, Nanling's 1,263 km² or so


class DemoMap:
    def __init__(self, seed: int, centre: tuple[float, float]):
        self.rng = random.Random(seed * 7919 + 1)
        lon, lat = centre
        self.county_area = box(lon - HALF_SIDE, lat - HALF_SIDE, lon + HALF_SIDE, lat + HALF_SIDE)
        self.cell: dict[int, object] = {}  # region id -> its polygon
        self.own: dict[int, object] = {}  # region id -> where its own rows lie (its cell less its children's)

    def partition(self, root: models.Region, children: dict[int, list[models.Region]],
                  centre: dict[int, tuple[float, float]], leaf_grids: set[int]) -> None:
        """Draw every region under `root` (which gets the county square) and set `boundary`.
        `leaf_grids`: grids whose micro-grids leave part of the grid to the grid itself."""
        self.cell[root.id] = self.county_area
        stack = [root]
        while stack:
            region = stack.pop()
            kids = children.get(region.id, [])
            area = self.cell[region.id]
            region.boundary = to_geojson(area)
            if not kids:
                self.own[region.id] = area
                continue
            seeds = [self._inside(area, centre[k.id]) for k in kids]
            keep_own = region.id in leaf_grids
            if keep_own:
                seeds.append(self._inside(area, centre[region.id], avoid=seeds))
            cells = self._cells(area, seeds)
            for kid, cell in zip(kids, cells):
                self.cell[kid.id] = cell
                stack.append(kid)
            if keep_own:
                self.own[region.id] = cells[-1]
            else:
                self.own[region.id] = area

    def _inside(self, area, point: tuple[float, float], avoid=()) -> tuple[float, float]:
        """`point` where it lies inside `area` (and is not another seed), else one drawn in it."""
        if area.contains(Point(point)) and point not in avoid:
            return point
        return self._draw(area)

    def _draw(self, area) -> tuple[float, float]:
        """A point drawn inside `area`: from its bounding box, or (a sliver filling little of its
        box) from one of its triangles, chosen by area."""
        w, s, e, n = area.bounds
        for _ in range(50):
            p = (self.rng.uniform(w, e), self.rng.uniform(s, n))
            if shapely.contains_xy(area, *p):
                return p
        triangles = [t for t in triangulate(area) if area.contains(t.centroid)]
        while True:
            t = self.rng.choices(triangles, [t.area for t in triangles])[0]
            (ax, ay), (bx, by), (cx, cy) = list(t.exterior.coords)[:3]
            u, v = self.rng.random(), self.rng.random()
            if u + v > 1:
                u, v = 1 - u, 1 - v
            p = (ax + u * (bx - ax) + v * (cx - ax), ay + u * (by - ay) + v * (cy - ay))
            if shapely.contains_xy(area, *p):
                return p

    @staticmethod
    def _cells(area, seeds: list[tuple[float, float]]) -> list:
        """The Voronoi cell of each seed, cut to `area`, in the order of `seeds`."""
        if len(seeds) == 1:
            return [area]
        diagram = voronoi_diagram(MultiPoint(seeds), envelope=area.envelope.buffer(1.0))
        out = []
        for seed in seeds:
            point = Point(seed)
            cell = next(c for c in diagram.geoms if c.covers(point))
            out.append(_polygonal(cell.intersection(area)))
        return out

    def halves(self, region_id: int, longitude: float) -> tuple[dict, dict]:
        """The region's area cut west and east of a meridian, as GeoJSON: points at 6 decimals
        west of it lie strictly in the west half."""
        area = self.cell[region_id]
        w, s, e, n = area.bounds
        cut = longitude - 1e-7
        return (to_geojson(_polygonal(area.intersection(box(w - 1, s - 1, cut, n + 1)))),
                to_geojson(_polygonal(area.intersection(box(cut, s - 1, e + 1, n + 1)))))

    def locate(self, region_id: int, point: tuple[float, float]) -> tuple[float, float]:
        """`point` if it lies in the region's own area, else a point drawn there (6 decimals,
        strictly inside, so no rounding takes it over an edge)."""
        area = self.own[region_id]
        shapely.prepare(area)
        if shapely.contains_xy(area, *point):
            return point
        while True:
            lon, lat = self._draw(area)
            p = (round(lon, 6), round(lat, 6))
            if shapely.contains_xy(area, *p):
                return p


def _polygonal(geom):
    """The polygons of a cut (a cut along an edge may leave lines or points beside them)."""
    if isinstance(geom, Polygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
