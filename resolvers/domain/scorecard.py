"""Grid evaluation (考核): a scorecard per grid, and per worker, over a period, within the
caller's scope. Grouped SQL built from the same predicates as every list: events per grid
and in total, and the key persons with their last visit before the period.

Per grid, of the events that occurred in [from, to) (visits apart):
- discovered: reported at all; accepted: taken on (neither waiting nor rejected);
- resolved on time: closed by their due time (as `eventStats`' on-time count);
- verified: checked by the reporting grid (verified or closed); mean satisfaction of the rated;
and visits (走访): done (every visit recorded in the period, to key persons or others) against due, the visits the rules
(resolvers.domain.visits) call for in the period: a key person whose next visit falls due in it,
or was overdue at its start, is due one, and one more every interval after that (so a
weekly bulletin asks a monthly visit only in the week it falls due, and asks again each
week it is still not done). Per worker, each one responsible for a key person (1+3+N,
known by its user name, as the visits it records are reported, or else by name) is due that
person's visits. Key persons are counted only where the caller may see key tags;
where it may not, visits due are unknown (None), not zero, in every row and the total.

Care work (关爱走访) is counted beside it, for every caller who reads the persons: care visits
done in the period (events of the care-visit category) and due by the care rules, per grid,
as for key persons (a care person's due visits from its last care visit, or from when it got
its first care tag a care rule matches). Care tags are no secret, so these are never unknown.
In the bulletin each grid worker answers for the grid's care work beside the care visits
it recorded: the visits due in the week and the care persons still overdue at its end.

Rows come by the grid's region path (then worker), as the bulletin lists them. Weeks are
civil weeks (resolvers.runtime.civil_time), Monday 00:00 to Monday 00:00.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise import connections
from tortoise.expressions import Q

from gridhub.models.enums import StaffRole, Tier
from gridhub.policies.predicate import FALSE, Compare, SqlParams, and_, path_prefix
from gridhub.policies.scope import Scope

from gridhub.settings import DEFAULT_SCORE_WEIGHTS as DEFAULT_WEIGHTS, parse_weights

from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE, civil_days
from gridhub.resolvers.domain.visit_due import CARE_VISIT_CATEGORY
from gridhub.resolvers.errors import BadInput, Forbidden, NotFound
from gridhub.resolvers.read.filters import as_utc
from gridhub.resolvers.read.query import rows as rows_of
from gridhub.resolvers.read.query import sql_dialect, visible

GROUPS = ("grid", "worker")
# the grid of a row placed in a micro-grid is the micro-grid's parent
_GRID_OF = "CASE WHEN r.tier = 'micro_grid' THEN r.parent_id ELSE r.id END"


@dataclass
class Score:
    grid_id: int | None = None
    worker: str | None = None
    discovered: int = 0
    accepted: int = 0
    resolved_on_time: int = 0
    verified: int = 0
    rated: int = 0
    mean_satisfaction: float | None = None
    visits_done: int = 0
    # None where the caller may not see key persons: 0 would read as nothing due, beside
    # visits done, as if over-fulfilled
    visits_due: int | None = 0
    care_visits_done: int = 0  # 关爱走访 recorded in the period
    care_visits_due: int = 0  # due by the care rules (resolvers.domain.visits), per grid
    score: float | None = None  # 0–100 by the county's weights (`score_rows`); None: nothing to score
    rank: int | None = None  # among the grids of the same parent region, 1 the best


@dataclass
class Scorecard:
    region_path: str
    since: datetime
    until: datetime
    total: Score
    rows: list[Score] = field(default_factory=list)


def _event_sql(dialect: str, scope: Scope, region_path: str, since: datetime, until: datetime,
               group: tuple[str, ...]) -> tuple[str, list]:
    params = SqlParams(dialect)
    where = and_(visible(scope, "event"), path_prefix(region_path),
                 Compare("occurred_at", "gte", since), Compare("occurred_at", "lt", until)).to_sql(params, "x")
    keys = {"grid": f"{_GRID_OF} AS grid_id", "worker": "x.reporter_name AS worker"}
    selected = "".join(keys[g] + ", " for g in group)
    grouped = ", ".join(k.split(" AS ")[1] for g in group for k in (keys[g],))
    not_visit = "x.kind <> 'visit'"
    sql = (
        f"SELECT {selected}"
        f"SUM(CASE WHEN {not_visit} THEN 1 ELSE 0 END) AS discovered, "
        f"SUM(CASE WHEN {not_visit} AND x.status NOT IN ('reported', 'rejected') THEN 1 ELSE 0 END) AS accepted, "
        f"SUM(CASE WHEN {not_visit} AND x.status = 'closed' AND x.due_at IS NOT NULL "
        f"AND x.closed_at <= x.due_at THEN 1 ELSE 0 END) AS resolved_on_time, "
        f"SUM(CASE WHEN {not_visit} AND x.status IN ('verified', 'closed') THEN 1 ELSE 0 END) AS verified, "
        f"SUM(CASE WHEN {not_visit} AND x.satisfaction IS NOT NULL THEN 1 ELSE 0 END) AS rated, "
        f"AVG(CASE WHEN {not_visit} THEN x.satisfaction END) AS satisfaction, "
        f"SUM(CASE WHEN x.kind = 'visit' THEN 1 ELSE 0 END) AS visits_done, "
        f"SUM(CASE WHEN x.kind = 'visit' AND x.category = '{CARE_VISIT_CATEGORY}' THEN 1 ELSE 0 END) "
        f"AS care_visits_done "
        f"FROM event x JOIN region r ON r.id = x.region_id WHERE {where}"
        + (f" GROUP BY {grouped} ORDER BY {grouped}" if grouped else "")
    )
    return sql, params.values


def _key_persons_sql(dialect: str, scope: Scope, region_path: str, since: datetime) -> tuple[str, list] | None:
    """Per key person with a visit rule: its grid, the shortest interval of its tags' rules,
    when it got the earliest of the tags a rule matches and its last visit before `since`.
    None where the caller may not see key tags."""
    key_tags = scope.where("person.key_tags")
    if key_tags == FALSE:
        return None
    params = SqlParams(dialect)
    before = params.add(since)
    where = and_(visible(scope, "person"), key_tags, path_prefix(region_path)).to_sql(params, "p")
    # A person never visited is due the rule's interval after it became a key person: when
    # it got its first tag a rule matches (as resolvers.domain.visits keeps `visit_due_at`), not
    # when it was registered, or one registered long ago would be overdue the day it is
    # tagged. The join keeps only matching tags (`t`), so one is always there: the
    # fallback to the registration time resolvers.domain.visits needs has nothing to do here.
    sql = (f"SELECT {_GRID_OF} AS grid_id, p.id AS person_id, MIN(t.created_at) AS tagged, "
           f"MIN(v.every_days) AS every_days, "
           f"(SELECT MAX(e.occurred_at) FROM event_person ep JOIN event e ON e.id = ep.event_id "
           f"WHERE ep.person_id = p.id AND e.kind = 'visit' AND e.deleted_at IS NULL AND e.occurred_at < {before}) "
           f"AS last_visit "
           f"FROM person p JOIN region r ON r.id = p.region_id JOIN person_tag t ON t.person_id = p.id "
           f"JOIN visit_rule v ON (t.tag = v.tag OR t.tag LIKE v.tag || '/%') "
           f"WHERE {where} AND NOT (v.tag = 'care' OR v.tag LIKE 'care/%') GROUP BY grid_id, p.id")
    return sql, params.values


def _care_persons_sql(dialect: str, scope: Scope, region_path: str, since: datetime) -> tuple[str, list]:
    """Per person with a care rule that the caller reads: its grid, the shortest interval of
    its care tags' rules, when it got the earliest of them and its last care visit before
    `since` (as resolvers.domain.visits keeps `care_visit_due_at`)."""
    params = SqlParams(dialect)
    before = params.add(since)
    where = and_(visible(scope, "person"), path_prefix(region_path)).to_sql(params, "p")
    sql = (f"SELECT {_GRID_OF} AS grid_id, p.id AS person_id, MIN(t.created_at) AS tagged, "
           f"MIN(v.every_days) AS every_days, "
           f"(SELECT MAX(e.occurred_at) FROM event_person ep JOIN event e ON e.id = ep.event_id "
           f"WHERE ep.person_id = p.id AND e.kind = 'visit' AND e.category = '{CARE_VISIT_CATEGORY}' "
           f"AND e.deleted_at IS NULL AND e.occurred_at < {before}) AS last_visit "
           f"FROM person p JOIN region r ON r.id = p.region_id JOIN person_tag t ON t.person_id = p.id "
           f"JOIN visit_rule v ON (t.tag = v.tag OR t.tag LIKE v.tag || '/%') "
           f"WHERE {where} AND (v.tag = 'care' OR v.tag LIKE 'care/%') GROUP BY grid_id, p.id")
    return sql, params.values


def visits_due(last: datetime, every_days: int, since: datetime, until: datetime) -> int:
    """The visits a key person's rule calls for in [since, until), the last one before
    `since` (or when it was tagged) given: the next falls due `every_days` after it, and once
    due (in the period, or overdue at its start) one every `every_days` from then on."""
    due = last + timedelta(days=every_days)
    if due >= until:
        return 0
    start = max(due, since)
    return 1 + int(((until - start).total_seconds() - 1e-6) // (every_days * 86400))


def _as_datetime(value: Any) -> datetime:
    """A timestamp as the driver returns it (SQLite: text)."""
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(value))


def _score(row: dict, **key) -> Score:
    mean = row.get("satisfaction")
    return Score(discovered=int(row.get("discovered") or 0), accepted=int(row.get("accepted") or 0),
                 resolved_on_time=int(row.get("resolved_on_time") or 0), verified=int(row.get("verified") or 0),
                 rated=int(row.get("rated") or 0),
                 mean_satisfaction=round(float(mean), 2) if mean is not None else None,
                 visits_done=int(row.get("visits_done") or 0),
                 care_visits_done=int(row.get("care_visits_done") or 0), **key)


async def grid_scorecard(scope: Scope, region_path: str, since: datetime, until: datetime,
                         by_worker: bool = False, weights: str = DEFAULT_WEIGHTS) -> Scorecard:
    since, until = as_utc(since), as_utc(until)
    if since >= until:
        raise BadInput("`from` must come before `to`", field="from")
    if not scope.where("scorecard", "read").matches(_At(region_path)):
        raise Forbidden("you may not read the scorecards of this region")
    dialect = sql_dialect()
    connection = connections.get("default")
    group = ("grid", "worker") if by_worker else ("grid",)
    rows = [_score(r, grid_id=r["grid_id"], worker=r.get("worker") if by_worker else None)
            for r in await connection.execute_query_dict(*_event_sql(dialect, scope, region_path, since, until, group))]
    total_rows = await connection.execute_query_dict(*_event_sql(dialect, scope, region_path, since, until, ()))
    total = _score(total_rows[0] if total_rows else {})
    key_persons = _key_persons_sql(dialect, scope, region_path, since)
    if key_persons is not None:
        due: dict[int, int] = {}  # key person -> the visits due in the period
        grid_of: dict[int, int] = {}
        for r in await connection.execute_query_dict(*key_persons):
            last = _as_datetime(r["last_visit"] or r["tagged"])
            due[r["person_id"]] = visits_due(last, int(r["every_days"]), since, until)
            grid_of[r["person_id"]] = r["grid_id"]
        # per grid, or per grid and worker: those responsible for a key person (1+3+N) are
        # each due its visits
        owed: dict[tuple, int] = defaultdict(int)
        if by_worker:
            for person_id, worker in await _responsible(due, since, until):
                owed[grid_of[person_id], worker] += due[person_id]
        else:
            for person_id, count in due.items():
                owed[grid_of[person_id], None] += count
        keyed = {(r.grid_id, r.worker): r for r in rows}
        for key, count in owed.items():
            if key not in keyed:  # due visits, and no events
                keyed[key] = Score(grid_id=key[0], worker=key[1])
                rows.append(keyed[key])
            keyed[key].visits_due = count
        total.visits_due = sum(due.values())
    if not by_worker:  # care visits are the grid's, not one responsible worker's
        care_due = await _care_due(scope, region_path, since, until)
        keyed = {r.grid_id: r for r in rows}
        for grid_id, count in care_due.items():
            if grid_id not in keyed:
                keyed[grid_id] = Score(grid_id=grid_id)
                rows.append(keyed[grid_id])
            keyed[grid_id].care_visits_due = count
        total.care_visits_due = sum(care_due.values())
    if not by_worker:  # every grid has its row, a grid with nothing to show too
        listed = {r.grid_id for r in rows}
        grids = await rows_of(scope, "region", and_(path_prefix(region_path), Compare("tier", "eq", Tier.GRID.value)))
        rows += [Score(grid_id=g.id) for g in grids if g.id not in listed]
    if key_persons is None:  # unknown, so the total (their sum) is unknown too
        for score in (total, *rows):
            score.visits_due = None
    await score_rows(rows, parse_weights(weights))
    return Scorecard(region_path, since, until, total, await _by_path(rows))


async def _care_due(scope: Scope, region_path: str, since: datetime, until: datetime) -> dict[int, int]:
    """Per grid, the care visits its care persons are due in [since, until)."""
    since, until = as_utc(since), as_utc(until)  # SQLite compares moments as UTC text
    due: dict[int, int] = defaultdict(int)
    for r in await connections.get("default").execute_query_dict(
            *_care_persons_sql(sql_dialect(), scope, region_path, since)):
        due[r["grid_id"]] += visits_due(_as_datetime(r["last_visit"] or r["tagged"]), int(r["every_days"]),
                                        since, until)
    return due


async def _care_overdue(scope: Scope, region_path: str, at: datetime) -> dict[int, int]:
    """Per grid, its care persons whose care visit is past due at `at`: due an interval after
    their last care visit before `at` (or after they were tagged), as `careVisitOverdue` says."""
    at = as_utc(at)
    late: dict[int, int] = defaultdict(int)
    for r in await connections.get("default").execute_query_dict(
            *_care_persons_sql(sql_dialect(), scope, region_path, at)):
        if _as_datetime(r["last_visit"] or r["tagged"]) + timedelta(days=int(r["every_days"])) < at:
            late[r["grid_id"]] += 1
    return late


async def _responsible(due: dict[int, int], since: datetime, until: datetime) -> list[tuple[int, str]]:
    """(key person, worker) for each one responsible for a key person with visits due, at
    some time in the period: a user by its user name (as the visits it records are
    reported), anyone else by name. Once each, whatever roles they hold for that person."""
    from gridhub import models

    owing = [person_id for person_id, count in due.items() if count]
    if not owing:
        return []
    first, last = civil_days(since, until)
    found = await models.KeyPersonResponsibility.filter(
        Q(ended_on=None) | Q(ended_on__gte=first), key_person_id__in=owing, started_on__lte=last,
        deleted_at=None).values_list("key_person_id", "user__username", "name")
    return sorted({(person_id, username or name) for person_id, username, name in found if username or name})


async def _by_path(rows: list[Score]) -> list[Score]:
    """The rows by their grid's region path, then worker: the tree's order, the bulletin's.
    One read for all paths, of retired grids too (split or merged away, still in the table
    with their path), whose rows keep their place."""
    from gridhub import models

    ids = {r.grid_id for r in rows if r.grid_id}
    paths = dict(await models.Region.filter(id__in=ids).values_list("id", "region_path")) if ids else {}
    return sorted(rows, key=lambda r: (paths.get(r.grid_id, ""), r.worker or "", r.grid_id or 0))


# ---- the score: weighted indicators, ranked within each parent region ----------------------

def indicators(row: Score, most_discovered: int) -> dict[str, float | None]:
    """Each indicator from 0 to 1, or None where there is nothing to measure:
    discovery    events discovered, against the most any grid of the same parent discovered;
    on_time      closed by the due time, of those taken on;
    verification verified by the reporting grid, of those taken on;
    satisfaction the mean rating, 1 → 0 and 5 → 1;
    visits       visits done against due (at most 1); unknown where visits due are."""
    return {
        "discovery": row.discovered / most_discovered if most_discovered else None,
        "on_time": row.resolved_on_time / row.accepted if row.accepted else None,
        "verification": row.verified / row.accepted if row.accepted else None,
        "satisfaction": (row.mean_satisfaction - 1) / 4 if row.mean_satisfaction is not None else None,
        "visits": min(1.0, row.visits_done / row.visits_due) if row.visits_due else None,
    }


def score_of(values: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """The weighted mean over the indicators there are, times 100: a grid with no key persons
    is scored on the rest, not marked down for visits nobody owed."""
    present = [(weights[k], v) for k, v in values.items() if v is not None and weights[k]]
    total = sum(w for w, _ in present)
    return round(100 * sum(w * v for w, v in present) / total, 1) if total else None


async def score_rows(rows: list[Score], weights: dict[str, float]) -> None:
    """Score each grid and rank it among the grids of its parent region (equal scores share
    a rank, the next one skipped: 1, 2, 2, 4). Rows per worker are scored, never ranked."""
    from gridhub import models

    ids = {r.grid_id for r in rows if r.grid_id}
    parents = dict(await models.Region.filter(id__in=ids).values_list("id", "parent_id")) if ids else {}
    by_parent: dict[Any, list[Score]] = defaultdict(list)
    for r in rows:
        by_parent[parents.get(r.grid_id)].append(r)
    for siblings in by_parent.values():
        most = max(r.discovered for r in siblings)
        for r in siblings:
            r.score = score_of(indicators(r, most), weights)
        if any(r.worker is not None for r in siblings):
            continue
        scored = sorted((r.score for r in siblings if r.score is not None), reverse=True)
        for r in siblings:
            r.rank = scored.index(r.score) + 1 if r.score is not None else None


class _At:
    def __init__(self, region_path: str):
        self.region_path = region_path


def iso_week(text: str) -> tuple[datetime, datetime]:
    """`2026-W47` -> [Monday 00:00, next Monday 00:00) in the hub's civil time."""
    try:
        year, week = text.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise BadInput("a week is written 2026-W47", field="week") from None
    start = datetime.combine(monday, time(), tzinfo=CIVIL_TIME_ZONE)
    return start, start + timedelta(days=7)


async def bulletin(scope: Scope, region_path: str, week: str, weights: str = DEFAULT_WEIGHTS) -> dict[str, Any]:
    """The weekly bulletin (周通报) of a region for an ISO week: its grids' scorecards with their
    scores and ranks, then what each grid worker did. One builder for the CLI and the
    `weeklyBulletin` query."""
    from gridhub import models

    region = await models.Region.get_or_none(region_path=region_path, deleted_at=None)
    if region is None:
        raise NotFound("no region with this path")
    since, until = iso_week(week)
    card = await grid_scorecard(scope, region_path, since, until, weights=weights)
    names = {r.id: (r.name, r.region_path) for r in await models.Region.filter(
        id__in=[r.grid_id for r in card.rows if r.grid_id])}
    # in the scorecard's order, by path
    grids = [{"grid": names.get(r.grid_id, ("", ""))[0], "path": names.get(r.grid_id, ("", ""))[1],
              **{k: x for k, x in asdict(r).items() if k not in ("grid_id", "worker")}} for r in card.rows]
    total = {k: x for k, x in asdict(card.total).items() if k not in ("grid_id", "worker", "score", "rank")}
    return {"region": region.name, "path": region_path, "week": week.upper(), "from": since.isoformat(),
            "to": until.isoformat(), "total": total, "grids": grids,
            "workers": await _workers(scope, region_path, since, until)}


async def _workers(scope: Scope, region_path: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Each grid's workers serving in the period (staff rows of role WORKER) with what they
    did themselves: the events they reported and the visits they recorded, matched by the
    name or the user name they go by (a visit recorded in the hub carries the user name,
    one reported from a worker's app the name it gives).

    Care work is the grid's (no one is made responsible for a care person, as 1+3+N are for a
    key person): each worker of a grid is due its care visits in the period and answers for
    its care persons still overdue when the period ends (or now, while it runs)."""
    from gridhub import models

    from gridhub.resolvers.domain.staffing import overlap_predicate

    staff = await rows_of(scope, "staff", and_(path_prefix(region_path), Compare("role", "eq", StaffRole.WORKER.value),
                                               overlap_predicate(*civil_days(since, until))))
    if not staff:
        return []
    usernames = dict(await models.User.filter(id__in={s.user_id for s in staff if s.user_id}).values_list(
        "id", "username"))
    grids = {r.id: r for r in await models.Region.filter(id__in={s.region_id for s in staff})}
    card = await grid_scorecard(scope, region_path, since, until, by_worker=True, weights=DEFAULT_WEIGHTS)
    done = {(r.grid_id, r.worker): r for r in card.rows}
    care_due = await _care_due(scope, region_path, since, until)
    care_overdue = await _care_overdue(scope, region_path, min(until, datetime.now(since.tzinfo)))
    found = []
    for member in staff:
        names = {member.name, usernames.get(member.user_id)} - {None, ""}
        mine = [done[member.region_id, n] for n in names if (member.region_id, n) in done]
        grid = grids[member.region_id]
        # the rows of a micro-grid's persons count in its grid (_GRID_OF)
        grid_id = grid.parent_id if grid.tier == Tier.MICRO_GRID else grid.id
        found.append({"grid": grid.name, "path": grid.region_path, "worker": member.name,
                      "username": usernames.get(member.user_id),
                      **{k: _sum(getattr(r, k) for r in mine) for k in WORKER_COUNTS},
                      "care_visits_due": care_due.get(grid_id, 0), "care_visits_overdue": care_overdue.get(grid_id, 0)})
    return sorted(found, key=lambda w: (w["path"], w["worker"]))


def _sum(values) -> int | None:
    """A sum that is unknown where a part is (visits due, to one who may not see key persons)."""
    values = list(values)
    return None if None in values else sum(values)


COLUMNS = (("discovered", "发现"), ("accepted", "受理"), ("resolved_on_time", "按期办结"), ("verified", "核查"),
           ("mean_satisfaction", "满意度"), ("visits_done", "走访"), ("visits_due", "应走访"),
           ("care_visits_done", "关爱走访"), ("care_visits_due", "应关爱走访"), ("score", "得分"), ("rank", "排名"))


# what a worker did in person, and the visits due from it as one responsible for key
# persons; no satisfaction (the residents rate the grid's handling, not one worker)
WORKER_COUNTS = ("discovered", "accepted", "resolved_on_time", "verified", "visits_done", "visits_due",
                 "care_visits_done")
# and the grid's care work each of its workers answers for (`_workers`)
WORKER_COLUMNS = tuple((k, label) for k, label in COLUMNS if k in WORKER_COUNTS) + (
    ("care_visits_due", "应关爱走访"), ("care_visits_overdue", "逾期未关爱"))


def bulletin_markdown(data: dict[str, Any]) -> str:
    def cells(row: dict, columns=COLUMNS) -> str:
        return " | ".join("" if row[k] is None else str(row[k]) for k, _ in columns)

    # the week's first and last day: `to` is the next Monday, excluded
    last_day = datetime.fromisoformat(data["to"]).date() - timedelta(days=1)
    lines = [f"# {data['region']} 网格工作周通报 {data['week']}", "",
             f"{data['from'][:10]} – {last_day.isoformat()}（{data['path']}）", "",
             "| 网格 | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    lines += [f"| {g['grid']} | {cells(g)} |" for g in data["grids"]]
    lines.append(f"| **合计** | {cells({'score': None, 'rank': None, **data['total']})} |")  # a total is not ranked
    if data["workers"]:
        columns = WORKER_COLUMNS
        lines += ["", "## 网格员", "", "| 网格 | 网格员 | " + " | ".join(label for _, label in columns) + " |",
                  "|---|---|" + "---|" * len(columns)]
        lines += [f"| {w['grid']} | {w['worker']} | {cells(w, columns)} |" for w in data["workers"]]
    return "\n".join(lines) + "\n"


def bulletin_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
