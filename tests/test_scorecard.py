"""Grid evaluation: `gridScorecard` adds up (a town is the sum of its grids, a grid row is the
grid's own scorecard), stays in the caller's scope, and the CLI bulletin tells the same."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

CARD = """query($r: ID!, $from: DateTime!, $to: DateTime!, $w: Boolean!) {
  gridScorecard(region: $r, from: $from, to: $to, byWorker: $w) {
    total { ...s } grids { grid { id path } worker ...s } } }
fragment s on GridScore { discovered accepted resolvedOnTime verified rated meanSatisfaction visitsDone visitsDue }"""
PERIOD = {"from": "2026-07-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}
COUNTS = ("discovered", "accepted", "resolvedOnTime", "verified", "rated", "visitsDone", "visitsDue")


# last visit, interval (days), period -> visits due in it
D = datetime(2026, 10, 5, tzinfo=timezone.utc)  # a Monday
WEEK, MONTH = (D, D + timedelta(days=7)), (D, D + timedelta(days=28))
VISITS_DUE = [
    ("due in the week", D - timedelta(days=27), 30, WEEK, 1),
    ("due the week after", D - timedelta(days=20), 30, WEEK, 0),
    ("due exactly at its end: the next week's", D - timedelta(days=23), 30, WEEK, 0),
    ("due exactly at its start", D - timedelta(days=30), 30, WEEK, 1),
    ("overdue since long: still one", D - timedelta(days=200), 30, WEEK, 1),
    ("monthly over four weeks, due on day 2", D - timedelta(days=28), 30, MONTH, 1),
    ("weekly rule over four weeks, overdue", D - timedelta(days=10), 7, MONTH, 4),
    ("quarterly, visited last month", D - timedelta(days=30), 90, MONTH, 0),
]


@pytest.mark.parametrize("last,every,period,due", [c[1:] for c in VISITS_DUE], ids=[c[0] for c in VISITS_DUE])
def test_visits_due_in_a_period(last, every, period, due):
    from resolvers.scorecard import visits_due

    assert visits_due(last, every, *period) == due


async def test_visits_due_agree_with_the_persons_due_times(worker, anchors):
    """Over the coming week, the grid worker's scorecard asks a visit of exactly those of its
    key persons whose visit (as the person shows it) falls due before the week ends."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    week = {"from": now.isoformat(), "to": (now + timedelta(days=7)).isoformat()}
    grid = await region_id(worker, anchors["grid"])
    score = (await worker.query(CARD, r=grid, w=False, **week))["gridScorecard"]["total"]
    persons = (await worker.query("""query($p: String) { persons(first: 500, filter: {regionPath: $p, tags: ["key"]})
        { nodes { visitDueAt } } }""", p=anchors["grid"]))["persons"]["nodes"]
    due = [n for n in persons if n["visitDueAt"] and datetime.fromisoformat(n["visitDueAt"]) < now + timedelta(days=7)]
    assert due and score["visitsDue"] == len(due)


async def region_id(client, path: str) -> str:
    data = await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                              p=path)
    return data["regions"]["nodes"][0]["id"]


async def card(client, region: str, by_worker: bool = False) -> dict:
    return (await client.query(CARD, r=region, w=by_worker, **PERIOD))["gridScorecard"]


async def test_a_town_is_the_sum_of_its_grids(gql, anchors):
    import models

    town = await card(gql, await region_id(gql, anchors["town"]))
    assert town["total"]["discovered"] > 0 and len(town["grids"]) > 1
    # every grid of the town has its row, those with nothing to show too
    assert sorted(g["grid"]["path"] for g in town["grids"]) == sorted(await models.Region.filter(
        region_path__startswith=anchors["town"], tier="grid", deleted_at=None).values_list("region_path", flat=True))
    for name in COUNTS:
        assert town["total"][name] == sum(g[name] for g in town["grids"]), name
    weighted = sum(g["rated"] * g["meanSatisfaction"] for g in town["grids"] if g["rated"])
    assert round(weighted / town["total"]["rated"], 2) == town["total"]["meanSatisfaction"]
    for row in town["grids"][:3]:  # each row is that grid's own scorecard
        assert (await card(gql, row["grid"]["id"]))["total"] == {k: v for k, v in row.items()
                                                               if k not in ("grid", "worker")}
    by_worker = await card(gql, await region_id(gql, anchors["town"]), by_worker=True)
    for name in COUNTS[:-1]:
        assert sum(g[name] for g in by_worker["grids"]) == town["total"][name], name


async def test_the_scorecard_stays_in_scope(sign_in, anchors, gql):
    worker = await sign_in("worker")
    mine = await card(worker, await region_id(worker, anchors["grid"]))
    county_view = await card(gql, await region_id(gql, anchors["grid"]))
    assert mine["total"]["discovered"] == county_view["total"]["discovered"]
    assert county_view["total"]["visitsDue"] == 0  # the county centre may not see key persons
    civil = await sign_in("civil")
    response = await civil.post(CARD, {"r": await region_id(gql, anchors["grid"]), "w": False, **PERIOD})
    assert response.codes == ["FORBIDDEN"]
    backwards = await gql.post(CARD, {"r": await region_id(gql, anchors["grid"]), "w": False,
                                      "from": PERIOD["to"], "to": PERIOD["from"]})
    assert backwards.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("form", ["json", "md"])
async def test_the_bulletin_cli(settings, gql, anchors, form):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "CACHE_URL": "memory://"}
    done = subprocess.run([sys.executable, "app.py", "bulletin", "--region", anchors["town"], "--week", "2026-W40",
                           "--format", form], cwd=Path(__file__).parent.parent, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    week = {"from": "2026-09-28T00:00:00Z", "to": "2026-10-05T00:00:00Z"}
    town = (await gql.query(CARD, r=await region_id(gql, anchors["town"]), w=False, **week))["gridScorecard"]
    if form == "json":
        data = json.loads(done.stdout)
        assert data["week"] == "2026-W40" and data["from"].startswith("2026-09-28")
        for name, key in (("discovered", "discovered"), ("accepted", "accepted"),
                          ("resolvedOnTime", "resolved_on_time"), ("verified", "verified")):
            assert data["total"][key] == town["total"][name]
        assert len(data["grids"]) >= len(town["grids"])
    else:
        assert done.stdout.startswith("# ") and "2026-W40" in done.stdout and "| **合计** |" in done.stdout


async def test_the_bulletin_tells_each_workers_own_work(settings, worker, anchors):
    """A visit the demo user `worker` records in week 40 is its own in the bulletin's worker
    rows, beside the visits recorded under the worker's name in the demo."""
    from datetime import date

    from tortoise.expressions import Q

    import models

    key = (await worker.query("""query($p: String) { persons(first: 1, filter: {regionPath: $p, tags: ["key"]})
        { nodes { id } } }""", p=anchors["grid"]))["persons"]["nodes"][0]["id"]
    await worker.query('mutation($p: ID!) { recordVisit(person: $p, occurredAt: "2026-09-30T09:00:00Z") { visitor } }',
                       p=key)
    env = {**os.environ, "DATABASE_URL": settings.database_url, "CACHE_URL": "memory://"}
    done = subprocess.run([sys.executable, "app.py", "bulletin", "--region", anchors["town"], "--week", "2026-W40",
                           "--format", "json"], cwd=Path(__file__).parent.parent, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    rows = [w for w in data["workers"] if w["username"] == "worker"]
    assert len(rows) == 1 and rows[0]["path"] == anchors["grid"]
    names = {rows[0]["worker"], "worker"}
    expected = await models.Event.filter(
        kind="visit", reporter_name__in=names, region_path__startswith=anchors["grid"], deleted_at=None,
        occurred_at__gte=datetime(2026, 9, 28, tzinfo=timezone.utc),
        occurred_at__lt=datetime(2026, 10, 5, tzinfo=timezone.utc)).count()
    assert rows[0]["visits_done"] == expected >= 1
    # every grid of the town with a worker that week has a row; no one's counts exceed the town's
    staffed = set(await models.StaffAssignment.filter(
        Q(ended_on=None) | Q(ended_on__gte=date(2026, 9, 28)), region_path__startswith=anchors["town"],
        role="worker", started_on__lte=date(2026, 10, 4), deleted_at=None).values_list("region_path", flat=True))
    assert {w["path"] for w in data["workers"]} == staffed
    for name in ("discovered", "accepted", "resolved_on_time", "verified", "visits_done"):
        assert sum(w[name] for w in data["workers"]) <= data["total"][name], name
