"""Grid evaluation: `gridScorecard` adds up (a town is the sum of its grids, a grid row is the
grid's own scorecard), stays in the caller's scope, and the CLI bulletin tells the same."""

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from strawberry.relay import from_base64, to_base64

CARD = """query($r: ID!, $from: DateTime!, $to: DateTime!, $w: Boolean!) {
  gridScorecard(region: $r, from: $from, to: $to, byWorker: $w) {
    total { ...s } grids { grid { id path } worker ...s } } }
fragment s on GridScore { discovered accepted resolvedOnTime verified rated meanSatisfaction visitsDone visitsDue }"""
COUNTS = ("discovered", "accepted", "resolvedOnTime", "verified", "rated", "visitsDone", "visitsDue")
# ISO week 2026-W40 in the hub's civil time (China Standard Time), as the bulletin takes it
W40 = {"from": "2026-09-28T00:00:00+08:00", "to": "2026-10-05T00:00:00+08:00"}


@pytest.fixture(scope="module")
def period(demo_now) -> dict:
    """The demo's history: four months up to its clock."""
    return {"from": (demo_now - timedelta(days=120)).isoformat(), "to": (demo_now + timedelta(days=1)).isoformat()}


@pytest.fixture(scope="module")
def past_week(demo_now) -> SimpleNamespace:
    """An ISO week of the demo's history, three weeks before its clock, as the bulletin takes it."""
    from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
    from gridhub.resolvers.domain.scorecard import iso_week

    year, week, _ = (demo_now.astimezone(CIVIL_TIME_ZONE) - timedelta(weeks=3)).isocalendar()
    name = f"{year}-W{week:02d}"
    since, until = iso_week(name)
    return SimpleNamespace(name=name, period={"from": since.isoformat(), "to": until.isoformat()},
                           first=since.date(), last=(until - timedelta(days=1)).date(), middle=since + timedelta(days=2))


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
    from gridhub.resolvers.domain.scorecard import visits_due

    assert visits_due(last, every, *period) == due


def test_a_week_runs_monday_to_monday_in_china_standard_time():
    """Monday 00:00 in the counties is Sunday 16:00 UTC: a week taken at UTC midnight would
    start at 08:00 there, and count Monday morning's events in the week before."""
    from gridhub.resolvers.domain.scorecard import iso_week

    since, until = iso_week("2026-w40")
    assert (since, until) == (datetime(2026, 9, 27, 16, tzinfo=timezone.utc),
                              datetime(2026, 10, 4, 16, tzinfo=timezone.utc))
    assert (since.isoformat(), until.isoformat()) == (W40["from"], W40["to"])


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


async def test_each_one_responsible_is_due_its_key_persons_visits(worker, anchors):
    """Per worker, the coming week asks of `worker` the visits of the key persons it is
    responsible for (1+3+N) that fall due; one responsible by name alone has a row of its
    own, events or none."""
    from gridhub import models

    now = datetime.now(timezone.utc).replace(microsecond=0)
    week = {"from": now.isoformat(), "to": (now + timedelta(days=7)).isoformat()}
    grid = await region_id(worker, anchors["grid"])
    persons = (await worker.query("""query($p: String) { persons(first: 500, filter: {regionPath: $p, tags: ["key"]})
        { nodes { id visitDueAt } } }""", p=anchors["grid"]))["persons"]["nodes"]
    due = {int(from_base64(n["id"])[1]) for n in persons
           if n["visitDueAt"] and datetime.fromisoformat(n["visitDueAt"]) < now + timedelta(days=7)}
    mine = set(await models.KeyPersonResponsibility.filter(
        key_person_id__in=due, user__username="worker", deleted_at=None).values_list("key_person_id", flat=True))
    assert mine, "the demo's worker is responsible for key persons due a visit"
    volunteer = "志愿者 周敏"
    made = await worker.query("""mutation($p: ID!, $n: String!, $on: Date!) { assignResponsibility(person: $p,
        role: VOLUNTEER, name: $n, startedOn: $on) { id } }""",
                              p=to_base64("Person", min(due)), n=volunteer, on=now.date().isoformat())
    try:
        rows = (await worker.query(CARD, r=grid, w=True, **week))["gridScorecard"]["grids"]
    finally:  # the demo's key persons keep the responsible staff other tests count on
        await models.KeyPersonResponsibility.filter(id=int(from_base64(made["assignResponsibility"]["id"])[1])).delete()
    owed = {row["worker"]: row["visitsDue"] for row in rows}
    assert owed["worker"] == len(mine) and owed[volunteer] == 1
    assert [r for r in rows if r["worker"] == volunteer][0]["discovered"] == 0


async def region_id(client, path: str) -> str:
    data = await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                              p=path)
    return data["regions"]["nodes"][0]["id"]


async def card(client, region: str, period: dict, by_worker: bool = False) -> dict:
    return (await client.query(CARD, r=region, w=by_worker, **period))["gridScorecard"]


async def test_a_town_is_the_sum_of_its_grids(gql, anchors, period):
    from gridhub import models

    town = await card(gql, await region_id(gql, anchors["town"]), period)
    assert town["total"]["discovered"] > 0 and len(town["grids"]) > 1
    # every grid of the town has its row, those with nothing to show too
    assert sorted(g["grid"]["path"] for g in town["grids"]) == sorted(await models.Region.filter(
        region_path__startswith=anchors["town"], tier="grid", deleted_at=None).values_list("region_path", flat=True))
    for name in COUNTS[:-1]:
        assert town["total"][name] == sum(g[name] for g in town["grids"]), name
    # the county centre may not see key persons: visits due are unknown in every row and the total
    assert town["total"]["visitsDue"] is None and {g["visitsDue"] for g in town["grids"]} == {None}
    weighted = sum(g["rated"] * g["meanSatisfaction"] for g in town["grids"] if g["rated"])
    assert round(weighted / town["total"]["rated"], 2) == town["total"]["meanSatisfaction"]
    for row in town["grids"][:3]:  # each row is that grid's own scorecard
        assert (await card(gql, row["grid"]["id"], period))["total"] == {k: v for k, v in row.items()
                                                               if k not in ("grid", "worker")}
    by_worker = await card(gql, await region_id(gql, anchors["town"]), period, by_worker=True)
    for name in COUNTS[:-1]:
        assert sum(g[name] for g in by_worker["grids"]) == town["total"][name], name


async def test_visits_due_add_up_where_key_persons_are_seen(anchors):
    """Seeing every key person (as the bulletin does), a town's visits due over the coming
    month are its grids'."""
    from gridhub.policies.scope import Scope
    from gridhub.resolvers.domain.scorecard import grid_scorecard

    now = datetime.now(timezone.utc)
    town = await grid_scorecard(Scope.everything(), anchors["town"], now, now + timedelta(days=28))
    assert town.total.visits_due and town.total.visits_due == sum(r.visits_due for r in town.rows)


async def test_rows_come_by_region_path_then_worker(gql, anchors, count_sql, period):
    """As the bulletin lists them, not by id: a grid made later (a split's parts, here a new
    grid 000) stands beside its siblings. One read for the paths of all rows, however many."""
    from gridhub import models
    from gridhub.policies.scope import Scope
    from gridhub.resolvers.domain.scorecard import grid_scorecard

    community = await models.Region.get(region_path=anchors["community"], deleted_at=None)
    made = await models.Region.create(
        code=community.code + "000", name="新设网格", tier="grid", parent_id=community.id, depth=community.depth + 1,
        region_path=models.Region.child_path(community.region_path, community.code, community.code + "000"))
    try:
        town = await region_id(gql, anchors["town"])
        paths = [g["grid"]["path"] for g in (await card(gql, town, period))["grids"]]
        assert made.region_path in paths[:-1] and paths == sorted(paths)
    finally:
        await models.Region.filter(id=made.id).delete()
    rows = [(g["grid"]["path"], g["worker"] or "") for g in (await card(gql, town, period, by_worker=True))["grids"]]
    assert len({w for _, w in rows}) > 1 and rows == sorted(rows)
    since, until = datetime.fromisoformat(period["from"]), datetime.fromisoformat(period["to"])
    statements = []
    for path in (anchors["grid"], anchors["town"]):
        with count_sql() as counter:
            await grid_scorecard(Scope.everything(), path, since, until)
        statements.append(counter.count)
    assert statements[0] == statements[1]


async def test_a_key_person_is_due_from_when_it_was_tagged(anchors):
    """A person registered years ago and never visited is due its first visit an interval
    after it got the first of its tags a visit rule matches, not overdue the day it is
    tagged; tags no rule matches (care/…) do not count."""
    from gridhub import models
    from gridhub.policies.scope import Scope
    from gridhub.resolvers.domain.scorecard import grid_scorecard

    grid = await models.Region.get(region_path=anchors["grid"], deleted_at=None)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    week = (now, now + timedelta(days=7))
    before = (await grid_scorecard(Scope.everything(), grid.region_path, *week)).total.visits_due
    person = await models.Person.create(id_number="990000195001010019", name="新列管", gender="male",
                                        birth_date=date(1950, 1, 1), region_id=grid.id, region_path=grid.region_path)
    await models.Person.filter(id=person.id).update(created_at=datetime(2015, 3, 1, tzinfo=timezone.utc))

    async def tag(name: str, days_ago: int) -> None:
        row = await models.PersonTag.create(person_id=person.id, tag=name, region_id=grid.id,
                                            region_path=grid.region_path)
        await models.PersonTag.filter(id=row.id).update(created_at=now - timedelta(days=days_ago))

    try:
        await tag("care/low_income", 3000)  # no rule: not when it became a key person
        await tag("key/drug", 3)  # monthly: due in 27 days
        assert (await grid_scorecard(Scope.everything(), grid.region_path, *week)).total.visits_due == before
        await tag("key/petitioner", 25)  # monthly too, and earlier: due in 5 days, within the week
        assert (await grid_scorecard(Scope.everything(), grid.region_path, *week)).total.visits_due == before + 1
    finally:
        await models.PersonTag.filter(person_id=person.id).delete()
        await models.Person.filter(id=person.id).delete()


async def test_the_scorecard_stays_in_scope(sign_in, anchors, gql, period):
    worker = await sign_in("worker")
    mine = await card(worker, await region_id(worker, anchors["grid"]), period)
    county_view = await card(gql, await region_id(gql, anchors["grid"]), period)
    assert mine["total"]["discovered"] == county_view["total"]["discovered"]
    # the county centre may not see key persons: its visits due are unknown, not none
    assert county_view["total"]["visitsDue"] is None and {g["visitsDue"] for g in county_view["grids"]} == {None}
    assert isinstance(mine["total"]["visitsDue"], int) and mine["grids"][0]["visitsDue"] is not None
    civil = await sign_in("civil")
    response = await civil.post(CARD, {"r": await region_id(gql, anchors["grid"]), "w": False, **period})
    assert response.codes == ["FORBIDDEN"]
    backwards = await gql.post(CARD, {"r": await region_id(gql, anchors["grid"]), "w": False,
                                      "from": period["to"], "to": period["from"]})
    assert backwards.codes == ["BAD_USER_INPUT"]


def run_bulletin(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "CACHE_URL": "memory://"}
    return subprocess.run([sys.executable, "-m", "gridhub.cli", "bulletin", *args], cwd=Path(__file__).parent.parent, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("form", ["json", "md"])
async def test_the_bulletin_cli(settings, gql, anchors, form, past_week):
    done = run_bulletin(settings, "--region", anchors["town"], "--week", past_week.name, "--format", form)
    assert done.returncode == 0, done.stderr
    town = (await gql.query(CARD, r=await region_id(gql, anchors["town"]), w=False,
                            **past_week.period))["gridScorecard"]
    if form == "json":
        data = json.loads(done.stdout)
        assert data["week"] == past_week.name and [data["from"], data["to"]] == list(past_week.period.values())
        for name, key in (("discovered", "discovered"), ("accepted", "accepted"),
                          ("resolvedOnTime", "resolved_on_time"), ("verified", "verified")):
            assert data["total"][key] == town["total"][name]
        assert len(data["grids"]) >= len(town["grids"])
    else:
        assert done.stdout.startswith("# ") and past_week.name in done.stdout and "| **合计** |" in done.stdout
        # the week's first and last day (its end, the next Monday, is excluded)
        assert f"\n{past_week.first} – {past_week.last}（{anchors['town']}）\n" in done.stdout


@pytest.mark.parametrize("region,week,reason", [
    ("/999999/", "2026-W40", "no region with this path"),
    (None, "2026-40", "a week is written 2026-W47"),
    (None, "2026-W54", "a week is written 2026-W47"),
], ids=["unknown region", "malformed week", "no such week"])
async def test_the_bulletin_cli_refuses_wrong_arguments(settings, anchors, region, week, reason):
    """The operator's mistake, said as one line on stderr with argparse's exit status 2."""
    done = run_bulletin(settings, "--region", region or anchors["town"], "--week", week)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].endswith(reason) and "Traceback" not in done.stderr, done.stderr


def test_the_bulletin_leaves_unknown_visits_due_empty():
    """Visits due unknown (null) is an empty cell, like a mean satisfaction of none rated."""
    from gridhub.resolvers.domain.scorecard import bulletin_markdown

    counts = {"discovered": 2, "accepted": 1, "resolved_on_time": 0, "verified": 1, "rated": 0,
              "mean_satisfaction": None, "visits_done": 3, "visits_due": None, "care_visits_done": 1,
              "care_visits_due": 2}
    text = bulletin_markdown({"region": "黄墓社区", "path": "/1/2/", "week": "2026-W40", **W40, "total": counts,
                              "grids": [{"grid": "第一网格", "path": "/1/2/3/", **counts, "score": 62.5, "rank": 1}],
                              "workers": []})
    # the grid's score and rank close its row; the total is neither scored nor ranked
    assert "| 第一网格 | 2 | 1 | 0 | 1 |  | 3 |  | 1 | 2 | 62.5 | 1 |\n" in text  # care visits: done, due
    assert "| **合计** | 2 | 1 | 0 | 1 |  | 3 |  | 1 | 2 |  |  |\n" in text


async def test_the_bulletin_tells_each_workers_own_work(settings, worker, anchors, past_week):
    """A visit the demo user `worker` records in a past week is its own in the bulletin's worker
    rows, beside the visits recorded under the worker's name in the demo."""
    from tortoise.expressions import Q

    from gridhub import models

    key = (await worker.query("""query($p: String) { persons(first: 1, filter: {regionPath: $p, tags: ["key"]})
        { nodes { id } } }""", p=anchors["grid"]))["persons"]["nodes"][0]["id"]
    await worker.query('mutation($p: ID!, $at: DateTime!) { recordVisit(person: $p, occurredAt: $at) { visitor } }',
                       p=key, at=past_week.middle.isoformat())
    done = run_bulletin(settings, "--region", anchors["town"], "--week", past_week.name, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    rows = [w for w in data["workers"] if w["username"] == "worker"]
    assert len(rows) == 1 and rows[0]["path"] == anchors["grid"]
    names = {rows[0]["worker"], "worker"}
    # the week's bounds in UTC, as stored: SQLite compares times as text, and a civil-time
    # bound (+08:00) left out a visit in the week's first eight hours; the demo places its
    # visits by the clock, so whether one falls there depended on when the suite ran
    since, until = (datetime.fromisoformat(past_week.period[k]).astimezone(timezone.utc) for k in ("from", "to"))
    expected = await models.Event.filter(
        kind="visit", reporter_name__in=names, region_path__startswith=anchors["grid"], deleted_at=None,
        occurred_at__gte=since, occurred_at__lt=until).count()
    assert rows[0]["visits_done"] == expected >= 1
    # every grid of the town with a worker that week has a row; no one's counts exceed the town's
    staffed = set(await models.StaffAssignment.filter(
        Q(ended_on=None) | Q(ended_on__gte=past_week.first), region_path__startswith=anchors["town"],
        role="worker", started_on__lte=past_week.last, deleted_at=None).values_list("region_path", flat=True))
    assert {w["path"] for w in data["workers"]} == staffed
    for name in ("discovered", "accepted", "resolved_on_time", "verified", "visits_done"):
        assert sum(w[name] for w in data["workers"]) <= data["total"][name], name


# ---- the score and the ranks (issue 21 point 6) -------------------------------------------

SCORED = """query($r: ID!, $from: DateTime!, $to: DateTime!) { gridScorecard(region: $r, from: $from, to: $to) {
  weights { indicator weight }
  total { score rank }
  grids { grid { id path parent { id } } discovered accepted resolvedOnTime verified meanSatisfaction visitsDone
          visitsDue score rank } } }"""


def expected_score(row: dict, most: int, weights: dict) -> float | None:
    """The documented formula, written again from the field's description."""
    values = {
        "discovery": row["discovered"] / most if most else None,
        "on_time": row["resolvedOnTime"] / row["accepted"] if row["accepted"] else None,
        "verification": row["verified"] / row["accepted"] if row["accepted"] else None,
        "satisfaction": (row["meanSatisfaction"] - 1) / 4 if row["meanSatisfaction"] is not None else None,
        "visits": min(1, row["visitsDone"] / row["visitsDue"]) if row["visitsDue"] else None,
    }
    present = [(weights[k], v) for k, v in values.items() if v is not None and weights[k]]
    total = sum(w for w, _ in present)
    return round(100 * sum(w * v for w, v in present) / total, 1) if total else None


async def test_grids_are_scored_by_the_weights_and_ranked_within_their_parent(gql, anchors, period):
    card = (await gql.query(SCORED, r=await region_id(gql, anchors["county"]), **period))["gridScorecard"]
    weights = {w["indicator"]: w["weight"] for w in card["weights"]}
    assert weights == {"discovery": 20, "on_time": 30, "verification": 15, "satisfaction": 20, "visits": 15}
    assert card["total"] == {"score": None, "rank": None}
    by_parent: dict[str, list[dict]] = {}
    for row in card["grids"]:
        by_parent.setdefault(row["grid"]["parent"]["id"], []).append(row)
    assert any(len(rows) > 1 for rows in by_parent.values())
    for rows in by_parent.values():
        most = max(r["discovered"] for r in rows)
        for r in rows:
            assert r["score"] == expected_score(r, most, weights), r
        scores = sorted((r["score"] for r in rows if r["score"] is not None), reverse=True)
        assert [r["rank"] for r in rows] == [scores.index(r["score"]) + 1 if r["score"] is not None else None
                                             for r in rows]
    assert any(r["rank"] == 1 for r in card["grids"]) and any((r["rank"] or 0) > 1 for r in card["grids"])


async def test_the_county_sets_the_weights(app_with, gql, anchors, period):
    """With only on-time handling weighed, a grid's score is its on-time share."""
    from tests.client import GraphQLClient

    http = await app_with(score_weights="on_time=1")
    client = GraphQLClient(http, gql.token)
    card = (await client.query(SCORED, r=await region_id(gql, anchors["county"]), **period))["gridScorecard"]
    assert {w["indicator"]: w["weight"] for w in card["weights"]}["discovery"] == 0
    for r in card["grids"]:
        assert r["score"] == (round(100 * r["resolvedOnTime"] / r["accepted"], 1) if r["accepted"] else None)


@pytest.mark.parametrize("text", ["speed=1", "on_time=-1", "on_time=x", "on_time=0", "on_time=1,on_time=2"])
def test_wrong_weights_stop_the_start(text):
    from pydantic import ValidationError

    from gridhub.settings import Settings

    with pytest.raises(ValidationError):
        Settings(score_weights=text)


# ---- weeklyBulletin: the CLI's bulletin over GraphQL --------------------------------------

BULLETIN = "query($r: ID!, $w: String!) { weeklyBulletin(region: $r, week: $w) { week from to markdown json } }"


async def test_the_bulletin_query_tells_what_the_cli_prints(settings, worker, gql, anchors, past_week):
    """The grid worker reads its own grid's bulletin: the CLI's, byte for byte (the worker
    sees all of its grid, the key persons too)."""
    grid = await region_id(gql, anchors["grid"])
    data = (await worker.query(BULLETIN, r=grid, w=past_week.name))["weeklyBulletin"]
    for form, field in (("md", "markdown"), ("json", "json")):
        done = run_bulletin(settings, "--region", anchors["grid"], "--week", past_week.name, "--format", form)
        assert done.returncode == 0, done.stderr
        assert data[field] == done.stdout
    assert data["week"] == past_week.name and [data["from"], data["to"]] == list(past_week.period.values())


# who, where -> the answer (the same cases as the policy's `scorecard` rows, over HTTP)
BULLETIN_ACCESS = [
    ("worker", "grid", "ok"), ("leader", "grid", "ok"), ("worker", "sibling_grid", "NOT_FOUND"),
    ("worker", "community", "FORBIDDEN"),
    ("community", "grid", "ok"), ("community", "community", "ok"), ("town", "town", "ok"), ("town", "grid", "ok"),
    ("town", "town2", "NOT_FOUND"), ("county", "county", "ok"), ("county", "grid", "ok"),
    ("police", "grid", "FORBIDDEN"), ("civil", "county", "FORBIDDEN"), ("auditor", "county", "FORBIDDEN"),
]


@pytest.mark.parametrize("who,where,answer", BULLETIN_ACCESS, ids=[f"{w}@{p}" for w, p, _ in BULLETIN_ACCESS])
async def test_who_reads_which_bulletin(sign_in, gql, anchors, past_week, who, where, answer):
    from gridhub import models

    region = await models.Region.get(region_path=anchors[where], deleted_at=None)
    client = await sign_in(who)
    response = await client.post(BULLETIN, {"r": to_base64("Region", region.id), "w": past_week.name})
    if answer == "ok":
        assert not response.errors, response.errors
        assert response.data["weeklyBulletin"]["markdown"].startswith("# ")
    else:
        assert response.codes == [answer] and response.data is None


async def test_the_prefix_trap_is_no_grid_of_the_worker(app, anchors, past_week):
    """/…/001/ is the worker's, /…/0010/ is not: the bulletin's scope check is the policy's
    (no such grid in the shared demo, so the builder is asked directly, as the query asks it)."""
    from gridhub.policies.compiler import compile_scope
    from gridhub.resolvers.errors import Forbidden
    from gridhub.resolvers.domain.scorecard import grid_scorecard, iso_week

    scope = compile_scope(app.state.store, "worker", {"department_id": None})
    since, until = iso_week(past_week.name)
    await grid_scorecard(scope, anchors["grid"], since, until)
    with pytest.raises(Forbidden):
        await grid_scorecard(scope, anchors["grid"][:-1] + "0/", since, until)
