"""The event category tree over HTTP: seeded once with Toksun's classes and digital city
management's, read by whoever reads events, edited by admins only (audited, versioned,
soft-deleted), and the only categories an event may be reported under."""

import pytest

from gridhub import models
from gridhub.resolvers.domain.categories import seed_event_categories
from gridhub.resolvers.domain.categories_seed import HUB_ITEMS, SEED
from gridhub.resolvers.demo.tables import _CATEGORIES

TREE = """query($deleted: Boolean) { eventCategories(includeDeleted: $deleted) {
  path name parentPath acceptHours handleHours verifyHours departmentCode version deletedAt
  children { path name parentPath handleHours deletedAt children { path } } } }"""
CREATE = """mutation($input: EventCategoryInput!) { createEventCategory(input: $input) {
  path name parentPath acceptHours handleHours verifyHours departmentCode sortOrder version deletedAt } }"""
UPDATE = """mutation($path: String!, $version: Int!, $input: EventCategoryUpdateInput!) {
  updateEventCategory(path: $path, version: $version, input: $input) { path name handleHours version } }"""
DELETE = """mutation($path: String!, $version: Int) { deleteEventCategory(path: $path, version: $version) {
  path version deletedAt } }"""
TOKSUN = ("safety", "public_order", "dispute", "service", "special_groups", "facility")
CITY = ("environment", "advertising", "works", "street_order", "emergency")


async def test_the_seeded_tree(worker):
    tree = (await worker.query(TREE))["eventCategories"]
    assert [c["path"] for c in tree] == [*TOKSUN, *CITY]
    classes = {c["path"]: c for c in tree}
    assert sum(len(classes[p]["children"]) for p in TOKSUN) == 48 + len(HUB_ITEMS)  # Toksun's, and ours
    assert all(len(classes[p]["children"]) >= 3 for p in CITY)
    assert classes["safety"]["name"] == "安全隐患" and classes["works"]["name"] == "施工管理"
    for c in tree:
        assert c["parentPath"] is None and c["children"]
        assert all(item["parentPath"] == c["path"] and item["path"].startswith(c["path"] + "/")
                   and not item["children"] for item in c["children"])


async def test_seeding_is_once_and_covers_every_category_in_use(app):
    before = await models.EventCategory.all().count()
    assert not await seed_event_categories()
    assert await models.EventCategory.all().count() == before >= len(SEED)
    seeded = {c.path for c in SEED}
    assert {c.path for c in _CATEGORIES} <= seeded  # the demo draws from the seed
    assert set(await models.Event.all().distinct().values_list("category", flat=True)) <= seeded


@pytest.mark.parametrize("username", ["worker", "community", "county", "police", "admin"])
async def test_who_reads_events_reads_the_tree(sign_in, username):
    client = await sign_in(username)
    assert len((await client.query(TREE))["eventCategories"]) == len(TOKSUN) + len(CITY)


async def test_who_reads_no_events_does_not(sign_in):
    response = await (await sign_in("auditor")).post(TREE)
    assert response.codes == ["FORBIDDEN"]


async def test_an_admin_edits_the_tree(sign_in):
    admin = await sign_in("admin")
    created = (await admin.query(CREATE, input={
        "path": "safety/elevator", "name": "电梯安全隐患", "acceptHours": 2, "handleHours": 24, "verifyHours": 12,
        "departmentCode": "market_supervision"}))["createEventCategory"]
    assert created["parentPath"] == "safety" and created["version"] == 1 and created["deletedAt"] is None
    assert created["sortOrder"] > max(c.sort_order for c in await models.EventCategory.exclude(path="safety/elevator"))

    updated = (await admin.query(UPDATE, path="safety/elevator", version=1,
                                 input={"handleHours": 48}))["updateEventCategory"]
    assert updated == {"path": "safety/elevator", "name": "电梯安全隐患", "handleHours": 48, "version": 2}
    stale = await admin.post(UPDATE, {"path": "safety/elevator", "version": 1, "input": {"name": "旧"}})
    assert stale.codes == ["CONFLICT"] and stale.errors[0]["extensions"]["field"] == "version"

    deleted = (await admin.query(DELETE, path="safety/elevator", version=2))["deleteEventCategory"]
    assert deleted["deletedAt"] and deleted["version"] == 3
    live = {c["path"] for c in (await admin.query(TREE))["eventCategories"][0]["children"]}
    assert "safety/elevator" not in live
    with_deleted = (await admin.query(TREE, deleted=True))["eventCategories"][0]["children"]
    assert [c["deletedAt"] is not None for c in with_deleted if c["path"] == "safety/elevator"] == [True]

    restored = (await admin.query(CREATE, input={
        "path": "safety/elevator", "name": "电梯困人", "acceptHours": 1, "handleHours": 12,
        "verifyHours": 12}))["createEventCategory"]
    assert restored["deletedAt"] is None and restored["version"] == 4 and restored["departmentCode"] is None
    assert (await admin.query(DELETE, path="safety/elevator"))["deleteEventCategory"]["deletedAt"]

    actions = await models.AuditEntry.filter(object_kind="category", object_id="safety/elevator").order_by("id") \
        .values_list("actor", "action")
    assert actions == [("admin", "create_category"), ("admin", "update_category"), ("admin", "delete_category"),
                       ("admin", "create_category"), ("admin", "delete_category")]


@pytest.mark.parametrize("input_, code, field", [
    ({"path": "nowhere/new", "name": "无类", "acceptHours": 1, "handleHours": 1, "verifyHours": 1},
     "BAD_USER_INPUT", "path"),
    ({"path": "Safety/Fire!", "name": "坏路径", "acceptHours": 1, "handleHours": 1, "verifyHours": 1},
     "BAD_USER_INPUT", "path"),
    ({"path": "safety/new", "name": "零小时", "acceptHours": 0, "handleHours": 1, "verifyHours": 1},
     "BAD_USER_INPUT", "acceptHours"),
    ({"path": "safety/new", "name": "无部门", "acceptHours": 1, "handleHours": 1, "verifyHours": 1,
      "departmentCode": "no_such"}, "BAD_USER_INPUT", "departmentCode"),
    ({"path": "safety/fire", "name": "重复", "acceptHours": 1, "handleHours": 1, "verifyHours": 1},
     "CONFLICT", "path"),
])
async def test_bad_edits_are_refused_and_write_nothing(sign_in, input_, code, field):
    admin = await sign_in("admin")
    before = await models.EventCategory.all().count()
    response = await admin.post(CREATE, {"input": input_})
    assert response.codes == [code] and response.errors[0]["extensions"]["field"] == field
    assert await models.EventCategory.all().count() == before


async def test_a_class_with_items_cannot_be_deleted(sign_in):
    response = await (await sign_in("admin")).post(DELETE, {"path": "works"})
    assert response.codes == ["CONFLICT"]
    assert (await models.EventCategory.get(path="works")).deleted_at is None


@pytest.mark.parametrize("username", ["worker", "county", "townadmin"])
async def test_others_may_not_edit(sign_in, username):
    """A town's policy admin too: the tree is the county's."""
    client = await sign_in(username)
    fire = await models.EventCategory.get(path="safety/fire")
    for query, variables in (
        (CREATE, {"input": {"path": "safety/x", "name": "x", "acceptHours": 1, "handleHours": 1, "verifyHours": 1}}),
        (UPDATE, {"path": "safety/fire", "version": fire.version, "input": {"handleHours": 1}}),
        (DELETE, {"path": "safety/fire"}),
    ):
        assert (await client.post(query, variables)).codes == ["FORBIDDEN"]
    assert (await models.EventCategory.get(path="safety/fire")).version == fire.version


REPORT = """mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }"""


async def grid_id(client, anchors) -> str:
    data = await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                              p=anchors["grid"])
    return data["regions"]["nodes"][0]["id"]


async def test_events_take_live_categories_only(sign_in, worker, anchors):
    admin = await sign_in("admin")
    await admin.query(CREATE, input={"path": "works/retired", "name": "已停用", "acceptHours": 1, "handleHours": 1,
                                     "verifyHours": 1})
    await admin.query(DELETE, path="works/retired")
    region = await grid_id(worker, anchors)
    events, logs = await models.Event.all().count(), await models.EventLog.all().count()
    for category in ("safety/unknown", "works/retired", "nowhere"):
        for mutation in ("reportEvent", "createEvent"):
            response = await worker.post(REPORT.replace("reportEvent", mutation), {"input": {
                "title": "未知类别", "kind": "HAZARD", "category": category, "source": "PATROL",
                "occurredAt": "2026-01-01T08:00:00Z", "regionId": region}})
            assert response.codes == ["BAD_USER_INPUT"], (category, mutation)
            assert response.errors[0]["extensions"]["field"] == "category"
    assert (await models.Event.all().count(), await models.EventLog.all().count()) == (events, logs)
