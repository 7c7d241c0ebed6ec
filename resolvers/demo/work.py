"""Grid staff (1+1+N) with one gap, key persons with their responsible staff (1+3+N) and
visits, and care visits by the county's visit rules."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from faker import Faker

from gridhub import models
from gridhub.models.enums import EventKind, EventSource, EventStatus, Gender, ResponsibleRole, StaffRole

from gridhub.resolvers.domain.deadlines import due_columns
from gridhub.resolvers.domain.visit_due import CARE_VISIT_CATEGORY, DEFAULT_RULES, KEY_VISIT_CATEGORY, is_care, rule_days
from gridhub.resolvers.demo.tables import _CARE_HISTORY, _VISIT_HISTORY, _VISIT_NOTES


class WorkPhase:
    """A phase of resolvers.demo.county._DemoCounty, drawn on its state."""

    def gap_grid(self) -> models.Region:
        """The one grid without a worker: the last grid of the first town (never a demo user's)."""
        town = min(self.towns, key=lambda t: t.code)
        return max((g for g in self.grids if g.region_path.startswith(town.region_path)), key=lambda g: g.code)

    def _staff(self) -> None:
        """1+1+N: a worker and a leader for every grid but `gap_grid()`, which has neither (a
        staffing gap of both roles), and its N: the community's police officer, one or two
        party members, one to three volunteers, and a liaison in every other grid, chosen
        among the grid's adult residents where it has some. Last of all phases, so the rows
        drawn before are those of a county without staff."""
        gap = self.gap_grid()
        # the N from a generator of their own: the phases after draw what they drew before N
        rng, fake = random.Random(f"{self.seed}-staff"), Faker("zh_CN")
        fake.seed_instance(f"{self.seed}-staff")

        def name(gender: Gender) -> str:
            return fake.last_name() + (fake.first_name_male() if gender is Gender.MALE else fake.first_name_female())

        for i, grid in enumerate(sorted(self.grids, key=lambda g: g.code)):
            started = self.today - timedelta(days=1000 - (i * 37) % 600)
            if grid is not gap:
                self._regional(models.StaffAssignment, grid, role=StaffRole.WORKER, name=self._grid_worker(grid),
                               started_on=started)
            if i % 2 == 0 and grid is not gap:  # drawn as before N
                self._regional(models.StaffAssignment, grid, role=StaffRole.LEADER,
                               name=self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))), started_on=started)
            elif grid is not gap:
                self._regional(models.StaffAssignment, grid, role=StaffRole.LEADER,
                               name=name(rng.choice((Gender.MALE, Gender.FEMALE))), started_on=started)
            residents = self._grid_adults(grid)
            self._regional(models.StaffAssignment, grid, role=StaffRole.POLICE, name=name(Gender.MALE),
                           started_on=started)
            n = ([StaffRole.PARTY_MEMBER] * rng.randint(1, 2) + [StaffRole.VOLUNTEER] * rng.randint(1, 3)
                 + [StaffRole.LIAISON] * (i % 2))
            for role, person in zip(n, rng.sample(residents, min(len(n), len(residents)))):
                self._regional(models.StaffAssignment, grid, role=role, name=person.name, person_id=person.id,
                               started_on=started + timedelta(days=rng.randint(0, 300)))

    # ---- key persons (1+3+N) and their visits ------------------------------------------

    def _key_work(self) -> None:
        """Around every key person: its grid's worker (none in the staffing gap), the
        community's police officer and a cadre, and the head of its household where that is
        someone else; visits (走访) at the interval of its visit rule, the last one up to 1.3
        intervals before the clock, so that some are overdue then (and more as days pass); in
        the first grid, one was visited this week, one is due in days and one is overdue.
        After the staff, so the rows drawn before are those of a county without key work."""
        rules = dict(DEFAULT_RULES)
        head_of = {household.id: head for household, head in self.households}
        gap = self.gap_grid()
        officers: dict[int, tuple[str, str]] = {}  # community id -> (police officer, cadre)
        first_grid_keys = 0
        for person in self.persons:
            keys = [t for t in self.tags[person.id] if t.startswith("key/")]
            if not keys:
                continue
            self.key_persons.append(person.id)
            leaf, grid = self.region[person.region_id], self.grid_of[person.region_id]
            community = self._community_of(grid)
            if community.id not in officers:
                officers[community.id] = (self._name(Gender.MALE),
                                          self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))))
            police, cadre = officers[community.id]
            serving = [(ResponsibleRole.POLICE, police, None), (ResponsibleRole.CADRE, cadre, None)]
            if grid is not gap:
                serving.insert(0, (ResponsibleRole.GRID_WORKER, self._grid_worker(grid), None))
            head = head_of.get(person.household_id)
            if head is not None and head is not person:
                serving.append((ResponsibleRole.FAMILY, head.name, head.id))
            since = self.today - timedelta(days=self.rng.randint(60, 720))
            for role, name, person_id in serving:
                self._regional(models.KeyPersonResponsibility, leaf, key_person_id=person.id, role=role,
                               name=name, person_id=person_id, started_on=since)
            days = rule_days(keys, rules) or 90
            at = self.now - timedelta(seconds=int(days * 86400 * self.rng.uniform(0.1, 1.3)))
            if grid is self.grids[0] and first_grid_keys < 3:  # the demo users' grid, at every scale
                at = (self._this_week(),  # visited this week
                      self.now - timedelta(days=days) + timedelta(hours=self.rng.randint(24, 120)),  # due in days
                      self.now - timedelta(days=days + self.rng.randint(3, 20)))[first_grid_keys]  # overdue
                first_grid_keys += 1
            while True:  # the last visit, then those before it within the history
                by_police = grid is gap or self.rng.random() < 0.2
                self._visit(person, leaf, police if by_police else self._grid_worker(grid),
                            "police" if by_police else "worker", at)
                at -= timedelta(seconds=int(days * 86400 * self.rng.uniform(0.8, 1.0)))
                if at <= self.now - _VISIT_HISTORY:
                    break

    def _care_work(self) -> None:
        """Care visits (关爱走访) to every person with a care rule (the elderly living alone
        weekly, low-income households monthly), by the grid's worker or, one in five, civil
        affairs, the last up to 1.3 intervals before the clock and the others back over
        _CARE_HISTORY; in the first grid, one was visited this week, one is due in days and one
        is overdue. Last of the phases, so the rows drawn before are those of a county
        without care work."""
        rules = {t: d for t, d in DEFAULT_RULES if is_care(t)}
        first_grid = 0
        for person in self.persons:
            days = rule_days([t for t in self.tags[person.id] if is_care(t)], rules)
            if days is None:
                continue
            self.cared_persons.append(person.id)
            leaf, grid = self.region[person.region_id], self.grid_of[person.region_id]
            at = self.now - timedelta(seconds=int(days * 86400 * self.rng.uniform(0.1, 1.3)))
            if grid is self.grids[0] and first_grid < 3:  # the demo users' grid, at every scale
                at = (self._this_week(),
                      self.now - timedelta(days=days) + timedelta(hours=self.rng.randint(24, 72)),
                      self.now - timedelta(days=days + self.rng.randint(2, 20)))[first_grid]
                first_grid += 1
            while True:
                by_civil = self.rng.random() < 0.2
                self._visit(person, leaf, "civil" if by_civil else self._grid_worker(grid),
                            "civil" if by_civil else "worker", at, care=True)
                at -= timedelta(seconds=int(days * 86400 * self.rng.uniform(0.8, 1.0)))
                if at <= self.now - _CARE_HISTORY:
                    break

    def _visit(self, person: models.Person, leaf: models.Region, visitor: str, actor: str, at: datetime,
               care: bool = False) -> None:
        """A visit as the hub records one (resolvers.domain.visits.record_visit): a closed VISIT event
        at the person's home, naming the person."""
        place = self.place.get(person.residence_id)
        lon, lat = ((place.longitude, place.latitude) if place
                    else self._located(leaf, self._near(self.centre[leaf.id], 0.001)))
        note = self.rng.choice(_VISIT_NOTES)
        event = self._regional(
            models.Event, leaf, id=next(self._ids[models.Event]),
            title=f"{'关爱走访' if care else '入户走访'}{person.name}", description=note,
            kind=EventKind.VISIT, category=CARE_VISIT_CATEGORY if care else KEY_VISIT_CATEGORY, source=EventSource.PATROL, reporter_name=visitor,
            occurred_at=at, place_id=place and place.id, longitude=lon, latitude=lat, status=EventStatus.CLOSED,
            closed_at=at, created_at=at, reported_region_id=leaf.id, **due_columns(None))
        self._new(models.EventPerson, event_id=event.id, person_id=person.id)
        self._new(models.EventLog, event_id=event.id, actor=actor, action="visit", from_status=None,
                  to_status=EventStatus.CLOSED, note=note, created_at=at)
