"""Unique standard addresses (一标) inside one grid."""

from __future__ import annotations

import random
from collections import defaultdict

from gridhub import models

from gridhub.resolvers.demo.tables import _ADDRESS_PREFIX, _STREETS


class _Addresses:
    """Hands out unique standard addresses (一标) inside one grid: flats in the grid's
    compounds (小区) in a community, numbered houses of its villagers' groups (组) in a village."""

    def __init__(self, rng: random.Random, town: models.Region, community: models.Region,
                 urban: bool, names: list[str]):
        self._rng = rng
        self._area = f"{_ADDRESS_PREFIX}{town.name}{community.name}"
        self._village = community.name
        self._urban = urban
        self.names = names  # compounds, or villagers' groups
        self._taken: dict[str, int] = defaultdict(int)

    def home(self) -> dict[str, str]:
        name = self._rng.choice(self.names)
        k = self._taken[name]
        self._taken[name] += 1
        if not self._urban:
            spot = f"{self._village}{name}{k + 1}号"
            return {"name": spot, "address": self._area + f"{name}{k + 1}号"}
        # 6 floors, 2 units, 2 flats a landing: 24 flats a building
        building, unit, floor, flat = k // 24 + 1, k % 24 // 12 + 1, k % 12 // 2 + 1, k % 2 + 1
        room = f"{floor}0{flat}"
        spot = f"{name}{building}幢{unit}单元{room}室"
        return {"name": spot, "address": self._area + spot, "compound": name, "building": str(building),
                "unit": str(unit), "floor": str(floor), "room": room}

    def frontage(self) -> dict[str, str]:
        """A street address for a shop, office or public place."""
        if not self._urban:
            return {"address": self.home()["address"]}
        street = self._rng.choice(_STREETS)
        self._taken[street] += 1
        return {"address": f"{self._area}{street}{self._taken[street]}号"}
