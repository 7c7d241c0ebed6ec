"""The demo county carries grid operations as data, read over HTTP as its users would: a
grid split in its history (events on both sides of the split), staffing with one gap, key
persons with responsible staff and overdue visits, seen by the police and not by civil affairs."""

from datetime import datetime

import pytest

from gridhub import models
from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.demo.tables import SPLIT_AGO
from gridhub.resolvers.domain.visit_due import CARE_VISIT_CATEGORY, KEY_VISIT_CATEGORY

HISTORY = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event {
    occurredAt region { path deletedAt } reportedRegion { path name deletedAt } } } }"""
KEY_PERSONS = """query($overdue: Boolean) { persons(first: 100, filter: {tags: ["key"], visitOverdue: $overdue}) {
    totalCount nodes { visitOverdue visitDueAt lastVisitedAt responsibleStaff { role name }
    visits { totalCount nodes { occurredAt visitor } } } } }"""


def gid(kind: str, row_id: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(kind, row_id)


@pytest.fixture(scope="module")
def split_at(demo_now):
    return demo_now - SPLIT_AGO


@pytest.fixture(scope="module")
async def split(split_at):
    """(the grid retired `split_at`, its live halves); other tests re-grid other towns."""
    retired = await models.Region.filter(deleted_at=split_at)
    assert len(retired) == 1, "the demo's history has one re-gridding"
    old = retired[0]
    halves = await models.Region.filter(parent_id=old.parent_id, deleted_at=None,
                                        name__startswith=old.name).order_by("code")
    return old, halves


async def test_a_grid_split_in_the_past(gql, sign_in, split, split_at):
    old, halves = split
    assert [h.name for h in halves] == [old.name + "西片", old.name + "东片"]
    assert not await models.Person.filter(region_id=old.id).exists()
    # every event of the halves: those reported before the split name the old grid, the later
    # ones the half they were reported in; both sides of the split have some
    # (visits to key persons apart: the county centre may not read them)
    events = await models.Event.filter(region_id__in=[h.id for h in halves], deleted_at=None).exclude(
        category=KEY_VISIT_CATEGORY).values_list("id", flat=True)
    nodes = (await gql.query(HISTORY, ids=[gid("Event", i) for i in events]))["nodes"]
    before = [n for n in nodes if n["reportedRegion"]["path"] == old.region_path]
    after = [n for n in nodes if n["reportedRegion"]["path"] != old.region_path]
    assert before and after
    for n in before:
        assert datetime.fromisoformat(n["occurredAt"]) < split_at and n["reportedRegion"]["deletedAt"]
    for n in after:
        assert datetime.fromisoformat(n["occurredAt"]) >= split_at
        assert n["reportedRegion"]["path"] == n["region"]["path"] and n["reportedRegion"]["deletedAt"] is None
    # the split is in the audit trail, as of its day (other tests' splits and their rows' entries
    # may come after it: looked up by the retired grid's path)
    entry = await models.AuditEntry.filter(action="split_region", actor="admin", object_id=old.region_path).first()
    assert entry is not None and entry.at == split_at


async def test_each_half_is_staffed_and_the_town_has_one_gap(sign_in, split, split_at):
    old, halves = split
    town = await models.Region.get(id=(await models.Region.get(id=old.parent_id)).parent_id)
    county = await sign_in("county")
    staff = (await county.query("""query($ids: [ID!]!) { nodes(ids: $ids) { ... on Region {
        staff { role } history: staff(current: false) { role startedOn } } } }""",
                                ids=[gid("Region", h.id) for h in halves]))["nodes"]
    assert all("WORKER" in {s["role"] for s in n["staff"]} for n in staff)
    east_since = {s["startedOn"] for s in staff[1]["history"] if s["role"] == "WORKER"}
    assert east_since == {split_at.astimezone(CIVIL_TIME_ZONE).date().isoformat()}  # the east half's worker came with it
    gaps = (await county.query("query($t: ID!) { staffingGaps(town: $t) { code } }", t=gid("Region", town.id)))
    assert {h.code for h in halves}.isdisjoint({g["code"] for g in gaps["staffingGaps"]})


async def test_key_persons_have_responsible_staff_and_overdue_visits(sign_in):
    police = await sign_in("police")
    every = (await police.query(KEY_PERSONS, overdue=None))["persons"]
    assert every["totalCount"] == len(every["nodes"]) > 0
    for n in every["nodes"]:
        roles = {r["role"] for r in n["responsibleStaff"]}
        # the demo's 1+3+N, and a volunteer test_scorecard may have added
        assert {"POLICE", "CADRE"} <= roles and roles <= {"POLICE", "CADRE", "GRID_WORKER", "FAMILY", "VOLUNTEER"}
        assert n["visits"]["nodes"], n  # the demo visits each key person at least once
        assert n["visits"]["totalCount"] >= len(n["visits"]["nodes"])
        assert n["lastVisitedAt"] == n["visits"]["nodes"][0]["occurredAt"] and n["visitDueAt"]
    overdue = (await police.query(KEY_PERSONS, overdue=True))["persons"]
    assert overdue["totalCount"] > 0 and all(n["visitOverdue"] for n in overdue["nodes"])
    # civil affairs reads some of the same persons (those also in its care), never their key work
    civil = await sign_in("civil")
    cared = (await civil.query("""{ persons(first: 500) { nodes { tags responsibleStaff { name }
        visits { totalCount nodes { title } } visitDueAt } } }"""))["persons"]["nodes"]
    assert cared and not any(n["responsibleStaff"] or n["visits"]["nodes"] or n["visits"]["totalCount"]
                             or n["visitDueAt"] for n in cared)
    assert (await civil.post(KEY_PERSONS, {"overdue": True})).codes == ["FORBIDDEN"]


async def test_the_worker_is_responsible_for_its_grids_key_persons(worker, anchors):
    """The demo user `worker` is linked to the key-person work of its grid, as to its staff row."""
    rows = await models.KeyPersonResponsibility.filter(region_path__startswith=anchors["grid"], role="grid_worker")
    user = await models.User.get(username="worker")
    assert rows and {r.user_id for r in rows} == {user.id}


async def test_every_visit_to_a_key_person_is_a_key_visit(app):
    """The centres read `service/visit` events: one naming a key person would tell them who
    is one. The demo files such visits as the hub does (resolvers.domain.visits.record_visit). Care
    visits (关爱走访) name persons in need, key persons among them: a care visit says nothing
    of key tags, as civil affairs records one without seeing them."""
    key_persons = set(await models.PersonTag.filter(tag__startswith="key/").values_list("person_id", flat=True))
    visits = await models.Event.filter(kind="visit").values_list("id", "category")
    named = {}
    for event_id, person_id in await models.EventPerson.filter(event_id__in=[i for i, _ in visits]).values_list(
            "event_id", "person_id"):
        named.setdefault(event_id, set()).add(person_id)
    categories = {bool(named.get(i, set()) & key_persons): set() for i, _ in visits}
    for event_id, category in visits:
        categories[bool(named.get(event_id, set()) & key_persons)].add(category)
    assert KEY_VISIT_CATEGORY in categories[True] <= {KEY_VISIT_CATEGORY, CARE_VISIT_CATEGORY}
    assert CARE_VISIT_CATEGORY in categories[False] <= {"service/visit", CARE_VISIT_CATEGORY}
    cared = set(await models.PersonTag.filter(tag__startswith="care/").values_list("person_id", flat=True))
    assert all(named.get(i, set()) <= cared for i, category in visits if category == CARE_VISIT_CATEGORY)


# ---- a demo that tells today's story, in Nanling ----------------------------------------

NANLING_TOWNS = {"340223100": "籍山镇", "340223101": "弋江镇", "340223102": "许镇镇", "340223103": "三里镇",
                 "340223104": "何湾镇", "340223105": "工山镇", "340223106": "烟墩镇", "340223107": "家发镇"}


async def test_the_county_is_nanling_with_its_own_codes_and_towns(gql):
    county = (await gql.query("{ regions(first: 1, filter: {tier: [COUNTY]}) { nodes { code name path } } }"))
    assert county["regions"]["nodes"] == [{"code": "340223", "name": "南陵县", "path": "/340223/"}]
    towns = (await gql.query("{ regions(first: 20, filter: {tier: [TOWN]}) { nodes { code name } } }"))
    assert towns["regions"]["nodes"] and all(NANLING_TOWNS[t["code"]] == t["name"] for t in towns["regions"]["nodes"])


async def test_floating_residents_carry_their_place_of_origin(app, gql):
    """Their identity numbers were issued where they were born, not here: the area code is their
    origin's (another county, often another province), the check digit GB 11643's."""
    from gridhub.resolvers.demo.tables import _ORIGINS
    from gridhub.resolvers.write.validation import id_number_check_digit

    origin_codes = dict(_ORIGINS)
    floating = (await gql.query("""{ persons(first: 500, filter: {populationType: [FLOATING]}) {
        totalCount nodes { idNumber registeredAddress createdAt } } }"""))["persons"]
    assert floating["totalCount"] == len(floating["nodes"]) > 0
    built = app.state.demo_built_at
    floating["nodes"] = [n for n in floating["nodes"] if datetime.fromisoformat(n["createdAt"]) <= built]
    assert floating["nodes"], "the demo's own floating residents"
    for person in floating["nodes"]:  # masked for the county centre, the area code shown
        origin = next(place for place in origin_codes if person["registeredAddress"].startswith(place))
        assert person["idNumber"][:6] == origin_codes[origin] != "340223", person
    assert any(not n["idNumber"].startswith("34") for n in floating["nodes"]), "some come from other provinces"
    for id_number in await models.Person.filter(population_type="floating", created_at__lte=built).values_list(
            "id_number", flat=True):
        assert id_number[17] == id_number_check_digit(id_number[:17])


async def test_key_persons_are_due_and_overdue_at_the_demos_clock(sign_in, demo_now):
    from datetime import timedelta

    police = await sign_in("police")
    query = """query($o: Boolean) { persons(first: 500, filter: {tags: ["key"], visitOverdue: $o}) {
        totalCount nodes { visitDueAt } } }"""
    overdue = (await police.query(query, o=True))["persons"]
    on_time = (await police.query(query, o=False))["persons"]
    assert overdue["totalCount"] > 0 and on_time["totalCount"] > 0
    assert any(datetime.fromisoformat(n["visitDueAt"]) < demo_now + timedelta(days=7) for n in on_time["nodes"]), \
        "some are due in the coming week"


async def test_this_weeks_bulletin_tells_of_this_week(settings, anchors, demo_now):
    """Built today, the demo has events reported and visits made in the current week."""
    import json

    from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE

    from .test_scorecard import run_bulletin

    year, week, _ = demo_now.astimezone(CIVIL_TIME_ZONE).isocalendar()
    done = run_bulletin(settings, "--region", anchors["county"], "--week", f"{year}-W{week:02d}", "--format", "json")
    assert done.returncode == 0, done.stderr
    total = json.loads(done.stdout)["total"]
    assert total["discovered"] > 0 and total["visits_done"] > 0, total


async def test_grids_hold_300_to_600_households_at_the_default_scale(app):
    """Nanling's grids hold 300-600 households; the one split in the county's history twice
    that (two grids of that size after the split). Drawn, not written: the tree and the
    households are all in memory before anything is stored (the models need Tortoise
    initialised, the session app's)."""
    from gridhub.resolvers.demo import demo_clock
    from gridhub.resolvers.demo.county import _DemoCounty
    from gridhub.resolvers.demo.tables import PROFILES

    async def nowhere(model, rows):
        raise AssertionError("nothing is written")

    county = _DemoCounty(PROFILES["nanling"], 1.0, 2026, nowhere, demo_clock())
    county._regions()
    county._households()
    split = county.split_grid()
    sizes = {g.id: 0 for g in county.grids}
    for household, _ in county.households:
        sizes[county.grid_of[household.region_id].id] += 1
    assert len(sizes) >= 30 and {t.name for t in county.towns} == set(NANLING_TOWNS.values())
    assert all(300 <= n <= 600 for grid, n in sizes.items() if grid != split.id), sorted(sizes.values())
    assert 600 <= sizes[split.id] <= 1200
