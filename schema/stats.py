"""Dashboard statistics: `eventStats` and `personStats`, grouped, within your scope."""

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from gridhub.models import enums
from gridhub.resolvers.domain import scorecard
from gridhub.resolvers.read import stats
from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.domain.deadlines import light_sql
from gridhub.resolvers.errors import NotFound

from .args import arg
from .enums import EventSource, EventStatus, Gender, PopulationType, Urgency
from .event import Light
from .ids import decode_id
from .refs import DepartmentRef, RegionRef


@strawberry.enum(description="What `eventStats` can group events by.")
class EventGroup(Enum):
    STATUS = strawberry.enum_value("status", description="By status.")
    CATEGORY = strawberry.enum_value("category", description="By category path.")
    CHILD_REGION = strawberry.enum_value("child_region", description="By the region one tier below the one asked "
                                                                     "about that the event lies in.")
    LIGHT = strawberry.enum_value("light", description="By deadline light now (null for closed and rejected).")
    DEPARTMENT = strawberry.enum_value("department", description="By handling department (null when none).")
    SOURCE = strawberry.enum_value("source", description="By source.")
    URGENCY = strawberry.enum_value("urgency", description="By urgency.")
    DAY = strawberry.enum_value("day", description="By the civil day (China Standard Time, the counties' "
                                                   "midnight) the event occurred on: a trend.")
    WEEK = strawberry.enum_value("week", description="By the ISO week (Monday to Sunday, civil time) it occurred "
                                                     "in, told by its Monday.")
    MONTH = strawberry.enum_value("month", description="By the month (civil time) it occurred in, told by its "
                                                       "first day.")


@strawberry.enum(description="What `personStats` can group persons by.")
class PersonGroup(Enum):
    TAG = strawberry.enum_value("tag", description="By tag path (a person counts once per tag); key tags only "
                                                   "where you may see them.")
    POPULATION_TYPE = strawberry.enum_value("population_type", description="By population type.")
    CHILD_REGION = strawberry.enum_value("child_region", description="By the region one tier below the one asked "
                                                                     "about that the person belongs to.")
    GENDER = strawberry.enum_value("gender", description="Carried by the identity number: counted only among "
                                   "the persons whose identity number you may read, FORBIDDEN where none.")
    MONTH = strawberry.enum_value("month", description=(
        "By the civil month of an arrival or a departure (人来登记、人走注销): the groups count the residence "
        "registrations begun (`arrivals`) and ended (`departures`) in it, where the stay was; combines with "
        "CHILD_REGION and POPULATION_TYPE only (BAD_USER_INPUT otherwise)."))


def _day(value) -> Optional[date]:
    return None if value is None else value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@strawberry.type(description="What a group has in common; only the fields grouped by are set.")
class StatsKey:
    _key: strawberry.Private[dict]

    @strawberry.field(description="The status (grouped by STATUS).")
    def status(self) -> Optional[EventStatus]:
        return enums.EventStatus(self._key["status"]) if self._key.get("status") else None

    @strawberry.field(description="The category path (grouped by CATEGORY).")
    def category(self) -> Optional[str]:
        return self._key.get("category")

    @strawberry.field(description="The source (grouped by SOURCE).")
    def source(self) -> Optional[EventSource]:
        return enums.EventSource(self._key["source"]) if self._key.get("source") else None

    @strawberry.field(description="The deadline light (grouped by LIGHT); null for closed and rejected events.")
    def light(self) -> Optional[Light]:
        return deadlines.Light(self._key["light"]) if self._key.get("light") else None

    @strawberry.field(description="The urgency (grouped by URGENCY).")
    def urgency(self) -> Optional[Urgency]:
        return enums.Urgency(self._key["urgency"]) if self._key.get("urgency") else None

    @strawberry.field(description="The civil day (grouped by DAY).")
    def day(self) -> Optional[date]:
        return _day(self._key.get("day"))

    @strawberry.field(description="The Monday of the ISO week (grouped by WEEK).")
    def week(self) -> Optional[date]:
        return _day(self._key.get("week"))

    @strawberry.field(description="The first day of the month (grouped by MONTH).")
    def month(self) -> Optional[date]:
        return _day(self._key.get("month"))

    @strawberry.field(description="The tag path (grouped by TAG).")
    def tag(self) -> Optional[str]:
        return self._key.get("tag")

    @strawberry.field(description="The gender (grouped by GENDER).")
    def gender(self) -> Optional[Gender]:
        return enums.Gender(self._key["gender"]) if self._key.get("gender") else None

    @strawberry.field(description="The population type (grouped by POPULATION_TYPE).")
    def population_type(self) -> Optional[PopulationType]:
        value = self._key.get("population_type")
        return enums.PopulationType(value) if value else None

    @strawberry.field(description="The child region (grouped by CHILD_REGION).")
    async def region(self, info: Info) -> Optional[RegionRef]:
        path = self._key.get("child_region")
        found = await info.context.loaders.rows_by("region", "region_path").load(path) if path else []
        return found[0] if found else None

    @strawberry.field(description="The handling department (grouped by DEPARTMENT).")
    async def department(self, info: Info) -> Optional[DepartmentRef]:
        return await info.context.loaders.one("department", self._key.get("department"))


@strawberry.type(description="Events sharing a key, with how they were handled.")
class EventStatsGroup:
    key: StatsKey = strawberry.field(description="What the group's events have in common.")
    count: int = strawberry.field(description="Events in the group.")
    closed: int = strawberry.field(description="Of those, closed (销号).")
    on_time_rate: Optional[float] = strawberry.field(
        description="Closed by their due time, over all closed (null when none closed).")
    mean_hours_to_close: Optional[float] = strawberry.field(description="From occurrence to close.")
    mean_satisfaction: Optional[float] = strawberry.field(
        description="Mean satisfaction of the rated closed events, 1 to 5 (null when none rated).")


@strawberry.type(description="Counts of events, grouped.")
class EventStats:
    total: int = strawberry.field(description="Events counted.")
    groups: list[EventStatsGroup] = strawberry.field(description="One per key; a single group when not grouped.")


@strawberry.type(description="Persons sharing a key.")
class PersonStatsGroup:
    key: StatsKey = strawberry.field(description="What the group's persons have in common.")
    count: int = strawberry.field(description="Persons in the group (grouped by MONTH: who arrived or departed).")
    arrivals: Optional[int] = strawberry.field(
        description="Residence registrations begun in the group (grouped by MONTH; null otherwise).")
    departures: Optional[int] = strawberry.field(
        description="Residence registrations ended in the group (grouped by MONTH; null otherwise).")


@strawberry.type(description="Counts of persons, grouped.")
class PersonStats:
    total: int = strawberry.field(description="Persons counted (with TAG, a person counts once per tag).")
    groups: list[PersonStatsGroup] = strawberry.field(description="One per key; a single group when not grouped.")


async def _region_path(info: Info, region: GlobalID) -> str:
    row = await info.context.loaders.one("region", decode_id(region, "Region", "region"))
    if row is None:
        raise NotFound("no region with this id")
    return row.region_path


def _groups(result: stats.Stats, with_events: bool):
    for g in result.groups:
        key = StatsKey(_key=g.key)
        if with_events:
            yield EventStatsGroup(key=key, count=g.count, closed=g.closed, on_time_rate=g.on_time_rate,
                                  mean_hours_to_close=g.mean_hours_to_close, mean_satisfaction=g.mean_satisfaction)
        else:
            yield PersonStatsGroup(key=key, count=g.count, arrivals=g.arrivals, departures=g.departures)


@strawberry.type
class StatsQuery:
    @strawberry.field(description="Events of a region's subtree that occurred in [from, to), grouped; "
                                  "only the events you may read are counted.")
    async def event_stats(
        self, info: Info, region: arg(GlobalID, "The region whose subtree is counted."),
        since: Annotated[Optional[datetime], strawberry.argument(
            name="from", description="Events that occurred at or after this time; no lower bound if omitted.")] = None,
        until: Annotated[Optional[datetime], strawberry.argument(
            name="to", description="Events that occurred before this time; no upper bound if omitted.")] = None,
        group_by: arg(Optional[list[EventGroup]], "Group keys, combined; one group of all if omitted.") = None,
    ) -> EventStats:
        path, groups, context = await _region_path(info, region), [g.value for g in group_by or ()], info.context
        at = context.loaders.answered_at
        # lights change with the clock: an answer grouped by light is kept for its minute only
        question = ("event_stats", path, since, until, groups, at.strftime("%Y%m%d%H%M") if "light" in groups else "")
        result = await stats.cached(
            context.answers, context.scope, context.store.version, question, ("event",),
            lambda: stats.event_stats(context.scope, path, since, until, groups,
                                      light_sql=lambda params, alias: light_sql(params, alias, at)))
        return EventStats(total=result.total, groups=list(_groups(result, True)))

    @strawberry.field(description="Persons of a region's subtree, grouped; key-person tags are counted "
                                  "only where you may see them.")
    async def person_stats(self, info: Info, region: arg(GlobalID, "The region whose subtree is counted."),
                           group_by: arg(Optional[list[PersonGroup]], "Group keys, combined; one group of all "
                                                                       "if omitted.") = None) -> PersonStats:
        path, groups, context = await _region_path(info, region), [g.value for g in group_by or ()], info.context
        result = await stats.cached(context.answers, context.scope, context.store.version,
                                    ("person_stats", path, groups),
                                    ("person", "residence") if "month" in groups else ("person",),
                                    lambda: stats.person_stats(context.scope, path, groups))
        return PersonStats(total=result.total, groups=list(_groups(result, False)))



@strawberry.type(description="One grid's (or one worker's) work over the period; see `gridScorecard`.")
class GridScore:
    _score: strawberry.Private[scorecard.Score]

    @strawberry.field(description="The grid (null in the total).")
    async def grid(self, info: Info) -> Optional[RegionRef]:
        grid_id = self._score.grid_id
        return await info.context.loaders.one("region_history", grid_id) if grid_id else None

    @strawberry.field(description="Who reported (grouped by worker): the reporter's name on the events.")
    def worker(self) -> Optional[str]:
        return self._score.worker

    @strawberry.field(description="Events (visits apart) that occurred in the period.")
    def discovered(self) -> int:
        return self._score.discovered

    @strawberry.field(description="Of those, taken on (neither waiting nor rejected).")
    def accepted(self) -> int:
        return self._score.accepted

    @strawberry.field(description="Of those, closed by their due time.")
    def resolved_on_time(self) -> int:
        return self._score.resolved_on_time

    @strawberry.field(description="Of those, verified by the reporting grid (verified or closed).")
    def verified(self) -> int:
        return self._score.verified

    @strawberry.field(description="Of those, rated at closing.")
    def rated(self) -> int:
        return self._score.rated

    @strawberry.field(description="Their mean satisfaction, 1 to 5; null when none rated.")
    def mean_satisfaction(self) -> Optional[float]:
        return self._score.mean_satisfaction

    @strawberry.field(description="Visits (走访) recorded in the period.")
    def visits_done(self) -> int:
        return self._score.visits_done

    @strawberry.field(description="Visits due in the period by the visit rules; per worker, those of the key "
                                  "persons it is responsible for (1+3+N); null where you may not see key persons "
                                  "(their visits due are unknown to you, not none).")
    def visits_due(self) -> Optional[int]:
        return self._score.visits_due

    @strawberry.field(description="Care visits (关爱走访) recorded in the period (counted in `visitsDone` too).")
    def care_visits_done(self) -> int:
        return self._score.care_visits_done

    @strawberry.field(description="Care visits due in the period by the care rules (`visitRules`), of the persons "
                                  "you read, per grid (0 per worker: care work is the grid's).")
    def care_visits_due(self) -> int:
        return self._score.care_visits_due

    @strawberry.field(description="The score, 0 to 100: the weighted mean of the indicators (see `weights`) there "
                                  "are to measure — discovery (against the most any grid of the same parent "
                                  "discovered), on-time handling and verification (of those accepted), satisfaction "
                                  "(1 → 0, 5 → 1), visits done against due (at most 1); null when none is; null in "
                                  "the total.")
    def score(self) -> Optional[float]:
        return self._score.score

    @strawberry.field(description="The grid's rank by score among the grids of the same parent region (1 the best; "
                                  "equal scores share a rank); null per worker, in the total and when unscored.")
    def rank(self) -> Optional[int]:
        return self._score.rank


@strawberry.type(description="One indicator of the score and its weight, as the county set them.")
class ScoreWeight:
    indicator: str = strawberry.field(description="`discovery`, `on_time`, `verification`, `satisfaction` or "
                                                  "`visits`.")
    weight: float = strawberry.field(description="Its weight (the setting SCORE_WEIGHTS).")


@strawberry.type(description="考核: the work of a region's grids over a period.")
class GridScorecard:
    weights: list[ScoreWeight] = strawberry.field(description="The weights the scores were computed with.")
    total: GridScore = strawberry.field(description="All the rows together.")
    grids: list[GridScore] = strawberry.field(
        description="Per grid, or with `byWorker` per grid and worker (the reporter of events and visits, "
                    "or one responsible for key persons), by the grid's region path, then worker.")


@strawberry.type(description="周通报: one region's weekly bulletin.")
class WeeklyBulletin:
    week: str = strawberry.field(description="The ISO week, such as `2026-W47`.")
    since: datetime = strawberry.field(name="from", description="Its Monday 00:00, China Standard Time.")
    until: datetime = strawberry.field(name="to", description="The next Monday 00:00 (excluded).")
    markdown: str = strawberry.field(description="The bulletin as `gridhub bulletin --format md` prints it.")
    json: str = strawberry.field(description="The bulletin as `gridhub bulletin --format json` prints it.")


@strawberry.type
class ScorecardQuery:
    @strawberry.field(description="考核: per grid of a region's subtree, events discovered, accepted, resolved on "
                                  "time and verified, mean satisfaction and visits done against due, over "
                                  "[from, to), within your scope.")
    async def grid_scorecard(
        self, info: Info, region: arg(GlobalID, "The region whose grids are scored."),
        since: Annotated[datetime, strawberry.argument(name="from", description="Start of the period, inclusive.")],
        until: Annotated[datetime, strawberry.argument(name="to", description="End of the period, exclusive.")],
        by_worker: arg(bool, "One row per grid and worker instead of per grid.") = False,
    ) -> GridScorecard:
        path, weights = await _region_path(info, region), info.context.settings.score_weights
        card = await scorecard.grid_scorecard(info.context.scope, path, since, until, by_worker, weights)
        return GridScorecard(weights=[ScoreWeight(indicator=k, weight=w) for k, w in
                                      scorecard.parse_weights(weights).items()],
                             total=GridScore(_score=card.total), grids=[GridScore(_score=r) for r in card.rows])

    @strawberry.field(description=(
        "周通报: a region's weekly bulletin, the same as the CLI `gridhub bulletin` prints: its grids' scorecards "
        "with scores and ranks, then each grid worker's work. Each grid worker reads its own grid's, the tiers "
        "above theirs; the figures are those you may read (visits due need the key persons)."))
    async def weekly_bulletin(self, info: Info, region: arg(GlobalID, "The region (a grid, or a tier above)."),
                              week: arg(str, "An ISO week, such as `2026-W47`, in China Standard Time.")
                              ) -> WeeklyBulletin:
        path = await _region_path(info, region)
        data = await scorecard.bulletin(info.context.scope, path, week, info.context.settings.score_weights)
        return WeeklyBulletin(week=data["week"], since=datetime.fromisoformat(data["from"]),
                              until=datetime.fromisoformat(data["to"]), markdown=scorecard.bulletin_markdown(data),
                              json=scorecard.bulletin_json(data))
