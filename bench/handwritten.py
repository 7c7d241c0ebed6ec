"""bench/run's query mix as hand-written SQL over asyncpg, answered as JSON by orjson: no
GraphQL, no policy (nor its audit trail), no ORM, but the same rows in the same order and
the same shape of answer. It is the floor the hub's numbers are set against (bench/baseline,
and bench/run --baseline): the database's own work plus the least Python a server could do.

Each read takes one statement per level of the answer, as a careful hand would write it:
the page with its to-one relations joined, then each list (members, tags, log) for the
whole page by `= ANY($1)`. M1 is the workflow's three steps, each one transaction of an
insert or a guarded update and a log row, the due times computed in SQL from the
category's hours as resolvers.domain.deadlines computes them."""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Awaitable, Callable

import asyncpg
import orjson

from harness import Load, measure

OPEN = ["reported", "accepted", "dispatched", "handling"]


@dataclass(frozen=True)
class Fixtures:
    """What bench/run's fixtures are, read from the tables: the regions the demo users are
    bound to (their grants), 20 persons for node lookups, the public security bureau."""

    grid_id: int
    grid_path: str
    town_path: str
    county_path: str
    person_ids: list[int]
    public_security: int


async def fixtures(pool: asyncpg.Pool) -> Fixtures:
    async with pool.acquire() as c:
        grants = {r["v0"]: r["v2"].removesuffix("*") for r in await c.fetch(
            "SELECT v0, v2 FROM casbin_rule WHERE ptype = 'g' AND v0 = ANY($1::text[])", ["worker", "town", "county"])}
        grid = await c.fetchval("SELECT id FROM region WHERE region_path = $1", grants["worker"])
        persons = await c.fetch("SELECT id FROM person WHERE deleted_at IS NULL ORDER BY id LIMIT 20")
        police = await c.fetchval("SELECT id FROM department WHERE code = 'public_security'")
    return Fixtures(grid, grants["worker"], grants["town"], grants["county"], [r["id"] for r in persons], police)


def global_id(type_name: str, row_id: int) -> str:
    """As strawberry's relay ids: base64 of `Type:id`."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def answer(data: dict) -> bytes:
    return orjson.dumps({"data": data})


async def tags_of(c: asyncpg.Connection, person_ids: list[int]) -> dict[int, list[str]]:
    tags = defaultdict(list)
    for r in await c.fetch("SELECT person_id, tag FROM person_tag WHERE person_id = ANY($1::bigint[]) "
                           "AND deleted_at IS NULL ORDER BY id", person_ids):
        tags[r["person_id"]].append(r["tag"])
    return tags


# ---- Q1: a grid worker's first 50 persons, with household members, residence and tags ----

Q1_PERSONS = """
SELECT p.id, p.name, p.id_number, p.household_id, h.code AS household_code, pl.name AS place_name,
       pl.address AS place_address
FROM person p
LEFT JOIN household h ON h.id = p.household_id AND h.deleted_at IS NULL
LEFT JOIN place pl ON pl.id = p.residence_id AND pl.deleted_at IS NULL
WHERE p.region_path LIKE $1 AND p.deleted_at IS NULL
ORDER BY p.id LIMIT 50"""
Q1_MEMBERS = """
SELECT household_id, name, relation_to_head FROM person
WHERE household_id = ANY($1::bigint[]) AND deleted_at IS NULL ORDER BY id"""


async def q1(pool: asyncpg.Pool, f: Fixtures) -> bytes:
    async with pool.acquire() as c:
        persons = await c.fetch(Q1_PERSONS, f.grid_path + "%")
        households = list({p["household_id"] for p in persons if p["household_code"] is not None})
        members = defaultdict(list)
        for m in await c.fetch(Q1_MEMBERS, households):
            relation = m["relation_to_head"] and m["relation_to_head"].upper()
            members[m["household_id"]].append({"name": m["name"], "relationToHead": relation})
        tags = await tags_of(c, [p["id"] for p in persons])
    return answer({"persons": {"nodes": [{
        "name": p["name"], "idNumber": p["id_number"], "tags": tags.get(p["id"], []),
        "household": {"code": p["household_code"], "members": members[p["household_id"]]}
        if p["household_code"] is not None else None,
        "residence": {"name": p["place_name"], "address": p["place_address"]} if p["place_name"] is not None else None,
    } for p in persons]}})


# ---- Q2: a town's 100 latest open events, with place, reporter and log ----

Q2_EVENTS = """
SELECT e.id, e.title, e.status, e.due_at, pl.name AS place_name, r.name AS reporter_name
FROM event e
LEFT JOIN place pl ON pl.id = e.place_id AND pl.deleted_at IS NULL
LEFT JOIN person r ON r.id = e.reporter_id AND r.deleted_at IS NULL
WHERE e.region_path LIKE $1 AND e.status = ANY($2::text[]) AND e.deleted_at IS NULL
ORDER BY e.occurred_at DESC, e.id DESC LIMIT 100"""
Q2_LOG = """
SELECT event_id, action, to_status, created_at FROM event_log
WHERE event_id = ANY($1::bigint[]) AND deleted_at IS NULL ORDER BY created_at, id"""


async def q2(pool: asyncpg.Pool, f: Fixtures) -> bytes:
    async with pool.acquire() as c:
        events = await c.fetch(Q2_EVENTS, f.town_path + "%", OPEN)
        log = defaultdict(list)
        for r in await c.fetch(Q2_LOG, [e["id"] for e in events]):
            log[r["event_id"]].append(
                {"action": r["action"], "toStatus": r["to_status"].upper(), "at": r["created_at"]})
    return answer({"events": {"nodes": [{
        "title": e["title"], "status": e["status"].upper(), "dueAt": e["due_at"],
        "place": {"name": e["place_name"]} if e["place_name"] is not None else None,
        "reporter": {"name": e["reporter_name"]} if e["reporter_name"] is not None else None,
        "log": log[e["id"]],
    } for e in events]}})


# ---- Q3: the county's events by town and status, with the on-time rate ----

# $1 the county's path, $2 the number of the path segment that names a town; a row
# directly in the county counts for the county itself (as resolvers.read.stats.child_region_sql,
# which finds the segment with strpos and substr: twice the database's time of split_part)
Q3_STATS = """
SELECT g.child, g.status, g.n, g.closed, g.on_time, r.name AS region_name
FROM (
    SELECT CASE WHEN e.region_path = $1 THEN $1 ELSE $1 || split_part(e.region_path, '/', $2) || '/' END AS child,
           e.status, COUNT(*) AS n,
           SUM(CASE WHEN e.status = 'closed' THEN 1 ELSE 0 END) AS closed,
           SUM(CASE WHEN e.status = 'closed' AND e.due_at IS NOT NULL AND e.closed_at <= e.due_at
                    THEN 1 ELSE 0 END) AS on_time
    FROM event e WHERE e.region_path LIKE $3 AND e.deleted_at IS NULL
    GROUP BY 1, 2
) g
LEFT JOIN region r ON r.region_path = g.child AND r.deleted_at IS NULL
ORDER BY g.child, g.status"""


async def q3(pool: asyncpg.Pool, f: Fixtures) -> bytes:
    async with pool.acquire() as c:
        # '/340223/' splits into '', '340223', '': the town is the third segment
        town_segment = f.county_path.count("/") + 1
        groups = await c.fetch(Q3_STATS, f.county_path, town_segment, f.county_path + "%")
    return answer({"eventStats": {"total": sum(g["n"] for g in groups), "groups": [{
        "key": {"status": g["status"].upper(),
                "region": {"name": g["region_name"]} if g["region_name"] is not None else None},
        "count": g["n"], "onTimeRate": round(g["on_time"] / g["closed"], 4) if g["closed"] else None,
    } for g in groups]}})


# ---- Q4: 500 key persons county-wide, with identity numbers, phones and tags ----

Q4_PERSONS = """
SELECT p.id, p.name, p.id_number, p.phone FROM person p
WHERE p.region_path LIKE $1 AND p.deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM person_tag t WHERE t.person_id = p.id AND t.deleted_at IS NULL
              AND (t.tag = 'key' OR t.tag LIKE 'key/%'))
ORDER BY p.id LIMIT 500"""


async def q4(pool: asyncpg.Pool, f: Fixtures) -> bytes:
    async with pool.acquire() as c:
        persons = await c.fetch(Q4_PERSONS, f.county_path + "%")
        tags = await tags_of(c, [p["id"] for p in persons])
    return answer({"persons": {"nodes": [
        {"name": p["name"], "idNumber": p["id_number"], "phone": p["phone"], "tags": tags.get(p["id"], [])}
        for p in persons]}})


# ---- Q5: 20 persons by id, with their region's name ----

Q5_PERSONS = """
SELECT p.id, p.name, r.name AS region_name FROM person p
LEFT JOIN region r ON r.id = p.region_id AND r.deleted_at IS NULL
WHERE p.id = ANY($1::bigint[]) AND p.deleted_at IS NULL"""


async def q5(pool: asyncpg.Pool, f: Fixtures) -> bytes:
    async with pool.acquire() as c:
        found = {r["id"]: r for r in await c.fetch(Q5_PERSONS, f.person_ids)}
    return answer({"nodes": [{
        "id": global_id("Person", i), "name": found[i]["name"],
        "region": {"name": found[i]["region_name"]} if found[i]["region_name"] is not None else None,
    } if i in found else None for i in f.person_ids]})


# ---- M1: report, accept and dispatch one event, each step one transaction ----

def _window(hours: str) -> tuple[str, str]:
    """The due time and the time it turns yellow of a window of `hours` from $1, as
    resolvers.domain.deadlines.due_columns has them: yellow a quarter of the window, or 4 hours,
    before the due time, whichever is longer."""
    due = f"$1::timestamptz + {hours} * interval '1 hour'"
    return due, f"{due} - greatest({hours} * interval '15 minutes', interval '4 hours')"


ACCEPT_DUE, ACCEPT_SOON = _window("c.accept_hours")
HANDLE_DUE, HANDLE_SOON = _window("c.handle_hours")
M1_REPORT = f"""
INSERT INTO event (created_at, updated_at, version, region_id, region_path, title, description, kind, category,
                   source, reporter_name, occurred_at, urgency, attachments, status, due_at, open_due_at, due_soon_at)
SELECT $1, $1, 1, $2, $3, '压测事件', '', 'hazard', c.path, 'patrol', '', $4, 'normal', '[]', 'reported',
       {ACCEPT_DUE}, {ACCEPT_DUE}, {ACCEPT_SOON}
FROM event_category c WHERE c.path = 'safety/fire' AND c.deleted_at IS NULL
RETURNING id"""
M1_ACCEPT = """
UPDATE event SET status = 'accepted', version = version + 1, updated_at = $1
WHERE id = $2 AND status = 'reported' AND deleted_at IS NULL"""
M1_DISPATCH = f"""
UPDATE event e SET status = 'dispatched', handling_department_id = $3, handling_region_id = NULL,
                   version = e.version + 1, updated_at = $1,
                   due_at = {HANDLE_DUE}, open_due_at = {HANDLE_DUE}, due_soon_at = {HANDLE_SOON}
FROM event_category c
WHERE c.path = e.category AND e.id = $2 AND e.status = 'accepted' AND e.deleted_at IS NULL"""
M1_LOG = """
INSERT INTO event_log (created_at, updated_at, version, event_id, actor, action, from_status, to_status, note,
                       attachments)
VALUES ($1, $1, 1, $2, $3, $4, $5, $6, '', '[]')"""
OCCURRED_AT = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)  # as bench/run's M1: before every demo event


async def _report(pool: asyncpg.Pool, f: Fixtures) -> int:
    at = datetime.now(timezone.utc)
    async with pool.acquire() as c, c.transaction():
        event = await c.fetchval(M1_REPORT, at, f.grid_id, f.grid_path, OCCURRED_AT)
        await c.execute(M1_LOG, at, event, "worker", "report", None, "reported")
    return event


async def _advance(pool: asyncpg.Pool, update: str, event: int, *args, actor: str, action: str,
                   source: str, target: str) -> None:
    """A step: the update, guarded by the state it starts from, and its log row."""
    at = datetime.now(timezone.utc)
    async with pool.acquire() as c, c.transaction():
        if await c.execute(update, at, event, *args) != "UPDATE 1":
            raise RuntimeError(f"event {event} is not {source}")
        await c.execute(M1_LOG, at, event, actor, action, source, target)


async def m1(pool: asyncpg.Pool, f: Fixtures) -> bytes:
    """The three answers, one a line."""
    event = await _report(pool, f)
    reported = answer({"reportEvent": {"id": global_id("Event", event)}})
    await _advance(pool, M1_ACCEPT, event, actor="community", action="accept", source="reported",
                   target="accepted")
    accepted = answer({"acceptEvent": {"status": "ACCEPTED"}})
    await _advance(pool, M1_DISPATCH, event, f.public_security, actor="community", action="dispatch",
                   source="accepted", target="dispatched")
    return b"\n".join((reported, accepted, answer({"dispatchEvent": {"status": "DISPATCHED"}})))


OPERATIONS: dict[str, Callable[[asyncpg.Pool, Fixtures], Awaitable[bytes]]] = {
    "Q1": q1, "Q2": q2, "Q3": q3, "Q4": q4, "Q5": q5, "M1": m1,
}


def dsn(database_url: str) -> str:
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"the hand-written baseline runs on PostgreSQL only, not {database_url}")
    return database_url


async def load(database_url: str, names: list[str], concurrency: int, requests: int) -> dict[str, Load]:
    """Each operation under load at `concurrency`, on a pool of as many connections."""
    async with asyncpg.create_pool(dsn(database_url), min_size=concurrency, max_size=concurrency) as pool:
        ids = await fixtures(pool)
        results = {}
        for name in names:
            operation = OPERATIONS[name]
            results[name] = await measure(lambda: operation(pool, ids), concurrency, requests)
    return results
