"""Filter values chosen from the demo's data so that each filter keeps some rows and excludes
others, each with an independent SQL condition that counts the rows it should keep. Used by
the filter table (tests/test_filter_table.py) and the differential test's generator.

The SQL here is written by hand from the filters' documented meaning, not derived from
resolvers/read/filters.py, so a filter that the hub compiles wrongly (or drops) disagrees with it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from strawberry.relay import to_base64
from tortoise import connections

# kind -> (table, root field, filter input type)
KINDS = {
    "region": ("region", "regions", "RegionFilter"),
    "person": ("person", "persons", "PersonFilter"),
    "household": ("household", "households", "HouseholdFilter"),
    "place": ("place", "places", "PlaceFilter"),
    "event": ("event", "events", "EventFilter"),
    "thing": ("thing", "things", "ThingFilter"),
    "organisation": ("organisation", "organisations", "OrganisationFilter"),
}
TEXT_COLUMNS = {"region": ("name", "code"), "person": ("name",), "household": ("code",),
                "place": ("name", "address", "code"), "event": ("title", "description"),
                "thing": ("name", "code"), "organisation": ("name", "credit_code")}
# enum filters: GraphQL field -> column (values stored lower case, GraphQL names upper case)
ENUM_COLUMNS = {
    "region": {"tier": "tier"},
    "person": {"gender": "gender", "populationType": "population_type", "idType": "id_type",
               "maritalStatus": "marital_status", "education": "education", "occupation": "occupation",
               "politicalStatus": "political_status", "religion": "religion"},
    "place": {"kind": "kind"},
    "event": {"status": "status", "kind": "kind", "source": "source", "urgency": "urgency"},
    "thing": {"kind": "kind", "status": "status"},
    "organisation": {"kind": "kind"},
}
# what the county centre reads of each kind: all live rows, but key persons' visits
COUNTY_SEES = {"event": "NOT (t.category = 'service/key_visit' OR t.category LIKE 'service/key\\_visit/%' ESCAPE '\\')"}


@dataclass
class Case:
    kind: str
    field: str
    value: object  # the GraphQL variable value
    sql: str  # condition on alias t, `?` placeholders
    params: tuple
    caller: str = "county"
    base_path: str = "/"  # the caller's rows: those under this path

    @property
    def literal(self) -> str:
        """The value as a GraphQL literal (for generated query text)."""
        v = self.value
        if isinstance(v, dict):  # an input object (a box), or a JSON scalar's object (a GeoJSON area)
            return _object_literal(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):  # an input object: `{department: "…"}`
            return "{" + ", ".join(f"{k}: {Case(self.kind, k, x, '', ()).literal}" for k, x in v.items()) + "}"
        if isinstance(v, list) and v and all(isinstance(x, str) and x.isupper() for x in v) and self.field not in (
                "tags", "category"):
            return "[" + ", ".join(v) + "]"
        return json.dumps(v, ensure_ascii=False)

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.field}" + ("" if self.caller == "county" else f"-{self.caller}")


def _object_literal(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_object_literal(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_object_literal(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def placeholders(sql: str) -> str:
    """`?` to `$1, $2, …` on PostgreSQL."""
    if connections.get("default").capabilities.dialect != "postgres":
        return sql
    out, n = [], 0
    for ch in sql:
        if ch == "?":
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
    return "".join(out)


async def rows(sql: str, params=()) -> list[dict]:
    return await connections.get("default").execute_query_dict(placeholders(sql), list(params))


def base(kind: str, path: str) -> tuple[str, tuple]:
    parts, params = ["t.deleted_at IS NULL", "t.region_path LIKE ?"], [path + "%"]
    if kind in COUNTY_SEES:
        parts.append(COUNTY_SEES[kind])
    return " AND ".join(parts), tuple(params)


async def count(kind: str, path: str, sql: str = "1=1", params: tuple = ()) -> int:
    where, base_params = base(kind, path)
    table = KINDS[kind][0]
    found = await rows(f"SELECT count(*) AS n FROM {table} t WHERE {where} AND ({sql})", base_params + tuple(params))
    return int(found[0]["n"])


def as_iso(value) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


async def _median(kind: str, column: str, path: str, extra: str = "1=1"):
    where, params = base(kind, path)
    values = [r["v"] for r in await rows(
        f"SELECT DISTINCT t.{column} AS v FROM {KINDS[kind][0]} t WHERE {where} AND {extra} AND t.{column} IS NOT NULL "
        f"ORDER BY t.{column}", params)]
    assert len(values) >= 2, f"{kind}.{column}: every row alike, nothing to split"
    return values[len(values) // 2]


async def _most_common(kind: str, column: str, path: str):
    where, params = base(kind, path)
    found = await rows(f"SELECT t.{column} AS v, count(*) AS n FROM {KINDS[kind][0]} t WHERE {where} "
                       f"AND t.{column} IS NOT NULL GROUP BY t.{column} ORDER BY count(*) DESC, t.{column}", params)
    assert len(found) >= 2, f"{kind}.{column}: one value only, nothing to split"
    return found[0]["v"]


async def _most_common_where(kind: str, column: str, extra: str):
    where, params = base(kind, "/")
    found = await rows(f"SELECT t.{column} AS v, count(*) AS n FROM {KINDS[kind][0]} t WHERE {where} AND {extra} "
                       f"AND t.{column} IS NOT NULL GROUP BY t.{column} ORDER BY count(*) DESC, t.{column}", params)
    assert found, f"{kind}.{column}: no row to split by"
    return found[0]["v"]


# the step an event in a state waits for, and the events a region holds (its id six times)
WAITING_FOR = {"reported": "ACCEPT", "accepted": "DISPATCH", "returned": "REDISPATCH", "dispatched": "START",
               "handling": "RESOLVE", "extension_requested": "DECIDE_EXTENSION", "resolved": "VERIFY",
               "verified": "CLOSE"}
HELD_BY_REGION = (
    "(t.status = 'resolved' AND t.region_id = ?) "
    "OR (t.status = 'extension_requested' AND t.dispatcher_region_id = ?) "
    "OR (t.status IN ('reported', 'accepted', 'returned', 'verified') "
    "    AND (t.handling_region_id = ? OR (t.handling_region_id IS NULL AND t.region_id = ?))) "
    "OR (t.status IN ('dispatched', 'handling') AND t.handling_department_id IS NULL "
    "    AND (t.handling_region_id = ? OR (t.handling_region_id IS NULL AND t.region_id = ?)))")


async def _text(kind: str, path: str, caller: str = "county") -> Case:
    """A character of the first row's text that some rows have and others lack."""
    columns = TEXT_COLUMNS[kind]
    cond = " OR ".join(f"UPPER(t.{c}) LIKE ?" for c in columns)
    total = await count(kind, path)
    where, params = base(kind, path)
    first = (await rows(f"SELECT t.{columns[0]} AS v FROM {KINDS[kind][0]} t WHERE {where} ORDER BY t.id LIMIT 1",
                        params))[0]["v"]
    for text in [*dict.fromkeys(first), first]:  # a character, or (codes alike but for their end) all of it
        if text in "%_\\ ":
            continue
        pattern = f"%{text.upper()}%"
        if 0 < await count(kind, path, cond, (pattern,) * len(columns)) < total:
            return Case(kind, "text", text, cond, (pattern,) * len(columns), caller=caller, base_path=path)
    raise AssertionError(f"no character of {first!r} splits the {kind} rows")


async def splitting_cases(anchors: dict, grid_id: str | None = None) -> list[Case]:
    """One case per filter field of every kind (the schema's fields; tests compare)."""
    now = datetime.now(timezone.utc)
    town = (await rows("SELECT id FROM region WHERE region_path = ?", (anchors["town"],)))[0]["id"]
    cases: list[Case] = []
    for kind in KINDS:
        path = "/"
        cases.append(Case(kind, "region", to_base64("Region", town), "t.region_path LIKE ?", (anchors["town"] + "%",)))
        cases.append(Case(kind, "regionPath", anchors["community"], "t.region_path LIKE ?",
                          (anchors["community"] + "%",)))
        middle = await _median(kind, "updated_at", path)
        cases.append(Case(kind, "updatedSince", as_iso(middle), "t.updated_at >= ?", (middle,)))
        cases.append(Case(kind, "updatedUntil", as_iso(middle), "t.updated_at <= ?", (middle,)))
        if kind == "place":  # a house's name and address are searched where granted (place.address)
            cases.append(await _text(kind, anchors["grid"], caller="worker"))
        else:
            cases.append(await _text(kind, path))
        for field, column in ENUM_COLUMNS.get(kind, {}).items():
            # the gender comes from the identity number: filtered where that is granted (the worker's grid)
            # (so do political status and religion: granted to the grid that registers them)
            caller, base = (("worker", anchors["grid"]) if kind == "person" and field in (
                "gender", "politicalStatus", "religion") else ("county", path))
            value = await _most_common(kind, column, base)
            cases.append(Case(kind, field, [str(value).upper()], f"t.{column} = ?", (value,), caller=caller,
                              base_path=base))
    # events: categories by their first segment, lights and due times now
    top = str(await _most_common("event", "category", "/")).split("/")[0]
    cases.append(Case("event", "category", [top], "(t.category = ? OR t.category LIKE ?)", (top, top + "/%")))
    cases.append(Case("event", "light", ["RED"], "t.open_due_at < ?", (now,)))
    due = await _median("event", "open_due_at", "/")
    cases.append(Case("event", "dueBefore", as_iso(due), "t.due_soon_at IS NOT NULL AND t.open_due_at < ?", (due,)))
    cases.append(Case("event", "dueAfter", as_iso(due), "t.due_soon_at IS NOT NULL AND t.open_due_at >= ?", (due,)))
    # events: to-do lists (resolvers.read.holders, as docs/frontend.md tells the rule)
    department = await _most_common_where("event", "handling_department_id", "t.status IN ('dispatched', 'handling')")
    cases.append(Case("event", "heldBy", {"department": to_base64("Department", department)},
                      "t.status IN ('dispatched', 'handling') AND t.handling_department_id = ?", (department,)))
    grid = (await rows("SELECT id FROM region WHERE region_path = ?", (anchors["grid"],)))[0]["id"]
    cases.append(Case("event", "heldBy", {"me": True}, HELD_BY_REGION, (grid,) * 6, caller="leader",
                      base_path=anchors["grid"]))
    status = await _most_common_where("event", "status", "t.status NOT IN ('closed', 'rejected')")
    cases.append(Case("event", "waitingFor", [WAITING_FOR[status]], "t.status = ?", (status,)))
    cases.append(Case("event", "supervised", True, "t.supervised_at IS NOT NULL", ()))
    # persons: care tags for the county; key tags and overdue visits where they are granted (the grid worker)
    tagged = "t.id IN (SELECT p.person_id FROM person_tag p WHERE p.tag = ? OR p.tag LIKE ?)"
    cases.append(Case("person", "tags", ["care"], tagged, ("care", "care/%")))
    cases.append(Case("person", "tags", ["key"], tagged, ("key", "key/%"), caller="worker", base_path=anchors["grid"]))
    for kind in ("place", "thing", "event", "person"):
        cases.extend(await _spatial(kind, anchors))
    # newcomers whose residence registration lapses within 30 days (of the county's civil day) or has lapsed
    soon = (now + timedelta(hours=8)).date() + timedelta(days=30)
    lapsing = ("t.id IN (SELECT r.person_id FROM residence r WHERE r.ended_on IS NULL AND r.deleted_at IS NULL "
               "AND r.expires_on <= ?)")
    cases.append(Case("person", "dueForRenewal", True, lapsing, (soon,)))
    # native place (籍贯) under a province: the demo's own county's and its newcomers' elsewhere
    province = str(await _most_common_where("person", "native_place", "1=1"))[:2]
    cases.append(Case("person", "nativePlace", [province], "t.native_place LIKE ?", (province + "%",)))
    cases.append(Case("person", "dueForRenewal", False, f"NOT {lapsing}", (soon,)))
    # care visits (关爱走访) past due: shown to every reader of the person, the county's too
    cases.append(Case("person", "careVisitOverdue", True, "t.care_visit_due_at < ?", (now,)))
    cases.append(Case("person", "careVisitOverdue", False, "(t.care_visit_due_at IS NULL OR t.care_visit_due_at >= ?)",
                      (now,)))
    return cases


# a home (policies.sensitivity.DWELLING): located by spatial filters only where `place.address`
# is granted, so places and persons (by residence) are tabled as the grid worker, granted it there
_HOME = "(p.kind IN ('house', 'rental_house') OR p.unit <> '' OR p.floor <> '' OR p.room <> '')"


async def _spatial(kind: str, anchors: dict) -> list[Case]:
    """`box`, `area` (a triangle) and `near`, each cut through the middle of the rows' points.
    The box is counted by SQL; the triangle and the circle by shapely and the haversine over
    the rows' points, listed by id (independent of either engine's spatial SQL)."""
    from shapely.geometry import Point, Polygon

    from gridhub.models.geo import great_circle

    caller, path = ("worker", anchors["grid"]) if kind in ("place", "person") else ("county", "/")
    where, params = base(kind, path)
    if kind == "person":
        found = await rows(
            f"SELECT t.id AS id, p.longitude AS lon, p.latitude AS lat FROM person t JOIN place p ON "
            f"p.id = t.residence_id WHERE {where} AND p.longitude IS NOT NULL AND "
            f"(p.region_path LIKE ? OR NOT {_HOME})", params + (path + "%",))
    else:
        found = await rows(f"SELECT t.id AS id, t.longitude AS lon, t.latitude AS lat FROM {KINDS[kind][0]} t "
                           f"WHERE {where} AND t.longitude IS NOT NULL", params)
    lons, lats = sorted(r["lon"] for r in found), sorted(r["lat"] for r in found)
    w, s, e, n = lons[0] - 1e-3, lats[0] - 1e-3, lons[-1] + 1e-3, lats[-1] + 1e-3
    mid_lon, mid_lat = lons[len(lons) // 2], lats[len(lats) // 2]
    triangle = Polygon([(w, s), (e, s), (w, n)])
    distances = sorted(great_circle(r["lon"], r["lat"], mid_lon, mid_lat) for r in found)
    metres = (distances[len(distances) // 2] + distances[len(distances) // 2 + 1]) / 2

    def by_id(ids: list[int]) -> tuple[str, tuple]:
        return (f"t.id IN ({', '.join('?' for _ in ids)})" if ids else "1=0"), tuple(ids)

    if kind == "person":
        in_box = (f"t.residence_id IN (SELECT p.id FROM place p WHERE p.longitude BETWEEN ? AND ? AND p.latitude "
                  f"BETWEEN ? AND ? AND (p.region_path LIKE ? OR NOT {_HOME}))", (w, mid_lon, s, n, path + "%"))
    else:
        in_box = ("t.longitude BETWEEN ? AND ? AND t.latitude BETWEEN ? AND ?", (w, mid_lon, s, n))
    return [
        Case(kind, "box", {"west": w, "south": s, "east": mid_lon, "north": n}, *in_box, caller=caller,
             base_path=path),
        Case(kind, "area", {"type": "Polygon", "coordinates": [[list(c) for c in triangle.exterior.coords]]},
             *by_id([r["id"] for r in found if triangle.intersects(Point(r["lon"], r["lat"]))]),
             caller=caller, base_path=path),
        Case(kind, "near", {"longitude": mid_lon, "latitude": mid_lat, "metres": metres},
             *by_id([r["id"] for r in found if great_circle(r["lon"], r["lat"], mid_lon, mid_lat) <= metres]),
             caller=caller, base_path=path),
    ]
