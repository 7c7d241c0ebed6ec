"""Dashboard statistics within the caller's scope: one grouped SQL statement each, built
from the same predicates as every list (the scope and the filters render to SQL)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable

from tortoise import connections

from gridhub.policies.predicate import FALSE, TRUE, Compare, SqlParams, and_, path_prefix
from gridhub.policies.scope import Scope
from gridhub.policies.sensitivity import KEY_TAG

from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.read.filters import as_utc, revealed_for_comparing
from gridhub.resolvers.read.query import sql_dialect, visible


def _hours_between(dialect: str, start: str, end: str) -> str:
    if dialect == "postgres":
        return f"EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0"
    return f"(julianday({end}) - julianday({start})) * 24.0"


def child_region_sql(dialect: str, params: SqlParams, parent_path: str, column: str = "x.region_path") -> str:
    """The path of the child of `parent_path` that holds the row (the parent itself for rows
    placed directly in it): the parent's path plus the row path's next segment."""
    start = len(parent_path) + 1
    rest = f"substr({column}, {start})"
    find = f"strpos({rest}, '/')" if dialect == "postgres" else f"instr({rest}, '/')"
    # one placeholder per occurrence: SQLite binds `?` by position
    return (f"CASE WHEN {find} = 0 THEN {params.add(parent_path)} "
            f"ELSE {params.add(parent_path)} || substr({rest}, 1, {find}) END")


@dataclass
class Group:
    key: dict[str, Any]
    count: int = 0
    closed: int = 0
    on_time: int = 0
    mean_hours_to_close: float | None = None
    mean_satisfaction: float | None = None
    arrivals: int | None = None  # persons' stays begun (人来登记), grouped by month
    departures: int | None = None  # … ended (人走注销)

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.closed, 4) if self.closed else None


@dataclass
class Stats:
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)


EVENT_GROUPS = {  # group name -> SQL over the event alias x
    "status": "x.status",
    "category": "x.category",
    "source": "x.source",
    "department": "x.handling_department_id",
    "urgency": "x.urgency",
}
PERIODS = ("day", "week", "month")


def civil_period_sql(dialect: str, period: str, column: str = "x.occurred_at") -> str:
    """The first civil day (resolvers.runtime.civil_time: the county's midnight, not UTC's) of the day,
    ISO week (from Monday) or month `column` falls in, as text `YYYY-MM-DD` on both databases."""
    hours = int(CIVIL_TIME_ZONE.utcoffset(None).total_seconds() // 3600)
    if dialect == "postgres":
        local = f"(({column}) AT TIME ZONE 'UTC' + INTERVAL '{hours} hours')"
        unit = {"day": "day", "week": "week", "month": "month"}[period]
        return f"to_char(date_trunc('{unit}', {local}), 'YYYY-MM-DD')"
    # SQLite reads the stored "+00:00" and shifts by the offset; `weekday 0` is the Sunday
    # ending the ISO week, six days after its Monday
    shift = f"'{hours:+d} hours'"
    return {"day": f"date({column}, {shift})",
            "week": f"date({column}, {shift}, 'weekday 0', '-6 days')",
            "month": f"strftime('%Y-%m-01', {column}, {shift})"}[period]


async def event_stats(scope: Scope, region_path: str, since: datetime | None, until: datetime | None,
                      group_by: list[str], light_sql=None) -> Stats:
    """Counts, on-time rate (closed by the due time), mean hours from occurrence to close and
    mean satisfaction of the events under `region_path` that occurred in [since, until)."""
    if since and until and since >= until:
        raise BadInput("`from` must come before `to`", field="from")
    dialect = sql_dialect()
    params = SqlParams(dialect)
    columns = []
    for name in group_by:
        if name == "child_region":
            columns.append((name, child_region_sql(dialect, params, region_path)))
        elif name in PERIODS:
            columns.append((name, civil_period_sql(dialect, name)))
        elif name == "light":
            if light_sql is None:
                raise BadInput("grouping by light is not available", field="groupBy")
            columns.append((name, light_sql(params, "x")))
        else:
            columns.append((name, EVENT_GROUPS[name]))
    where = and_(visible(scope, "event"), path_prefix(region_path),
                 Compare("occurred_at", "gte", as_utc(since)) if since else TRUE,
                 Compare("occurred_at", "lt", as_utc(until)) if until else TRUE)
    condition = where.to_sql(params, "x")
    closed = "x.status = 'closed'"
    selected = ", ".join(f"{sql} AS g_{name}" for name, sql in columns)
    grouped = ", ".join(f"g_{name}" for name, _ in columns)
    sql = (
        f"SELECT {selected + ', ' if selected else ''}COUNT(*) AS n, "
        f"SUM(CASE WHEN {closed} THEN 1 ELSE 0 END) AS closed, "
        f"SUM(CASE WHEN {closed} AND x.due_at IS NOT NULL AND x.closed_at <= x.due_at THEN 1 ELSE 0 END) AS on_time, "
        f"AVG(CASE WHEN {closed} THEN {_hours_between(dialect, 'x.occurred_at', 'x.closed_at')} END) AS hours, "
        f"AVG(CASE WHEN {closed} THEN x.satisfaction END) AS satisfaction "
        f"FROM event x WHERE {condition}"
        + (f" GROUP BY {grouped} ORDER BY {grouped}" if grouped else "")
    )
    found = await connections.get("default").execute_query_dict(sql, params.values)
    groups = [
        Group(key={name: r[f"g_{name}"] for name, _ in columns}, count=r["n"], closed=int(r["closed"] or 0),
              on_time=int(r["on_time"] or 0),
              mean_hours_to_close=round(float(r["hours"]), 2) if r["hours"] is not None else None,
              mean_satisfaction=round(float(r["satisfaction"]), 2) if r["satisfaction"] is not None else None)
        for r in found if r["n"]
    ]
    return Stats(groups)


# what a month of arrivals and departures can be grouped by besides the month
MOVEMENT_GROUPS = ("month", "child_region", "population_type")


async def movement_stats(scope: Scope, region_path: str, group_by: list[str]) -> Stats:
    """Arrivals and departures (人来登记、人走注销) under `region_path` per civil month: the
    residence registrations (a newcomer's stay, one that lapses) that began in the month and
    those that ended in it, where the stay was — a person moving from one grid to another
    leaves the one and arrives in the other. A stay counts where the caller may read persons
    (the person scope asked of the stay's region and the person's tags), so a town's figure
    is the sum of its grids'. `count`: the persons who arrived or departed. One statement."""
    if any(g not in MOVEMENT_GROUPS for g in group_by):
        raise BadInput("arrivals and departures group by month, child region and population type only",
                       field="groupBy")
    dialect = sql_dialect()
    params = SqlParams(dialect)
    columns = []
    for name in group_by:
        if name == "child_region":
            columns.append((name, child_region_sql(dialect, params, region_path, "m.region_path")))
        elif name == "month":
            columns.append((name, "to_char(date_trunc('month', m.moved_on), 'YYYY-MM-DD')" if dialect == "postgres"
                           else "strftime('%Y-%m-01', m.moved_on)"))
        else:
            columns.append((name, f"x.{name}"))
    # the person scope on each stay: `id` the person, `region_path` where the stay was
    condition = and_(visible(scope, "person"), path_prefix(region_path)).to_sql(params, "m")
    stays = ("SELECT r.person_id AS id, r.region_path AS region_path, r.deleted_at AS deleted_at, "
             "r.{day} AS moved_on, {arrived} AS arrived FROM residence r "
             "WHERE r.expires_on IS NOT NULL AND r.{day} IS NOT NULL")
    moves = (stays.format(day="started_on", arrived=1) + " UNION ALL " + stays.format(day="ended_on", arrived=0))
    selected = ", ".join(f"{sql} AS g_{name}" for name, sql in columns)
    grouped = ", ".join(f"g_{name}" for name, _ in columns)
    sql = (f"SELECT {selected + ', ' if selected else ''}COUNT(DISTINCT m.id) AS n, "
           f"SUM(m.arrived) AS arrivals, SUM(1 - m.arrived) AS departures "
           f"FROM ({moves}) m JOIN person x ON x.id = m.id AND x.deleted_at IS NULL WHERE {condition}"
           + (f" GROUP BY {grouped} ORDER BY {grouped}" if grouped else ""))
    found = await connections.get("default").execute_query_dict(sql, params.values)
    return Stats([Group(key={name: _text(r[f"g_{name}"]) for name, _ in columns}, count=r["n"],
                        arrivals=int(r["arrivals"] or 0), departures=int(r["departures"] or 0))
                  for r in found if r["n"]])


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def person_stats(scope: Scope, region_path: str, group_by: list[str]) -> Stats:
    """Persons under `region_path` by tag, population type and/or child region. Key-person
    tags are counted only where the caller may see them, as in lists. Grouped by month:
    arrivals and departures (`movement_stats`)."""
    if "month" in group_by:
        return await movement_stats(scope, region_path, group_by)
    dialect = sql_dialect()
    params = SqlParams(dialect)
    columns, joins, tag_visible = [], "", None
    # grouping on a sensitive or derived column counts only where the caller sees it
    where = and_(visible(scope, "person"), path_prefix(region_path),
                 *(revealed_for_comparing(scope, "person", name, "groupBy") for name in group_by))
    for name in group_by:
        if name == "child_region":
            columns.append((name, child_region_sql(dialect, params, region_path)))
        elif name in ("population_type", "gender"):
            columns.append((name, f"x.{name}"))
        elif name == "tag":
            columns.append((name, "t.tag"))
            joins = " JOIN person_tag t ON t.person_id = x.id"
            tag_visible = scope.where("person.key_tags")
    condition = where.to_sql(params, "x")
    if tag_visible is not None:
        key_tag = KEY_TAG.to_sql(params, "t")
        shown = "1=0" if tag_visible == FALSE else tag_visible.to_sql(params, "x")
        condition += f" AND (NOT {key_tag} OR {shown})"
    selected = ", ".join(f"{sql} AS g_{name}" for name, sql in columns)
    grouped = ", ".join(f"g_{name}" for name, _ in columns)
    sql = (f"SELECT {selected + ', ' if selected else ''}COUNT(DISTINCT x.id) AS n FROM person x{joins} "
           f"WHERE {condition}" + (f" GROUP BY {grouped} ORDER BY {grouped}" if grouped else ""))
    found = await connections.get("default").execute_query_dict(sql, params.values)
    return Stats([Group(key={name: r[f"g_{name}"] for name, _ in columns}, count=r["n"]) for r in found if r["n"]])



async def cached(answers: Any, scope: Scope, policy_version: int, question: tuple, tables: tuple[str, ...],
                 compute: Callable[[], Awaitable[Stats]]) -> Stats:
    """`compute()`'s statistics through the answer cache (resolvers.runtime.cache), when there is one."""
    if answers is None:
        return await compute()

    async def as_json() -> list[dict]:
        return [asdict(g) for g in (await compute()).groups]

    return Stats([Group(**g) for g in await answers.answer(question, scope, policy_version, tables, as_json)])
