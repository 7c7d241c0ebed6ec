"""Things (物): facilities, hydrants, cameras and vehicles of each grid, with their owners."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from gridhub import models
from gridhub.models.enums import ThingKind, ThingStatus

from gridhub.resolvers.demo.tables import _THING_TYPES


class ThingsPhase:
    """A phase of resolvers.demo.county._DemoCounty, drawn on its state."""

    def _things(self) -> None:
        per_grid = self._spread(self._size("things"), len(self.grids), minimum=1)
        for grid, n in zip(self.grids, per_grid):
            urban = self.urban[self._community_of(grid).id]
            kinds = {k: t.weight for k, t in _THING_TYPES.items() if urban or not t.urban_only}
            numbers: dict[ThingKind, int] = defaultdict(int)
            for i in range(n):
                # every grid has a fire hydrant
                kind = ThingKind.HYDRANT if i == 0 else self._pick(kinds)
                numbers[kind] += 1
                self._thing(grid, kind, numbers[kind])

    def _thing(self, grid: models.Region, kind: ThingKind, number: int) -> None:
        kind_info = _THING_TYPES[kind]
        place = self.rng.choice(self.places_in[grid.id]) if self.rng.random() < 0.4 else None
        leaf = self.region[place.region_id] if place else self._leaf(grid)
        lon, lat = self._located(leaf, self._near((place.longitude, place.latitude) if place else self.centre[leaf.id],
                                                  0.0005))
        status = self.rng.choices(list(ThingStatus), (88, 8, 4))[0]
        inspected = (self.now - timedelta(minutes=self.rng.randint(60, 180 * 24 * 60))
                     if self.rng.random() < 0.9 else None)
        thing_id = next(self._ids[models.Thing])
        thing = self._regional(
            models.Thing, leaf, id=thing_id, code=f"{leaf.code}{list(ThingKind).index(kind):02d}{thing_id:06d}",
            name=f"{grid.name}{kind_info.label}{number}号", kind=kind, status=status,
            owner_id=self._thing_owner(grid, kind), place_id=place and place.id,
            department_id=kind_info.department and self.departments[kind_info.department].id,
            longitude=lon, latitude=lat, last_inspected_at=inspected)
        self.things_in[grid.id].append(thing)

    def _thing_owner(self, grid: models.Region, kind: ThingKind) -> int | None:
        """Lifts belong to the compound's property company, public facilities to the
        department's office that answers for them."""
        if kind is ThingKind.ELEVATOR:
            companies = self.property_companies[self._community_of(grid).id]
            return self.rng.choice(companies).id if companies else None
        department = _THING_TYPES[kind].department
        return self.government[department].id if department else None
