"""The re-gridding in the county's history: a grid split in two by the hub's own
`split_region`, after the rest is built."""

from __future__ import annotations

from tortoise.expressions import F

from gridhub import models
from gridhub.models.enums import Gender, StaffRole
from gridhub.policies.scope import Scope

from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.domain.regrid import SplitPart, split_region


class HistoryPhase:
    """A phase of resolvers.demo.county._DemoCounty, drawn on its state."""

    def split_grid(self) -> models.Region:
        """The grid split on `split_at`: the first of the first town (else of the county) that
        has no micro-grids and is neither a demo user's nor the staffing gap."""
        town = min(self.towns, key=lambda t: t.code)
        first_community = min((c for c in self.communities if self.parent[c.id] is town), key=lambda c: c.code)
        users = sorted((g for g in self.grids if self.parent[g.id] is first_community), key=lambda g: g.code)[:2]
        candidates = [g for g in self.grids
                      if not self.micro_grids[g.id] and g not in users and g is not self.gap_grid()]
        return min(candidates, key=lambda g: (not g.region_path.startswith(town.region_path), g.code))

    async def split_history(self) -> None:
        """Split `split_grid()` into its west and east halves by the hub's own re-gridding, as
        of `split_at`: events before it keep the old grid as where they were reported, those
        after it were reported in the halves. The east half got a worker and a leader of its own that day."""
        grid = self.split_grid()
        community = self._community_of(grid)
        places = self.places_in[grid.id]
        middle = sorted(p.longitude for p in places)[len(places) // 2]
        last = max(int(g.code[-3:]) for g in self.grids if self.parent[g.id] is community)
        west, east_area = self.map.halves(grid.id, middle)
        parts = [SplitPart(f"{grid.name}西片", f"{community.code}{last + 1:03d}", boundary=west),
                 SplitPart(f"{grid.name}东片", f"{community.code}{last + 2:03d}",
                           place_ids=[p.id for p in places if p.longitude >= middle], boundary=east_area)]
        _, east = (await split_region(Scope.everything(), None, "admin", grid.id, parts, at=self.split_at)).regions
        await models.Event.filter(reported_region_id=grid.id, occurred_at__gte=self.split_at).update(
            reported_region_id=F("region_id"))
        await models.StaffAssignment.create(
            region_id=east.id, region_path=east.region_path, role=StaffRole.WORKER,
            name=self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))), started_on=self.split_at.astimezone(CIVIL_TIME_ZONE).date())
        await models.StaffAssignment.create(  # and a leader: 1+1 in each half
            region_id=east.id, region_path=east.region_path, role=StaffRole.LEADER,
            name=self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))), started_on=self.split_at.astimezone(CIVIL_TIME_ZONE).date())
        for table, added in (("region", 2), ("staff_assignment", 2)):
            self.counts[table] += added
