"""Events at every step of the workflow, the open ones in every light, with their logs,
subjects, handlers and supervision, as the hub's own workflow would have left them."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

from gridhub import models
from gridhub.models.enums import EventSource, EventStatus, Gender, ThingKind, Urgency

from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.domain.deadlines import FINISHED, Light, due_columns
from gridhub.resolvers.domain.visit_due import visit_category
from gridhub.resolvers.domain.workflow import STEPS
from gridhub.resolvers.demo.tables import (
    _CATEGORIES, _Category, _CORRECTED_EVENTS, _DEPARTMENT_ACTORS, _DETAILS, _DISPUTE, _EXTENSION_DAYS,
    _FIRST_EVENTS, _FLOW, _Handler, _HYDRANT_REPORT, _LIGHT_WEIGHTS, _PARKED_DAYS, _REPORT_ACTORS, _SOURCE_PHRASES,
    _SOURCE_WEIGHTS, _STATUS_WEIGHTS, _STEPS, _THING_TYPES, _URGENCY_WEIGHTS, _VISIT,
)


class EventsPhase:
    """A phase of resolvers.demo.county._DemoCounty, drawn on its state."""

    def _events(self) -> None:
        statuses = [s for s in EventStatus if s in _FLOW or s in FINISHED]  # the corrections' states: below
        for i in range(max(len(statuses), self._size("events"))):
            # the first events, one per status, are in the first grid, so that every scale
            # has the whole workflow and every light to test against
            if i < len(statuses):
                self._event(self.grids[0], statuses[i], _HYDRANT_REPORT if i == 0 else None,
                            *_FIRST_EVENTS[statuses[i]])
                if i == len(statuses) - 1:  # and one reported this week, for this week's bulletin
                    self._event(self.grids[0], EventStatus.REPORTED, reported_at=self._this_week())
            else:
                grid = self.grid_of[self.rng.choice(self.persons).region_id]  # busier where more live
                self._event(grid, self._pick(_STATUS_WEIGHTS))
        # drawn from a stream put back afterwards: the rest of the county (staff, visits) is
        # drawn as it was before the corrections existed
        state = self.rng.getstate()
        for path, light, handled_by in _CORRECTED_EVENTS:
            event = self._event(self.grids[0], path[-1], None, light, handled_by, path=list(path))
            if path[-1] is EventStatus.HANDLING:
                self._urge(event, ("town", "town"))
        self.rng.setstate(state)


    def _grid_worker(self, grid: models.Region) -> str:
        if grid.id not in self._grid_workers:
            self._grid_workers[grid.id] = self._name(self.rng.choice((Gender.MALE, Gender.FEMALE)))
        return self._grid_workers[grid.id]

    def _event(self, grid: models.Region, status: EventStatus, category: _Category | None = None,
               light: Light | None = None, handled_by: str | None = None,
               reported_at: datetime | None = None, path: list[EventStatus] | None = None) -> models.Event:
        category = category or self.rng.choices(_CATEGORIES, [c.weight for c in _CATEGORIES])[0]
        pattern = self.rng.choice(category.titles)
        thing_kind = self.rng.choice(category.thing_kinds) if "{thing}" in pattern else None
        thing = self._facility(grid, thing_kind) if thing_kind else None
        if thing is not None:  # the event is where the facility is
            place = self.place.get(thing.place_id)
            leaf, lon, lat = self.region[thing.region_id], thing.longitude, thing.latitude
        else:
            place = self.rng.choice(self.places_in[grid.id]) if self.rng.random() < 0.75 else None
            leaf = self.region[place.region_id] if place else self._leaf(grid)
            lon, lat = ((place.longitude, place.latitude) if place
                        else self._located(leaf, self._near(self.centre[leaf.id], 0.001)))
        adults = self._grid_adults(grid)
        title, persons = self._subject(grid, category, pattern, place, thing_kind, adults)
        if category.kind is _VISIT:  # as the hub files a visit (a key person's apart)
            category_path = visit_category(t for p in persons for t in self.tags.get(p.id, ()))
        else:
            category_path = category.path

        source = EventSource.PATROL if category.kind is _VISIT else self._pick(_SOURCE_WEIGHTS)
        reporter = self.rng.choice(adults) if source in (EventSource.SNAPSHOT, EventSource.HOTLINE) else None
        reporter_name = "" if reporter else {
            EventSource.VIDEO: "视频巡查",
            EventSource.DEPARTMENT: self.departments[category.department].name,
        }.get(source) or self._grid_worker(grid)

        path = path or self._path(status)
        occurred, times = (reported_at, [reported_at]) if reported_at else self._timeline(path, category, light)
        handler = self._handler(grid, category, handled_by) if EventStatus.DISPATCHED in path else None
        event_id = next(self._ids[models.Event])
        event = self._regional(
            models.Event, leaf, id=event_id, title=title, kind=category.kind, category=category_path,
            reported_region_id=leaf.id,
            description=f"{_SOURCE_PHRASES[source]}：{title}。{self.rng.choice(_DETAILS)}",
            source=source, reporter_id=reporter and reporter.id, reporter_name=reporter_name,
            occurred_at=occurred, place_id=place and place.id, longitude=lon, latitude=lat,
            urgency=self._urgency(category), attachments=self._attachments(event_id), status=status,
            handling_region_id=handler and handler.region and handler.region.id,
            handling_department_id=handler and handler.department and handler.department.id,
            dispatcher_region_id=handler and handler.dispatched_from.id,
            **self._due(path, times, category))
        if status is EventStatus.RETURNED:  # back in the dispatcher's queue
            event.handling_region_id, event.handling_department_id = handler.dispatched_from.id, None
        if status is EventStatus.EXTENSION_REQUESTED:
            event.requested_due_at = event.due_at + timedelta(days=_EXTENSION_DAYS)
        self._log(event, path, times, source, category, handler)
        if status not in (EventStatus.CLOSED, EventStatus.REJECTED) and event_id % 3 == 0:
            self._supervise(event, times[-1])
        for person in persons:
            self._new(models.EventPerson, event_id=event.id, person_id=person.id)
        if thing is not None:
            self._new(models.EventThing, event_id=event.id, thing_id=thing.id)
        return event

    def _urge(self, event: models.Event, actors: tuple[str, ...]) -> None:
        """催办 by the tier above the handler, between the last step and the clock."""
        last = max(r.created_at for r in self._pending[models.EventLog] if r.event_id == event.id)
        for k, actor in enumerate(actors, start=1):
            at = last + (self.now - last) * k / (len(actors) + 1)
            self._new(models.EventLog, event_id=event.id, actor=actor, action="urge", from_status=event.status,
                      to_status=event.status, note="请加快处置进度", due_at=event.due_at, created_at=at)
            event.urge_count, event.urged_at = k, at

    def _grid_adults(self, grid: models.Region) -> list[models.Person]:
        """The adults of a grid, listed once: events draw from them tens of thousands of
        times in a county, and by then the population no longer changes."""
        if grid.id not in self._adults_in:
            self._adults_in[grid.id] = self._adults(self.people_in[grid.id])
        return self._adults_in[grid.id]

    def _facility(self, grid: models.Region, kind: ThingKind) -> models.Thing | None:
        candidates = [t for t in self.things_in[grid.id] if t.kind is kind]
        return self.rng.choice(candidates) if candidates else None

    def _subject(self, grid: models.Region, category: _Category, pattern: str, place: models.Place | None,
                 thing_kind: ThingKind | None, adults: list[models.Person]) -> tuple[str, list[models.Person]]:
        """The title, and the persons the event is about."""
        if category.kind is _VISIT:
            cared = [p for p in adults if self._tagged(p, "care/")]
            visited = self.rng.choice(cared or adults)
            return pattern.format(name=visited.name), [visited]
        where = (place.compound or place.name) if place else self._community_of(grid).name
        title = pattern.format(where=where, thing=_THING_TYPES[thing_kind].label if thing_kind else "")
        if category.kind is _DISPUTE and len(adults) >= 2:
            persons = self.rng.sample(adults, 2)  # the two parties
        elif self.rng.random() < 0.15:
            persons = [self.rng.choice(adults)]
        else:
            persons = []
        return title, persons

    def _urgency(self, category: _Category) -> Urgency:
        if category.path.startswith("emergency/"):
            return self.rng.choice((Urgency.HIGH, Urgency.CRITICAL))
        return self._pick(_URGENCY_WEIGHTS)

    def _attachments(self, event_id: int) -> list[str]:
        photos = self.rng.choice((0, 0, 1, 2))
        return [f"https://files.example/events/{event_id}/{k}.jpg" for k in range(1, photos + 1)]

    def _handler(self, grid: models.Region, category: _Category, target: str | None = None) -> _Handler:
        """Most events stay in the community (小事不出村), some go up to the town, some to
        the category's department; `target` says which."""
        community = self._community_of(grid)
        town = self.parent[community.id]
        target = target or self.rng.choices(("community", "town", "department"), (55, 20, 25))[0]
        if target == "community":
            return _Handler("community", "leader", region=community, dispatched_from=grid)
        if target == "town":
            return _Handler("town", "community", region=town, dispatched_from=community)
        code = category.department
        return _Handler(_DEPARTMENT_ACTORS.get(code, code), "town", department=self.departments[code],
                        dispatched_from=town)

    def _path(self, status: EventStatus) -> list[EventStatus]:
        """The states an event went through to reach `status`."""
        if status is EventStatus.REJECTED:
            return [EventStatus.REPORTED, *([EventStatus.ACCEPTED] if self.rng.random() < 0.5 else []), status]
        return list(_FLOW[:_FLOW.index(status) + 1])

    @staticmethod
    def _deadline(status: EventStatus) -> str | None:
        """The deadline whose window the step entering `status` starts (resolvers.domain.workflow)."""
        action = _STEPS[status][0]
        return "accept" if action == "report" else STEPS[action].deadline

    def _elapsed(self, category: _Category, deadline: str, light: Light | None) -> timedelta:
        """How long before the clock the current window started, for the event to show `light`
        (or a light drawn by weight) then."""
        window = category.window(deadline)
        soon = window * (1 - deadlines.YELLOW_AFTER)
        light = light or self._pick(_LIGHT_WEIGHTS)
        share = self.rng.uniform(0.1, 0.9)
        if light is Light.GREEN:
            elapsed = (window - soon) * share
        elif light is Light.YELLOW:
            elapsed = window - soon + soon * share
        else:
            elapsed = window * (1 + share)
        return timedelta(seconds=int(elapsed.total_seconds()))

    def _this_week(self) -> datetime:
        """A moment of the clock's civil week (Monday 00:00 China time) before the clock:
        something happens this week, however young the week is."""
        civil = self.now.astimezone(CIVIL_TIME_ZONE)
        monday = datetime.combine(civil.date() - timedelta(days=civil.weekday()), time(), CIVIL_TIME_ZONE)
        return self.now - (self.now - monday) * self.rng.uniform(0.05, 0.5)

    def _timeline(self, path: list[EventStatus], category: _Category,
                  light: Light | None) -> tuple[datetime, list[datetime]]:
        """When the event occurred and when each step of `path` was taken. Closed and rejected
        events spread over four months, the last closed minutes ago. An open one is placed by
        its light at the clock: the step that started its current window goes back from the
        clock as `_elapsed` says, the steps before it further back, the steps after it fit in
        between."""
        gaps = [timedelta(seconds=int(self.rng.uniform(*_STEPS[s][1]) * 3600)) for s in path]
        if path[-1] in FINISHED:
            ended = self.now - timedelta(minutes=self.rng.randint(5, 110 * 1440))
            occurred = ended - sum(gaps, timedelta())
            return occurred, list(itertools.accumulate(gaps, initial=occurred))[1:]
        current = max(i for i, status in enumerate(path) if self._deadline(status))
        started = self.now - self._elapsed(category, self._deadline(path[current]), light)
        since = gaps[current + 1:]
        squeeze = min(1.0, (self.now - timedelta(minutes=5) - started) / sum(since, timedelta())) if since else 1
        after = itertools.accumulate((timedelta(seconds=max(1, int(g.total_seconds() * squeeze))) for g in since),
                                     initial=started)
        before = [started - sum(gaps[i + 1:current + 1], timedelta()) for i in range(current)]
        times = [*before, *after]
        return times[0] - gaps[0], times

    def _due(self, path: list[EventStatus], times: list[datetime], category: _Category) -> dict:
        """The event's due columns after the steps of `path`, as the workflow sets them."""
        due: dict = {}
        for status, at in zip(path, times):
            deadline = self._deadline(status)
            if status in FINISHED:
                due.update(due_columns(None))
            elif status is EventStatus.PARKED:  # due for review
                due = due_columns(at + timedelta(days=_PARKED_DAYS), at)
            elif deadline:
                due = due_columns(at + category.window(deadline), at)
        return due

    def _log(self, event: models.Event, path: list[EventStatus], times: list[datetime], source: EventSource,
             category: _Category, handler: _Handler | None) -> None:
        """EventLog rows along `path` at `times`; they stamp the event's report time, closing
        time and rating."""
        for i, (status, at) in enumerate(zip(path, times)):
            actor, note = self._step(status, path, source, category, handler)
            hand_over = {}
            if status is EventStatus.DISPATCHED:  # to whom, due when (the window it started)
                hand_over = {"to_region_id": handler.region and handler.region.id,
                             "to_department_id": handler.department and handler.department.id,
                             "due_at": at + category.window("handle")}
            elif status is EventStatus.RETURNED:
                hand_over = {"to_region_id": handler.dispatched_from.id, "due_at": event.due_at}
            elif status in (EventStatus.PARKED, EventStatus.EXTENSION_REQUESTED):
                hand_over = {"due_at": event.requested_due_at or event.due_at}
            self._new(models.EventLog, event_id=event.id, actor=actor, action=_STEPS[status][0],
                      from_status=path[i - 1] if i else None, to_status=status, note=note, created_at=at,
                      **hand_over)
            if i == 0:
                event.created_at = at
            if status is EventStatus.CLOSED:
                event.closed_at = at
                event.satisfaction = self.rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0]

    def _supervise(self, event: models.Event, last_step_at: datetime) -> None:
        """督办 by the town of the open events whose id is a multiple of 3 (the random draws stay as they
        were), an hour after its last step, so that to-do lists have supervised cases."""
        at = min(last_step_at + timedelta(hours=1), self.now)
        event.supervised_at = at
        self._new(models.EventLog, event_id=event.id, actor="town", action="supervise", from_status=event.status,
                  to_status=event.status, note="请加快办理", created_at=at)

    def _step(self, status: EventStatus, path: list[EventStatus], source: EventSource, category: _Category,
              handler: _Handler | None) -> tuple[str, str]:
        """(actor, note) of the step that enters `status`."""
        if status is EventStatus.REPORTED:
            department = category.department
            return _REPORT_ACTORS.get(source) or _DEPARTMENT_ACTORS.get(department, department), \
                _SOURCE_PHRASES[source]
        if status is EventStatus.ACCEPTED:
            return "leader", "已受理"
        if status is EventStatus.DISPATCHED:
            return handler.dispatcher, f"派单至{handler.name}"
        if status is EventStatus.HANDLING:
            return handler.actor, "已安排人员到场处置"
        if status is EventStatus.RESOLVED:
            return handler.actor, "已调解，双方达成一致" if category.kind is _DISPUTE else "已处置完毕"
        if status is EventStatus.VERIFIED:
            return "worker", "网格员现场核查，已整改到位"
        if status is EventStatus.CLOSED:
            return "community", "予以销号"
        if status is EventStatus.RETURNED:
            return handler.actor, "不属于本单位职责，退回重新派单"
        if status is EventStatus.EXTENSION_REQUESTED:
            return handler.actor, "需协调多个部门，申请延期"
        if status is EventStatus.PARKED:
            return "county", "涉及历史遗留问题，暂不具备解决条件，挂账"
        rejecter = "community" if EventStatus.ACCEPTED in path else "leader"
        return rejecter, self.rng.choice(("经核实不属实，作无效处理", "重复上报，作无效处理", "不属于受理范围"))
