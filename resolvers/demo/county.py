"""The demo county as one drawing: its state, the order of its phases (each a module of this
package) and the plumbing that hands out ids and writes each phase's rows in bulk."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Awaitable, Callable

from faker import Faker
from tortoise.models import Model

from gridhub import models

from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.demo.registers import Registers, draw_programmes, link_units, mark_party_members
from gridhub.resolvers.demo.addresses import _Addresses
from gridhub.resolvers.demo.events import EventsPhase
from gridhub.resolvers.demo.history import HistoryPhase
from gridhub.resolvers.demo.households import HouseholdsPhase
from gridhub.resolvers.demo.organisations import OrganisationsPhase
from gridhub.resolvers.demo.regions import RegionsPhase
from gridhub.resolvers.demo.tables import _COMPOUND_SUFFIXES, _PLACE_ROOTS, _Profile, SPLIT_AGO
from gridhub.resolvers.demo.things import ThingsPhase
from gridhub.resolvers.demo.work import WorkPhase

# Writes one phase's rows of a model (all of them new, with their ids).
Writer = Callable[[type[Model], list[Model]], Awaitable[None]]


class _DemoCounty(RegionsPhase, HouseholdsPhase, OrganisationsPhase, ThingsPhase, EventsPhase, WorkPhase,
                  HistoryPhase):
    """Draws the county phase by phase and inserts each phase's rows in foreign-key order."""

    def __init__(self, profile: _Profile, scale: float, seed: int, write: Writer, now: datetime):
        self.now = now
        self.today = now.astimezone(CIVIL_TIME_ZONE).date()
        self.split_at = now - SPLIT_AGO
        self.profile = profile
        self.scale = scale
        self.write = write
        self.rng = random.Random(seed)
        self.seed = seed
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.counts: dict[str, int] = {}
        self._ids: dict[type[Model], itertools.count] = defaultdict(lambda: itertools.count(1))
        self._pending: dict[type[Model], list[Model]] = defaultdict(list)
        # the tree
        self.county: models.Region
        self.towns: list[models.Region] = []
        self.communities: list[models.Region] = []
        self.grids: list[models.Region] = []
        self.micro_grids: dict[int, list[models.Region]] = defaultdict(list)
        self.region: dict[int, models.Region] = {}
        self.parent: dict[int, models.Region] = {}
        self.grid_of: dict[int, models.Region] = {}  # leaf (grid or micro-grid) id -> grid
        self.centre: dict[int, tuple[float, float]] = {}
        self.root_name: dict[int, str] = {}  # community id -> name without 社区/村
        self.urban: dict[int, bool] = {}  # community id -> a 社区 (not a 村)
        self.addresses: dict[int, _Addresses] = {}  # grid id
        # what lives in each grid's subtree
        self.persons: list[models.Person] = []
        self.age: dict[int, int] = {}  # person id -> age at the clock
        self.households: list[tuple[models.Household, models.Person]] = []  # with its head
        self.people_in: dict[int, list[models.Person]] = defaultdict(list)
        self.heads_in: dict[int, list[models.Person]] = defaultdict(list)
        self.place: dict[int, models.Place] = {}
        self.places_in: dict[int, list[models.Place]] = defaultdict(list)
        self.things_in: dict[int, list[models.Thing]] = defaultdict(list)
        self.lives_alone: set[int] = set()  # person ids
        self.tags: dict[int, list[str]] = defaultdict(list)  # person id -> tags
        self.departments: dict[str, models.Department] = {}
        self.government: dict[str, models.Organisation] = {}  # department code -> its office
        self.property_companies: dict[int, list[models.Organisation]] = defaultdict(list)  # community id
        self.public_centre: dict[int, models.Place] = {}  # community id -> 党群服务中心
        self.tree: dict[tuple, models.Place] = {}  # (grid id, (compound, building, unit)) -> its place
        self._compounds = [root + suffix for root in _PLACE_ROOTS for suffix in _COMPOUND_SUFFIXES]
        self.rng.shuffle(self._compounds)
        self._compounds_named = itertools.count()
        self._credit_codes: set[str] = set()
        self._id_numbers: set[str] = set()
        self._phones: set[str] = set()
        self._grid_workers: dict[int, str] = {}
        self.key_persons: list[int] = []  # person ids, with responsible staff and visits
        self.cared_persons: list[int] = []  # person ids with a care rule, and their care visits
        self._adults_in: dict[int, list[models.Person]] = {}  # grid id
        self.registers = Registers(seed)  # its own draws: the rest of the demo is as before
        self.party_branches: list[models.Organisation] = []
        self.volunteer_teams: list[tuple[models.Organisation, list[models.Person], models.Place]] = []

    async def build(self) -> None:
        self._regions()
        self._departments()
        await self._flush(models.Region, models.Department)
        self._households()
        await self._flush(models.Place, models.Household, models.Person)
        await self._set_household_heads()
        self._tenants()
        await self._flush(models.Place, models.Person, models.Residence)
        self._tags()
        await self._flush(models.PersonTag)
        await mark_party_members(self)
        self._service_places()
        self._organisations()
        await self._flush(models.Place, models.Organisation, models.Membership)
        linked = draw_programmes(self)
        await self._flush(models.JointHouseholdUnit, models.ServicePost, models.VolunteerActivity,
                          models.VolunteerHours)
        await link_units(linked)
        self._things()
        await self._flush(models.Thing)
        self._events()
        await self._flush(models.Event, models.EventPerson, models.EventThing, models.EventLog)
        self._staff()
        await self._flush(models.StaffAssignment)
        self._key_work()
        await self._flush(models.KeyPersonResponsibility, models.Event, models.EventPerson, models.EventLog)
        self._care_work()
        await self._flush(models.Event, models.EventPerson, models.EventLog)

    # ---- plumbing -------------------------------------------------------------------

    def _size(self, key: str, minimum: int = 0) -> int:
        return max(minimum, round(self.profile.sizes[key] * self.scale))

    def _new(self, model: type[Model], **fields) -> Model:
        fields.setdefault("id", next(self._ids[model]))
        row = model(**fields)
        self._pending[model].append(row)
        return row

    def _regional(self, model: type[Model], region: models.Region, **fields) -> Model:
        return self._new(model, region_id=region.id, region_path=region.region_path, **fields)

    async def _flush(self, *order: type[Model]) -> None:
        for model in order:
            rows = self._pending.pop(model, [])
            await self.write(model, rows)
            table = model._meta.db_table
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    def _spread(self, total: int, buckets: int, minimum: int) -> list[int]:
        """`total` items over `buckets`, each getting at least `minimum`."""
        counts = [minimum] * buckets
        for _ in range(total - minimum * buckets):
            counts[self.rng.randrange(buckets)] += 1
        return counts

    @staticmethod
    def _apportion(total: int, weights: list[float], minimum: int) -> list[int]:
        """`total` items over buckets in proportion to `weights` (largest remainders), each
        getting at least `minimum`."""
        spare = max(0, total - minimum * len(weights))
        shares = [spare * w / sum(weights) for w in weights]
        counts = [int(share) for share in shares]
        by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
        for i in by_remainder[:spare - sum(counts)]:
            counts[i] += 1
        return [minimum + c for c in counts]

    def _pick(self, weights: dict):
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def _near(self, centre: tuple[float, float], spread: float) -> tuple[float, float]:
        lon, lat = centre
        return (round(lon + self.rng.uniform(-spread, spread), 6),
                round(lat + self.rng.uniform(-spread, spread), 6))

    def _leaf(self, grid: models.Region, in_grid: bool = False) -> models.Region:
        """Where a row of `grid` lives: the grid itself, or half the time one of its micro-grids."""
        micro = self.micro_grids[grid.id]
        if in_grid or not micro or self.rng.random() < 0.5:
            return grid
        return self.rng.choice(micro)

    def _community_of(self, grid: models.Region) -> models.Region:
        return self.parent[grid.id]

    def _date_between(self, earliest: date, latest: date) -> date:
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))
