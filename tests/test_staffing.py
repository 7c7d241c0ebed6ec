"""Grid staffing (1+1+N) as data: who reads and assigns staff where (a table), staffing gaps,
ending a worker makes a gap, and `regions { staff }` is one batched statement."""

from datetime import timedelta

import pytest

from gridhub.resolvers.runtime.civil_time import today

REGION = "query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }"
STAFF = """query($id: ID!) { node(id: $id) { ... on Region { staff { id role name startedOn endedOn username } } } }"""
ASSIGN = """mutation($r: ID!, $role: StaffRole!, $on: Date!, $n: String, $u: String) {
    assignStaff(region: $r, role: $role, startedOn: $on, name: $n, username: $u) { id role name username } }"""


async def _region_id(gql, path: str) -> str:
    return (await gql.query(REGION, p=path))["regions"]["nodes"][0]["id"]


@pytest.fixture(scope="module")
async def ids(gql, anchors):
    return {k: await _region_id(gql, anchors[k]) for k in ("grid", "sibling_grid", "town", "town2")}


# who, the region, reads its staff, may assign staff there
ACCESS = [
    ("worker", "grid", True, False),
    ("worker", "sibling_grid", False, False),
    ("leader", "grid", True, False),
    ("community", "grid", True, True),
    ("community", "sibling_grid", True, True),
    ("town", "grid", True, True),
    ("town", "town2", False, False),
    ("county", "grid", True, True),
    ("civil", "grid", False, False),
    ("police", "grid", False, False),
]


@pytest.mark.parametrize("who,where,reads,assigns", ACCESS, ids=[f"{a[0]}-{a[1]}" for a in ACCESS])
async def test_who_reads_and_assigns_staff(sign_in, ids, who, where, reads, assigns):
    client = await sign_in(who)
    response = await client.post(STAFF, {"id": ids[where]})
    node = (response.data or {}).get("node")
    staff = (node or {}).get("staff") or []
    if where != "town2":
        assert bool(staff) == reads, (response.errors, node)
    else:
        assert not staff
    if reads:
        assert "WORKER" in {s["role"] for s in staff}
    made = await client.post(ASSIGN, {"r": ids[where], "role": "VOLUNTEER", "on": "2026-01-01", "n": f"志愿者{who}"})
    if assigns:
        assert made.ok()["assignStaff"]["role"] == "VOLUNTEER"
    else:
        assert made.codes and made.codes[0] in ("FORBIDDEN", "NOT_FOUND"), made.json


async def test_demo_staff(gql, anchors, ids):
    staff = (await gql.query(STAFF, id=ids["grid"]))["node"]["staff"]
    workers = [s for s in staff if s["role"] == "WORKER"]
    assert len(workers) == 1 and workers[0]["username"] == "worker"
    for sibling in (await gql.query(STAFF, id=ids["sibling_grid"]))["node"]["staff"]:
        assert sibling["startedOn"] <= today().isoformat()


async def test_staffing_gaps_find_the_gap_grid(sign_in, gql, ids, anchors):
    from gridhub import models
    from gridhub.models.enums import StaffRole, Tier

    town = await models.Region.get(region_path=anchors["town"])
    grids = await models.Region.filter(region_path__startswith=town.region_path, tier=Tier.GRID,
                                       deleted_at=None).order_by("code")
    # other tests (re-gridding) add grids without staff: the demo's are older than its staff rows
    built = (await models.StaffAssignment.all().order_by("id").first()).created_at
    demo = [g for g in grids if g.created_at <= built]
    expected = max(demo, key=lambda g: g.code)  # the demo's gap: the last grid of the first town
    assert not await models.StaffAssignment.filter(region_id=expected.id, role__in=(
        StaffRole.WORKER, StaffRole.LEADER)).exists()
    # staffed: a current worker and a current leader (the default STAFFING_REQUIRED)
    staffed = set.intersection(*[set(await models.StaffAssignment.filter(role=role, ended_on=None).values_list(
        "region_id", flat=True)) for role in (StaffRole.WORKER, StaffRole.LEADER)])
    for who in ("county", "town"):
        client = gql if who == "county" else await sign_in(who)
        gaps = (await client.query("query($t: ID!) { staffingGaps(town: $t) { id code tier } }",
                                   t=ids["town"]))["staffingGaps"]
        assert {g["code"] for g in gaps} == {g.code for g in grids if g.id not in staffed}, who
        assert [g["code"] for g in gaps if g["code"] in {d.code for d in demo}] == [expected.code], who
        assert {g["tier"] for g in gaps} == {"GRID"}
    town_client = await sign_in("town")
    # the other town's gaps are not the town centre's to read
    response = await town_client.post("query($t: ID!) { staffingGaps(town: $t) { code } }", {"t": ids["town2"]})
    assert response.codes == ["NOT_FOUND"]
    # the worker sees its own grid only, and it is staffed
    worker = await sign_in("worker")
    assert (await worker.query("query($t: ID!) { staffingGaps(town: $t) { code } }", t=ids["town"])
            )["staffingGaps"] == []
    civil = await sign_in("civil")
    response = await civil.post("query($t: ID!) { staffingGaps(town: $t) { code } }", {"t": ids["town"]})
    assert response.codes == ["FORBIDDEN"]


async def test_end_staff_makes_a_gap_and_is_audited(sign_in, ids, anchors):
    from gridhub import models

    community = await sign_in("community")
    # a grid of the community, with its own worker, made just for this test
    made = (await community.query(ASSIGN, r=ids["sibling_grid"], role="WORKER", on="2026-02-01",
                                  n="临时网格员"))["assignStaff"]
    bad = await community.post("mutation($id: ID!) { endStaff(id: $id, endedOn: \"2026-01-01\") { id } }",
                               {"id": made["id"]})
    assert bad.codes == ["BAD_USER_INPUT"]
    for worker in [s for s in (await community.query(STAFF, id=ids["sibling_grid"]))["node"]["staff"]
                   if s["role"] == "WORKER"]:
        ended = (await community.query("mutation($id: ID!, $on: Date!) { endStaff(id: $id, endedOn: $on) "
                                       "{ endedOn } }", id=worker["id"],
                                       on=(today() - timedelta(days=1)).isoformat()))["endStaff"]
        assert ended["endedOn"]
    gaps = (await community.query("query($t: ID!) { staffingGaps(town: $t) { id } }", t=ids["town"]))["staffingGaps"]
    assert ids["sibling_grid"] in {g["id"] for g in gaps}
    history = (await community.query("query($id: ID!) { node(id: $id) { ... on Region { staff(current: false) "
                                     "{ role endedOn } } } }", id=ids["sibling_grid"]))["node"]["staff"]
    assert any(s["role"] == "WORKER" and s["endedOn"] for s in history)
    assert await models.AuditEntry.filter(actor="community", object_kind="staff", action="update").exists()
    # the worker is back: no gap there any more
    await community.query(ASSIGN, r=ids["sibling_grid"], role="WORKER", on=today().isoformat(), n="新网格员")
    gaps = (await community.query("query($t: ID!) { staffingGaps(town: $t) { id } }", t=ids["town"]))["staffingGaps"]
    assert ids["sibling_grid"] not in {g["id"] for g in gaps}


async def test_assign_staff_refuses_unknown_users_and_persons(sign_in, ids):
    community = await sign_in("community")
    response = await community.post(ASSIGN, {"r": ids["grid"], "role": "POLICE", "on": "2026-01-01",
                                             "u": "nobody-such"})
    assert response.codes == ["BAD_USER_INPUT"]
    response = await community.post(
        """mutation($r: ID!, $p: ID!) { assignStaff(region: $r, role: POLICE, startedOn: "2026-01-01",
           person: $p) { id } }""", {"r": ids["grid"], "p": "UGVyc29uOjk5OTk5OTk5"})  # Person:99999999
    assert response.codes == ["BAD_USER_INPUT"]
    made = (await community.query(ASSIGN, r=ids["grid"], role="LEADER", on="2026-01-01", u="leader"))["assignStaff"]
    assert made["username"] == "leader" and made["name"]


async def test_region_staff_statements_do_not_grow_with_page_size(gql, count_sql):
    query = """query($first: Int) { regions(first: $first, filter: {tier: [GRID]}) {
        nodes { name staff { role name username region { name } } history: staff(current: false) { role } } } }"""
    counts = {}
    for first in (5, 100):
        with count_sql() as counter:
            data = await gql.query(query, first=first)
        counts[first] = counter.count
        assert any(n["staff"] for n in data["regions"]["nodes"])
    assert counts[5] == counts[100], counts


MISSING = "query($t: ID!) { staffingGaps(town: $t) { code tier missingStaff } }"


async def test_each_missing_role_is_reported_as_the_county_requires_it(gql, ids, anchors, app_with):
    """The demo's gap grid misses its worker and its leader, each named; every other grid of
    the demo is staffed 1+1+N (police, party members, volunteers). A county requiring police
    at every grid and a worker at every micro-grid sees those gaps instead."""
    from gridhub import models
    from gridhub.models.enums import Tier

    from .client import GraphQLClient

    gaps = (await gql.query(MISSING, t=ids["town"]))["staffingGaps"]
    built = (await models.StaffAssignment.all().order_by("id").first()).created_at
    demo = {g.code for g in await models.Region.filter(region_path__startswith=anchors["town"], tier=Tier.GRID,
                                                         created_at__lte=built)}
    assert [g["missingStaff"] for g in gaps if g["code"] in demo] == [["LEADER", "WORKER"]]
    staff = (await gql.query("query($id: ID!) { node(id: $id) { ... on Region { missingStaff "
                             "staff { role } } } }", id=ids["grid"]))["node"]
    assert staff["missingStaff"] == [] and {"LEADER", "WORKER", "POLICE", "PARTY_MEMBER", "VOLUNTEER"} <= {
        s["role"] for s in staff["staff"]}
    other = GraphQLClient(await app_with(staffing_required="grid=police+liaison,micro_grid=worker"), gql.token)
    gaps = (await other.query(MISSING, t=ids["town"]))["staffingGaps"]
    micro = [g for g in gaps if g["tier"] == "MICRO_GRID"]
    assert micro and all(g["missingStaff"] == ["WORKER"] for g in micro)
    grids = [g for g in gaps if g["tier"] == "GRID" and g["code"] in demo]
    assert grids and all(g["missingStaff"] == ["LIAISON"] for g in grids)  # the demo's police serve everywhere
    assert {g["tier"] for g in gaps} == {"GRID", "MICRO_GRID"}


def test_a_county_names_known_tiers_and_roles():
    from gridhub.settings import Settings, parse_staffing

    assert parse_staffing("grid=leader+worker, micro_grid=worker") == {"grid": ("leader", "worker"),
                                                                      "micro_grid": ("worker",)}
    for wrong in ("grid=boss", "street=worker", "grid=worker,grid=leader", "grid="):
        with pytest.raises(ValueError):
            Settings(staffing_required=wrong)
