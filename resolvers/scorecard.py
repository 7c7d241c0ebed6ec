"""Grid evaluation (考核): a scorecard per grid, and per worker, over a period, within the
caller's scope. Two grouped SQL statements (events, then visits due) for the grids and two
for the total, built from the same predicates as every list.

Per grid, of the events that occurred in [from, to) (visits apart):
- discovered: reported at all; accepted: taken on (neither waiting nor rejected);
- resolved on time: closed by their due time (as `eventStats`' on-time count);
- verified: checked by the reporting grid (verified or closed); mean satisfaction of the rated;
and visits (走访): done (visit records in the period) against due, where each key person
with a visit rule (resolvers.visits) is due period ÷ interval visits (at least one).
Key persons are counted only where the caller may see key tags.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from tortoise import connections

from policies.predicate import FALSE, Compare, SqlParams, and_, path_prefix
from policies.scope import Scope

from .errors import BadInput, Forbidden, NotFound
from .filters import as_utc
from .query import sql_dialect, visible

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
    visits_due: int = 0


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
        f"SUM(CASE WHEN x.kind = 'visit' THEN 1 ELSE 0 END) AS visits_done "
        f"FROM event x JOIN region r ON r.id = x.region_id WHERE {where}"
        + (f" GROUP BY {grouped} ORDER BY {grouped}" if grouped else "")
    )
    return sql, params.values


def _visits_due_sql(dialect: str, scope: Scope, region_path: str, days: int, by_grid: bool) -> tuple[str, list] | None:
    """Per key person the shortest interval of its tags' rules, then the visits it is due."""
    key_tags = scope.where("person.key_tags")
    if key_tags == FALSE:
        return None
    params = SqlParams(dialect)
    where = and_(visible(scope, "person"), key_tags, path_prefix(region_path)).to_sql(params, "p")
    days = int(days)  # a whole number of days the server computed: written into the SQL
    grid = f"{_GRID_OF} AS grid_id, " if by_grid else ""
    inner = (f"SELECT {grid}p.id AS person_id, MIN(v.every_days) AS every_days FROM person p "
             f"JOIN region r ON r.id = p.region_id JOIN person_tag t ON t.person_id = p.id "
             f"JOIN visit_rule v ON (t.tag = v.tag OR t.tag LIKE v.tag || '/%') "
             f"WHERE {where} GROUP BY {'grid_id, ' if by_grid else ''}p.id")
    outer_key = "d.grid_id, " if by_grid else ""
    sql = (f"SELECT {outer_key}SUM(CASE WHEN {days} / d.every_days < 1 THEN 1 "
           f"ELSE {days} / d.every_days END) AS visits_due FROM ({inner}) d"
           + (" GROUP BY d.grid_id" if by_grid else ""))
    return sql, params.values


def _score(row: dict, **key) -> Score:
    mean = row.get("satisfaction")
    return Score(discovered=int(row.get("discovered") or 0), accepted=int(row.get("accepted") or 0),
                 resolved_on_time=int(row.get("resolved_on_time") or 0), verified=int(row.get("verified") or 0),
                 rated=int(row.get("rated") or 0),
                 mean_satisfaction=round(float(mean), 2) if mean is not None else None,
                 visits_done=int(row.get("visits_done") or 0), **key)


async def grid_scorecard(scope: Scope, region_path: str, since: datetime, until: datetime,
                         by_worker: bool = False) -> Scorecard:
    since, until = as_utc(since), as_utc(until)
    if since >= until:
        raise BadInput("`from` must come before `to`", field="from")
    if not scope.where("scorecard", "read").matches(_At(region_path)):
        raise Forbidden("you may not read the scorecards of this region")
    dialect = sql_dialect()
    connection = connections.get("default")
    days = max(1, (until - since).days)
    group = ("grid", "worker") if by_worker else ("grid",)
    rows = [_score(r, grid_id=r["grid_id"], worker=r.get("worker") if by_worker else None)
            for r in await connection.execute_query_dict(*_event_sql(dialect, scope, region_path, since, until, group))]
    total_rows = await connection.execute_query_dict(*_event_sql(dialect, scope, region_path, since, until, ()))
    total = _score(total_rows[0] if total_rows else {})
    due = _visits_due_sql(dialect, scope, region_path, days, by_grid=True)
    if due is not None:
        per_grid = {r["grid_id"]: int(r["visits_due"] or 0) for r in await connection.execute_query_dict(*due)}
        by_grid = {r.grid_id: r for r in rows if not by_worker}
        for grid_id, count in per_grid.items():
            if not by_worker and grid_id not in by_grid:  # a grid with key persons and no events
                by_grid[grid_id] = Score(grid_id=grid_id)
                rows.append(by_grid[grid_id])
            if not by_worker:
                by_grid[grid_id].visits_due = count
        total_due = await connection.execute_query_dict(*_visits_due_sql(dialect, scope, region_path, days, False))
        total.visits_due = int(total_due[0]["visits_due"] or 0) if total_due else 0
    return Scorecard(region_path, since, until, total, sorted(rows, key=lambda r: (r.grid_id or 0, r.worker or "")))


class _At:
    def __init__(self, region_path: str):
        self.region_path = region_path


def iso_week(text: str) -> tuple[datetime, datetime]:
    """`2026-W47` -> [Monday 00:00 UTC, next Monday)."""
    try:
        year, week = text.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise BadInput("a week is written 2026-W47", field="week") from None
    start = datetime.combine(monday, time(), tzinfo=timezone.utc)
    return start, start + timedelta(days=7)


async def bulletin(scope: Scope, region_path: str, week: str) -> dict[str, Any]:
    """The weekly bulletin (周通报) of a region: its grids' scorecards for an ISO week."""
    import models

    region = await models.Region.get_or_none(region_path=region_path, deleted_at=None)
    if region is None:
        raise NotFound("no region with this path")
    since, until = iso_week(week)
    card = await grid_scorecard(scope, region_path, since, until)
    names = {r.id: (r.name, r.region_path) for r in await models.Region.filter(
        id__in=[r.grid_id for r in card.rows if r.grid_id])}
    grids = [{"grid": names.get(r.grid_id, ("", ""))[0], "path": names.get(r.grid_id, ("", ""))[1],
              **{k: x for k, x in asdict(r).items() if k not in ("grid_id", "worker")}} for r in card.rows]
    total = {k: x for k, x in asdict(card.total).items() if k not in ("grid_id", "worker")}
    return {"region": region.name, "path": region_path, "week": week.upper(), "from": since.isoformat(),
            "to": until.isoformat(), "total": total, "grids": grids}


COLUMNS = (("discovered", "发现"), ("accepted", "受理"), ("resolved_on_time", "按期办结"), ("verified", "核查"),
           ("mean_satisfaction", "满意度"), ("visits_done", "走访"), ("visits_due", "应走访"))


def bulletin_markdown(data: dict[str, Any]) -> str:
    def cells(row: dict) -> str:
        return " | ".join("" if row[k] is None else str(row[k]) for k, _ in COLUMNS)

    lines = [f"# {data['region']} 网格工作周通报 {data['week']}", "",
             f"{data['from'][:10]} – {data['to'][:10]}（{data['path']}）", "",
             "| 网格 | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    lines += [f"| {g['grid']} | {cells(g)} |" for g in data["grids"]]
    lines.append(f"| **合计** | {cells(data['total'])} |")
    return "\n".join(lines) + "\n"


def bulletin_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
