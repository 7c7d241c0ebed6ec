"""Deadlines and the light: the rule at its boundaries, its two renderings (SQL and the row in
hand) agreeing on the database, the demo's lights at its clock, due times set step by step
through the workflow, light and due filters, keyset order by due time, and overdue counts
batched per request."""

import base64
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from tortoise import connections

from gridhub import models
from gridhub.models.enums import EventStatus
from gridhub.models.event import NO_DUE
from gridhub.policies.predicate import SqlParams
from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.domain.visit_due import KEY_VISIT_CATEGORY
from gridhub.resolvers.domain.deadlines import Light, due_columns, light_at, light_predicate

START = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)


def event_due(hours: float, start: datetime = START) -> SimpleNamespace:
    return SimpleNamespace(**due_columns(start + timedelta(hours=hours), start))


@pytest.mark.parametrize("hours, offset, expected", [
    (48, timedelta(hours=1), Light.GREEN),
    (48, timedelta(hours=36) - SECOND, Light.GREEN),  # just before the last quarter of 48 hours
    (48, timedelta(hours=36), Light.YELLOW),  # the last quarter begins
    (48, timedelta(hours=48), Light.YELLOW),  # exactly at the due time: due, not overdue
    (48, timedelta(hours=48) + SECOND, Light.RED),
    (240, timedelta(hours=180) - SECOND, Light.GREEN),  # ten days: yellow for the last 60 hours
    (240, timedelta(hours=180), Light.YELLOW),
    (12, timedelta(hours=9) - SECOND, Light.GREEN),
    (12, timedelta(hours=9), Light.YELLOW),
    (2, timedelta(0), Light.GREEN),  # a 2-hour window is GREEN at its start, never YELLOW from it …
    (2, timedelta(minutes=90) - SECOND, Light.GREEN),
    (2, timedelta(minutes=90), Light.YELLOW),  # … YELLOW for its last half hour
    (2, timedelta(hours=2), Light.YELLOW),
    (2, timedelta(hours=2) + SECOND, Light.RED),
])
def test_light_at_the_boundaries(hours, offset, expected):
    assert light_at(event_due(hours), START + offset) is expected


@pytest.fixture
def yellow_after():
    """Set LIGHT_YELLOW_AFTER for one test, and put the default back."""
    before = deadlines.YELLOW_AFTER
    yield deadlines.configure
    deadlines.configure(before)


@pytest.mark.parametrize("hours, share", [(2, 0.5), (2, 0.9), (72, 0.5), (240, 0.6)])
def test_yellow_starts_at_the_configured_share_of_any_window(yellow_after, hours, share):
    yellow_after(share)
    start_of_yellow = START + timedelta(hours=hours) * share
    assert light_at(event_due(hours), START) is Light.GREEN
    assert light_at(event_due(hours), start_of_yellow - SECOND) is Light.GREEN
    assert light_at(event_due(hours), start_of_yellow) is Light.YELLOW
    assert light_at(event_due(hours), START + timedelta(hours=hours) + SECOND) is Light.RED


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.2])
def test_the_share_lies_strictly_inside_the_window(yellow_after, share):
    with pytest.raises(ValueError):
        yellow_after(share)
    from gridhub.settings import Settings

    with pytest.raises(ValueError):
        Settings(light_yellow_after=share)


def test_nothing_due_has_no_light():
    finished = SimpleNamespace(**due_columns(None))
    assert finished.open_due_at == NO_DUE and finished.due_soon_at is None
    assert light_at(finished, START) is None


def test_unknown_lights_are_bad_input():
    from gridhub.resolvers.errors import BadInput

    with pytest.raises(BadInput):
        light_predicate(["PURPLE"], START)


async def test_hours_come_from_the_category_or_its_class(app):
    fire, safety = await models.EventCategory.get(path="safety/fire"), await models.EventCategory.get(path="safety")
    assert (await deadlines.hours_for("safety/fire")).handle == fire.handle_hours
    assert (await deadlines.hours_for("safety/not_in_the_tree")).handle == safety.handle_hours
    assert await deadlines.hours_for("nowhere/at_all") == deadlines.DEFAULT_HOURS


async def test_sql_and_the_row_agree_on_every_light(app, demo_now):
    """At moments around the demo's due times, each light selects in SQL (Q and raw SQL)
    exactly the rows `light_at` gives it one by one."""
    conn = connections.get("default")
    dialect = "postgres" if conn.capabilities.dialect == "postgres" else "sqlite"
    events = await models.Event.all()
    moments = [demo_now, demo_now - timedelta(days=3), demo_now + timedelta(hours=5), datetime.now(timezone.utc)]
    due = [e for e in events if e.due_soon_at][:3]
    moments += [e.open_due_at for e in due] + [e.due_soon_at for e in due]  # right at the boundaries
    for at in moments:
        for light in Light:
            expected = sorted(e.id for e in events if light_at(e, at) is light)
            pred = light_predicate([light], at)
            assert sorted(await models.Event.filter(pred.to_q()).values_list("id", flat=True)) == expected
            params = SqlParams(dialect)
            _, found = await conn.execute_query(f"SELECT x.id FROM event x WHERE {pred.to_sql(params, 'x')}",
                                                params.values)
            assert sorted(r["id"] for r in found) == expected, (at, light)
        params = SqlParams(dialect)
        _, grouped = await conn.execute_query(
            f"SELECT {deadlines.light_sql(params, 'x', at)} AS light, COUNT(*) AS n FROM event x GROUP BY 1",
            params.values)
        counted = {r["light"]: r["n"] for r in grouped}
        assert counted == {(light.value if light else None): n for light, n in
                           _count(light_at(e, at) for e in events).items()}


def _count(values) -> dict:
    counts: dict = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


async def test_the_demo_shows_every_state_and_every_light_at_demo_now(app, demo_now):
    demo = models.Event.filter(occurred_at__lte=demo_now)
    assert set(await demo.values_list("status", flat=True)) == set(EventStatus)
    for light in Light:
        assert await demo.filter(light_predicate([light], demo_now).to_q()).count(), light
    recorded_visits = set(await models.EventLog.filter(action="visit").values_list("event_id", flat=True))
    assert recorded_visits
    for event in await demo.filter(status__in=[EventStatus.CLOSED, EventStatus.REJECTED]):
        assert light_at(event, demo_now) is None
        # each ran against a deadline, but visits recorded once done (resolvers.domain.visits): none ran
        assert (event.due_at is None) == (event.id in recorded_visits), event.id


# ---- through the workflow -----------------------------------------------------------------

REPORT = """mutation($input: EventCreateInput!) { reportEvent(input: $input) { id dueAt dueSoonAt light } }"""
SHOW = """query($id: ID!) { node(id: $id) { ... on Event { status dueAt dueSoonAt light } } }"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def grid_id(client, anchors) -> str:
    data = await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                              p=anchors["grid"])
    return data["regions"]["nodes"][0]["id"]


async def report(worker, anchors, category: str, title: str = "测试时限") -> str:
    # occurred long ago, so that these events stay out of "the newest events" other tests page
    data = await worker.query(REPORT, input={
        "title": title, "kind": "HAZARD", "category": category, "source": "PATROL",
        "occurredAt": "2026-01-01T08:00:00Z", "regionId": await grid_id(worker, anchors)})
    return data["reportEvent"]["id"]


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


async def expect_window(client, event: str, hours: int, step: str, **variables) -> dict:
    """Run the mutation `step` on `event`: then the event is due `hours` after it ran."""
    before = datetime.now(timezone.utc)
    await client.query(step, id=event, **variables)
    after = datetime.now(timezone.utc)
    shown = (await client.query(SHOW, id=event))["node"]
    due = at(shown["dueAt"])
    assert before + timedelta(hours=hours) - SECOND <= due <= after + timedelta(hours=hours), shown
    assert at(shown["dueSoonAt"]) == due - timedelta(hours=hours) * (1 - deadlines.YELLOW_AFTER)
    return shown


def step(name: str, arguments: str = "", declared: str = "") -> str:
    return f"mutation($id: ID!{declared}) {{ {name}(id: $id{arguments}) {{ status }} }}"


async def test_due_times_follow_the_workflow(sign_in, worker, anchors):
    leader, community = await sign_in("leader"), await sign_in("community")
    fire = await models.EventCategory.get(path="safety/fire")
    before = datetime.now(timezone.utc)
    event = await report(worker, anchors, "safety/fire")
    shown = (await worker.query(SHOW, id=event))["node"]
    assert before + timedelta(hours=fire.accept_hours) - SECOND <= at(shown["dueAt"])
    assert at(shown["dueAt"]) <= datetime.now(timezone.utc) + timedelta(hours=fire.accept_hours)
    assert shown["light"] == "GREEN"  # 2 hours to accept: not due soon from the start (issue 21)

    await leader.query(step("acceptEvent"), id=event)
    assert (await worker.query(SHOW, id=event))["node"] == {**shown, "status": "ACCEPTED"}  # dispatch by it too

    dispatch = step("dispatchEvent", ", region: $r", ", $r: ID!")
    dispatched = await expect_window(leader, event, fire.handle_hours, dispatch, r=await grid_id(worker, anchors))
    assert dispatched["light"] == "GREEN"
    await worker.query(step("startHandling"), id=event)
    assert (await worker.query(SHOW, id=event))["node"] == {**dispatched, "status": "HANDLING"}

    resolve = step("resolveEvent", ', feedback: "已处理"')
    await expect_window(worker, event, fire.verify_hours, resolve)
    await expect_window(worker, event, fire.handle_hours, step("verifyEvent", ", passed: false"))  # back to work
    resolved = await expect_window(worker, event, fire.verify_hours, resolve)
    await worker.query(step("verifyEvent", ", passed: true"), id=event)
    await community.query(step("closeEvent", ", satisfaction: 5"), id=event)
    closed = (await worker.query(SHOW, id=event))["node"]
    assert closed == {"status": "CLOSED", "dueAt": resolved["dueAt"], "dueSoonAt": None, "light": None}
    assert (await models.Event.get(id=row_id(event))).open_due_at == NO_DUE


async def test_a_dispatchers_deadline_and_escalation_set_the_due_time(sign_in, worker, anchors):
    community, town = await sign_in("community"), await sign_in("town")
    gas = await models.EventCategory.get(path="safety/gas")
    event = await report(worker, anchors, "safety/gas")
    await expect_window(community, event, gas.accept_hours, step("escalateEvent"))  # the town's to accept now
    await town.query(step("acceptEvent"), id=event)
    deadline = (datetime.now(timezone.utc) + timedelta(days=10)).replace(microsecond=0)
    department = await models.Department.get(code="housing")
    await town.query(step("dispatchEvent", ", department: $d, deadline: $t", ", $d: ID!, $t: DateTime!"), id=event,
                     d=base64.b64encode(f"Department:{department.id}".encode()).decode(), t=deadline.isoformat())
    shown = (await worker.query(SHOW, id=event))["node"]
    assert at(shown["dueAt"]) == deadline and shown["light"] == "GREEN"
    rejected = await report(worker, anchors, "safety/gas")
    await community.query(step("rejectEvent", ', reason: "重复"'), id=rejected)
    assert (await worker.query(SHOW, id=rejected))["node"]["light"] is None


# ---- lists: filters, order, counts ----------------------------------------------------------

EVENTS = """query($first: Int, $after: String, $filter: EventFilter, $orderBy: [EventOrder!]) {
  events(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id light dueAt dueSoonAt } } }"""


def visible_events(anchors):
    """What the county centre sees: all but the visits to key persons."""
    return models.Event.filter(region_path__startswith=anchors["county"], deleted_at=None).exclude(
        category=KEY_VISIT_CATEGORY)


async def test_light_filter_counts_like_sql(gql, worker, anchors):
    await report(worker, anchors, "service/visit")  # GREEN: 24 hours to accept
    # YELLOW (the demo's are all RED by now): an hour to accept, 50 minutes of it gone
    yellow = row_id(await report(worker, anchors, "safety/gas"))
    started = datetime.now(timezone.utc) - timedelta(minutes=50)
    await models.Event.filter(id=yellow).update(**due_columns(started + timedelta(hours=1), started))
    for light in Light:
        data = await gql.query(EVENTS, first=500, filter={"light": [light.name]})
        now = datetime.now(timezone.utc)
        expected = await visible_events(anchors).filter(light_predicate([light], now).to_q()).count()
        assert data["events"]["totalCount"] == expected > 0, light
        assert {n["light"] for n in data["events"]["nodes"]} == {light.name}
    both = await gql.query(EVENTS, first=1, filter={"light": ["RED", "YELLOW"]})
    now = datetime.now(timezone.utc)
    assert both["events"]["totalCount"] == await visible_events(anchors).filter(
        light_predicate([Light.RED, Light.YELLOW], now).to_q()).count()


async def test_due_filters_count_like_sql(gql, anchors, demo_now):
    cut = demo_now
    before = await gql.query(EVENTS, first=1, filter={"dueBefore": cut.isoformat()})
    after = await gql.query(EVENTS, first=1, filter={"dueAfter": cut.isoformat()})
    rows = visible_events(anchors)
    due = rows.filter(due_soon_at__isnull=False)
    assert before["events"]["totalCount"] == await due.filter(open_due_at__lt=cut).count() > 0
    assert after["events"]["totalCount"] == await due.filter(open_due_at__gte=cut).count() > 0
    assert before["events"]["totalCount"] + after["events"]["totalCount"] == await due.count()


async def test_keyset_pages_by_due_time_cover_every_event_once(gql, anchors):
    seen, cursor, pages = [], None, 0
    while True:
        data = (await gql.query(EVENTS, first=7, after=cursor,
                                orderBy=[{"field": "OPEN_DUE_AT", "direction": "ASC"}]))["events"]
        seen += data["nodes"]
        pages += 1
        if not data["pageInfo"]["hasNextPage"]:
            break
        cursor = data["pageInfo"]["endCursor"]
    ids = [row_id(n["id"]) for n in seen]
    expected = await visible_events(anchors).order_by("open_due_at", "id").values_list("id", flat=True)
    assert ids == list(expected) and len(set(ids)) == len(ids) and pages > 2
    # open events first, most urgent first; the events with nothing due after them all
    due = [n for n in seen if n["dueSoonAt"]]
    assert seen[:len(due)] == due and all(n["light"] is None for n in seen[len(due):])


async def test_overdue_counts_per_region_match_sql(gql, anchors):
    data = await gql.query("{ regions(first: 50) { nodes { path overdueEventCount } } }")
    now = datetime.now(timezone.utc)
    red = light_predicate([Light.RED], now)
    for region in data["regions"]["nodes"]:
        expected = await models.Event.filter(red.to_q(), region_path__startswith=region["path"],
                                             deleted_at=None).count()
        assert region["overdueEventCount"] == expected, region
    assert any(r["overdueEventCount"] for r in data["regions"]["nodes"])
    listed = await gql.query(EVENTS, first=1, filter={"light": ["RED"], "regionPath": anchors["town"]})
    town = next(r for r in data["regions"]["nodes"] if r["path"] == anchors["town"])
    assert listed["events"]["totalCount"] == town["overdueEventCount"]


async def test_overdue_counts_take_the_same_statements_for_10_or_50_regions(gql, count_sql):
    counts = {}
    for first in (10, 50):
        with count_sql() as counter:
            data = await gql.query("query($n: Int) { regions(first: $n) { nodes { name overdueEventCount } } }",
                                   n=first)
        counts[first] = counter.count
        assert len(data["regions"]["nodes"]) > 10 or first == 10
    assert counts[10] == counts[50], counts
