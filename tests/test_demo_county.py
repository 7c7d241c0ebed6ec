"""The demo county carries grid operations as data, read over HTTP as its users would: a
grid split in its history (events on both sides of the split), staffing with one gap, key
persons with responsible staff and overdue visits, seen by the police and not by civil affairs."""

from datetime import datetime

import pytest

import models
from resolvers.demo import SPLIT_AT
from resolvers.visits import KEY_VISIT_CATEGORY

HISTORY = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event {
    occurredAt region { path deletedAt } reportedRegion { path name deletedAt } } } }"""
KEY_PERSONS = """query($overdue: Boolean) { persons(first: 100, filter: {tags: ["key"], visitOverdue: $overdue}) {
    totalCount nodes { visitOverdue visitDueAt lastVisitedAt responsibleStaff { role name }
    visits { occurredAt visitor } } } }"""


def gid(kind: str, row_id: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(kind, row_id)


@pytest.fixture(scope="module")
async def split():
    """(the grid retired on SPLIT_AT, its live halves); other tests re-grid other towns."""
    retired = await models.Region.filter(deleted_at=SPLIT_AT)
    assert len(retired) == 1, "the demo's history has one re-gridding"
    old = retired[0]
    halves = await models.Region.filter(parent_id=old.parent_id, deleted_at=None,
                                        name__startswith=old.name).order_by("code")
    return old, halves


async def test_a_grid_split_in_the_past(gql, sign_in, split):
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
        assert datetime.fromisoformat(n["occurredAt"]) < SPLIT_AT and n["reportedRegion"]["deletedAt"]
    for n in after:
        assert datetime.fromisoformat(n["occurredAt"]) >= SPLIT_AT
        assert n["reportedRegion"]["path"] == n["region"]["path"] and n["reportedRegion"]["deletedAt"] is None
    # the split is in the audit trail, as of its day
    trail = (await (await sign_in("auditor")).query(
        '{ auditTrail(first: 50, filter: {action: "split_region", actor: "admin"}) { nodes { objectId at } } }'))
    assert {(n["objectId"], datetime.fromisoformat(n["at"])) for n in trail["auditTrail"]["nodes"]} >= {
        (old.region_path, SPLIT_AT)}


async def test_each_half_is_staffed_and_the_town_has_one_gap(sign_in, split):
    old, halves = split
    town = await models.Region.get(id=(await models.Region.get(id=old.parent_id)).parent_id)
    county = await sign_in("county")
    staff = (await county.query("""query($ids: [ID!]!) { nodes(ids: $ids) { ... on Region {
        staff { role } history: staff(current: false) { role startedOn } } } }""",
                                ids=[gid("Region", h.id) for h in halves]))["nodes"]
    assert all("WORKER" in {s["role"] for s in n["staff"]} for n in staff)
    east_since = {s["startedOn"] for s in staff[1]["history"] if s["role"] == "WORKER"}
    assert east_since == {SPLIT_AT.date().isoformat()}  # the east half's worker came with it
    gaps = (await county.query("query($t: ID!) { staffingGaps(town: $t) { code } }", t=gid("Region", town.id)))
    assert {h.code for h in halves}.isdisjoint({g["code"] for g in gaps["staffingGaps"]})


async def test_key_persons_have_responsible_staff_and_overdue_visits(sign_in):
    police = await sign_in("police")
    every = (await police.query(KEY_PERSONS, overdue=None))["persons"]
    assert every["totalCount"] == len(every["nodes"]) > 0
    for n in every["nodes"]:
        roles = {r["role"] for r in n["responsibleStaff"]}
        assert {"POLICE", "CADRE"} <= roles and roles <= {"POLICE", "CADRE", "GRID_WORKER", "FAMILY"}
        assert n["visits"], n  # the demo visits each key person at least once
        assert n["lastVisitedAt"] == n["visits"][0]["occurredAt"] and n["visitDueAt"]
    overdue = (await police.query(KEY_PERSONS, overdue=True))["persons"]
    assert overdue["totalCount"] > 0 and all(n["visitOverdue"] for n in overdue["nodes"])
    # civil affairs reads some of the same persons (those also in its care), never their key work
    civil = await sign_in("civil")
    cared = (await civil.query("""{ persons(first: 500) { nodes { tags responsibleStaff { name } visits { title }
        visitDueAt } } }"""))["persons"]["nodes"]
    assert cared and not any(n["responsibleStaff"] or n["visits"] or n["visitDueAt"] for n in cared)
    assert (await civil.post(KEY_PERSONS, {"overdue": True})).codes == ["FORBIDDEN"]


async def test_the_worker_is_responsible_for_its_grids_key_persons(worker, anchors):
    """The demo user `worker` is linked to the key-person work of its grid, as to its staff row."""
    rows = await models.KeyPersonResponsibility.filter(region_path__startswith=anchors["grid"], role="grid_worker")
    user = await models.User.get(username="worker")
    assert rows and {r.user_id for r in rows} == {user.id}


async def test_every_visit_to_a_key_person_is_a_key_visit():
    """The centres read `service/visit` events: one naming a key person would tell them who
    is one. The demo files such visits as the hub does (resolvers.visits.record_visit)."""
    key_persons = set(await models.PersonTag.filter(tag__startswith="key/").values_list("person_id", flat=True))
    visits = await models.Event.filter(kind="visit").values_list("id", "category")
    named = {}
    for event_id, person_id in await models.EventPerson.filter(event_id__in=[i for i, _ in visits]).values_list(
            "event_id", "person_id"):
        named.setdefault(event_id, set()).add(person_id)
    categories = {bool(named.get(i, set()) & key_persons): set() for i, _ in visits}
    for event_id, category in visits:
        categories[bool(named.get(event_id, set()) & key_persons)].add(category)
    assert categories == {True: {KEY_VISIT_CATEGORY}, False: {"service/visit"}}
