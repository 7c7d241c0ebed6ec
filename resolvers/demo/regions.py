"""The region tree: towns, communities and villages, grids and micro-grids, drawn on the
map, with the departments; and the standard addresses handed out inside each grid."""

from __future__ import annotations

from collections import defaultdict

from gridhub import models
from gridhub.models.enums import Tier

from gridhub.resolvers.demo.map import DemoMap
from gridhub.resolvers.demo.tables import _CENTRE, DEMO_COUNTY_CODE, DEMO_COUNTY_NAME, DEPARTMENTS, _numeral, _PLACE_ROOTS, _ROOT_PREFIXES
from gridhub.resolvers.demo.addresses import _Addresses


class RegionsPhase:
    """A phase of resolvers.demo.county._DemoCounty, drawn on its state."""

    def _region(self, code: str, name: str, tier: Tier, parent: models.Region | None,
                centre: tuple[float, float]) -> models.Region:
        region = self._new(
            models.Region, code=code, name=name, tier=tier, parent_id=parent and parent.id,
            depth=parent.depth + 1 if parent else 0,
            region_path=models.Region.child_path(parent and parent.region_path, parent and parent.code, code))
        self.centre[region.id] = centre
        self.region[region.id] = region
        if parent:
            self.parent[region.id] = parent
        return region

    def _regions(self) -> None:
        self.county = self._region(DEMO_COUNTY_CODE, DEMO_COUNTY_NAME, Tier.COUNTY, None, _CENTRE)
        towns = self.profile.towns
        n_towns = min(len(towns), self._size("towns", minimum=2))
        for i, (code, name) in enumerate(towns[:n_towns]):
            centre = self._near(_CENTRE, 0.01 if i == 0 else 0.12)
            self.towns.append(self._region(DEMO_COUNTY_CODE + code, name, Tier.TOWN, self.county, centre))
        per_town = self._spread(self._size("communities"), n_towns, minimum=2)
        roots = self._root_names(sum(per_town))
        for town, n in zip(self.towns, per_town):
            for i in range(n):
                # the county seat is all communities (社区); elsewhere only the town seat is one
                self._community(town, roots.pop(0), urban=town is self.towns[0] or i == 0)
        per_community = self._spread(self._size("grids"), len(self.communities), minimum=2)
        micro_grids = iter(self._micro_grid_plan(sum(per_community)))
        for community, n in zip(self.communities, per_community):
            for i in range(1, n + 1):
                self._grid(community, i, next(micro_grids))
        self._draw_map()

    def _draw_map(self) -> None:
        children: dict[int, list[models.Region]] = defaultdict(list)
        for region in self.region.values():
            if region.id in self.parent:
                children[self.parent[region.id].id].append(region)
        self.map = DemoMap(self.seed, _CENTRE)
        self.map.partition(self.county, children, self.centre, {g for g, micro in self.micro_grids.items() if micro})

    def _located(self, leaf: models.Region, point: tuple[float, float]) -> tuple[float, float]:
        """A row's point inside the area of its region (resolvers.demo.map)."""
        return self.map.locate(leaf.id, point)

    def _root_names(self, n: int) -> list[str]:
        names = self.rng.sample(_PLACE_ROOTS, min(n, len(_PLACE_ROOTS)))
        # past the pool (scale > 1, the county profile), names repeat with a prefix: 新 (new), 大, …
        return [_ROOT_PREFIXES[i // len(names) % len(_ROOT_PREFIXES)] + names[i % len(names)] for i in range(n)]

    def _micro_grid_plan(self, grids: int) -> list[int | None]:
        """How many micro-grids each grid has, where the profile fixes their number: spread
        at random, so some grids have none, and the first has at least two (as at every
        scale); None leaves it to each grid."""
        if self.profile.micro_grids is None:
            return [None] * grids
        total = round(self.profile.micro_grids * self.scale)
        first = min(2, total)
        plan = self._spread(total - first, grids, minimum=0)
        plan[0] += first
        return plan

    def _community(self, town: models.Region, root: str, urban: bool) -> None:
        # statistical codes: 居委会 (communities) 001-199, 村委会 (villages) 200-399
        siblings = [c for c in self.communities if self.parent[c.id] is town and self.urban[c.id] == urban]
        number = len(siblings) + (1 if urban else 201)
        community = self._region(f"{town.code}{number:03d}", root + ("社区" if urban else "村"),
                                 Tier.COMMUNITY, town, self._near(self.centre[town.id], 0.025))
        self.communities.append(community)
        self.root_name[community.id] = root
        self.urban[community.id] = urban

    def _grid(self, community: models.Region, number: int, micro_grids: int | None) -> None:
        grid = self._region(f"{community.code}{number:03d}", f"{community.name}第{_numeral(number)}网格",
                            Tier.GRID, community, self._near(self.centre[community.id], 0.006))
        self.grids.append(grid)
        self.grid_of[grid.id] = grid
        town = self.parent[community.id]
        if self.urban[community.id]:
            names = [self._compound() for _ in range(self.rng.randint(1, 2))]
        else:
            names = [f"{(number - 1) * 3 + g}组" for g in range(1, 4)]
        self.addresses[grid.id] = _Addresses(self.rng, town, community, self.urban[community.id], names)
        if micro_grids is None:
            # the first grid always has micro-grids, so a grid's subtree has depth at every scale
            split = len(self.grids) == 1 or self.rng.random() < 0.25
            micro_grids = self.rng.randint(2, 4) if split else 0
        for j in range(1, micro_grids + 1):
            micro = self._region(f"{grid.code}{j:03d}", f"{grid.name}{j}号微网格", Tier.MICRO_GRID,
                                 grid, self._near(self.centre[grid.id], 0.0015))
            self.micro_grids[grid.id].append(micro)
            self.grid_of[micro.id] = grid

    def _compound(self) -> str:
        """A compound (小区) name unique in the county; past the pool, later phases (二期)."""
        phase, i = divmod(next(self._compounds_named), len(self._compounds))
        return self._compounds[i] + (f"{_numeral(phase + 1)}期" if phase else "")

    def _departments(self) -> None:
        for code, name in DEPARTMENTS:
            self.departments[code] = self._new(models.Department, code=code, name=name)
