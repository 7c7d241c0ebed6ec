"""Houses as a tree (小区 → 楼栋 → 单元 → 房屋): the demo's flats lie in units of buildings of
compounds, each with its own standard address code; `children`, `parent`, `residents(deep:
true)`, `organisations(deep: true)` and `rentals` read the tree, scoped and masked as places
are; places are built and moved in the tree through the mutations; a database made before
the tree gets it from its places' structured columns."""

import base64
from datetime import datetime, timezone

import pytest

from gridhub import models

from .migrating import upgrade
from .servers import scratch_database


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])

BUILDINGS = """query($p: String) { places(first: 50, filter: {regionPath: $p, kind: [BUILDING]}) { nodes {
  id createdAt name addressCode parent { kind name }
  children(first: 5) { totalCount nodes { kind name unit children(first: 30) { totalCount nodes { id kind } } } }
  residents(first: 1) { totalCount } deep: residents(first: 200, deep: true) { totalCount nodes { id } }
  rentals(first: 50) { totalCount nodes { kind } } } } }"""
FLAT = """query($id: ID!) { node(id: $id) { ... on Place { name unit room
  parent { kind name unit parent { kind name building parent { kind name } } } } } }"""
CREATE = """mutation($input: PlaceCreateInput!) { createPlace(input: $input) { id version } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $input: PlaceUpdateInput!) { updatePlace(id: $id, version: $v, input: $input) {
  id version } }"""
DEEP = """query($id: ID!) { node(id: $id) { ... on Place {
  residents(first: 10, deep: true) { totalCount nodes { name } } children(first: 5) { totalCount } } } }"""


@pytest.fixture(scope="module")
async def buildings(app, gql, anchors):
    """The demo's buildings of the anchor grid (other tests add buildings of their own there)."""
    built = app.state.demo_built_at
    return [b for b in (await gql.query(BUILDINGS, p=anchors["grid"]))["places"]["nodes"]
            if datetime.fromisoformat(b["createdAt"]) <= built]


async def test_the_demo_keeps_its_flats_in_a_tree(buildings):
    """Every building of the anchor grid lies in a compound and holds units holding flats;
    its residents are those of its flats (deep), and its rentals are rented homes under it."""
    assert buildings
    for b in buildings:
        assert b["parent"]["kind"] == "COMPOUND" and b["name"].startswith(b["parent"]["name"])
        assert b["addressCode"]
        units = b["children"]["nodes"]
        assert units and {u["kind"] for u in units} == {"UNIT"}
        assert all(u["children"]["totalCount"] and {f["kind"] for f in u["children"]["nodes"]} <= {
            "HOUSE", "RENTAL_HOUSE"} for u in units)
        assert b["residents"]["totalCount"] == 0  # nobody lives in the building itself
        assert {r["kind"] for r in b["rentals"]["nodes"]} <= {"RENTAL_HOUSE"}
    assert sum(b["deep"]["totalCount"] for b in buildings) > 0
    assert any(b["rentals"]["totalCount"] for b in buildings), "some building of the grid has rented rooms"


async def test_deep_residents_are_the_residents_of_the_flats_below(worker, anchors):
    building = (await worker.query(BUILDINGS, p=anchors["grid"]))["places"]["nodes"][0]
    below = set()
    for unit in building["children"]["nodes"]:
        for flat in unit["children"]["nodes"]:
            residents = (await worker.query(
                "query($id: ID!) { node(id: $id) { ... on Place { residents(first: 50) { nodes { id } } } } }",
                id=flat["id"]))["node"]["residents"]["nodes"]
            below |= {r["id"] for r in residents}
    assert {r["id"] for r in building["deep"]["nodes"]} == below and below


async def test_a_flats_ancestors_are_masked_as_the_flat_is(gql, worker, buildings):
    """Where `place.address` is not granted (the county centre), a flat's unit shows up to its
    building, as the flat itself does; the grid worker reads the unit whole."""
    unit = buildings[0]["children"]["nodes"][0]
    flat_id = unit["children"]["nodes"][0]["id"]
    masked = (await gql.query(FLAT, id=flat_id))["node"]
    whole = (await worker.query(FLAT, id=flat_id))["node"]
    assert masked["unit"] is None and masked["room"] is None
    assert masked["parent"]["kind"] == "UNIT" and masked["parent"]["unit"] is None
    assert "单元" not in masked["parent"]["name"] and "单元" not in masked["name"]
    assert masked["parent"]["parent"]["name"] == whole["parent"]["parent"]["name"]  # a building is not masked
    assert whole["parent"]["unit"] and whole["parent"]["name"].endswith("单元")
    assert whole["parent"]["parent"]["parent"]["kind"] == "COMPOUND"


async def test_the_tree_is_scoped(sign_in, buildings):
    """Deep residents and rentals are those the caller may read: housing reads every place
    and no person, so it finds the buildings, their rentals, and none of their residents."""
    housing = await sign_in("housing")
    for b in buildings[:5]:
        node = (await housing.query(DEEP + "", id=b["id"]))["node"]
        assert node["residents"]["totalCount"] == 0 and node["children"]["totalCount"] == b["children"]["totalCount"]
    assert sum(b["deep"]["totalCount"] for b in buildings[:5]) > 0


@pytest.fixture
async def own_tree(worker, anchors):
    """A compound with two buildings, a unit in the first and a room in it, in the worker's grid."""
    grid = (await worker.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                               p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    made = {}
    for key, kind, parent, extra in (("compound", "COMPOUND", None, {"compound": "测试树小区"}),
                                     ("b1", "BUILDING", "compound", {"compound": "测试树小区", "building": "1"}),
                                     ("b2", "BUILDING", "compound", {"compound": "测试树小区", "building": "2"}),
                                     ("unit", "UNIT", "b1", {"compound": "测试树小区", "building": "1", "unit": "1"}),
                                     ("room", "HOUSE", "unit", {"compound": "测试树小区", "building": "1", "unit": "1",
                                                                "room": "101"})):
        made[key] = (await worker.query(CREATE, input={
            "code": f"T-TREE-{key}", "name": f"测试树{key}", "kind": kind, "regionId": grid,
            "parentId": made[parent]["id"] if parent else None, **extra}))["createPlace"]
    yield made
    await models.Place.filter(code__startswith="T-TREE-").update(deleted_at=datetime.now(timezone.utc))


async def test_places_are_built_and_moved_in_the_tree(worker, own_tree, anchors):
    person = (await worker.query("query($p: String) { persons(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                                 p=anchors["grid"]))["persons"]["nodes"][0]
    old = await models.Person.get(id=row_id(person["id"]))
    try:
        await models.Person.filter(id=old.id).update(residence_id=row_id(own_tree["room"]["id"]))
        counts = [(await worker.query(DEEP, id=own_tree[k]["id"]))["node"]["residents"]["totalCount"]
                  for k in ("compound", "b1", "b2", "unit", "room")]
        assert counts == [1, 1, 0, 1, 1]
        unit = own_tree["unit"]
        moved = (await worker.query(UPDATE, id=unit["id"], v=unit["version"],
                                    input={"parentId": own_tree["b2"]["id"]}))["updatePlace"]
        counts = [(await worker.query(DEEP, id=own_tree[k]["id"]))["node"]["residents"]["totalCount"]
                  for k in ("compound", "b1", "b2", "unit", "room")]
        assert counts == [1, 0, 1, 1, 1]
        within = await worker.post(UPDATE, {"id": own_tree["b2"]["id"], "v": own_tree["b2"]["version"],
                                            "input": {"parentId": own_tree["room"]["id"]}})
        assert within.codes == ["BAD_USER_INPUT"] and within.errors[0]["extensions"]["field"] == "parentId"
        wrong_type = await worker.post(UPDATE, {"id": unit["id"], "v": moved["version"],
                                                "input": {"parentId": person["id"]}})
        assert wrong_type.codes == ["BAD_USER_INPUT"]
        assert await models.AuditEntry.filter(object_kind="place", object_id=str(row_id(unit["id"])),
                                              action="update").exists()
    finally:
        await models.Person.filter(id=old.id).update(residence_id=old.residence_id)


async def test_deep_residents_of_a_page_of_places_cost_a_fixed_number_of_statements(worker, anchors, count_sql):
    query = """query($p: String, $n: Int) { places(first: $n, filter: {regionPath: $p}) { nodes {
      residents(first: 3, deep: true) { totalCount nodes { name } } rentals(first: 2) { nodes { name } }
      children(first: 2) { nodes { name } } parent { name } } } }"""
    measured = []
    for n in (2, 20):
        with count_sql() as counter:
            await worker.query(query, p=anchors["grid"], n=n)
        measured.append(counter.count)
    assert measured[0] == measured[1], measured


def older_places() -> list[str]:
    """A county at 0018 with flats in a compound's buildings and units, a building registered
    as such, and a shop in no compound; the grid worker's role in use."""
    statements = ["INSERT INTO region (code, name, tier, region_path, depth, created_at, updated_at, version) "
                  "VALUES ('340223', '南陵县', 'county', '/340223/', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"]
    for code, kind, b, u, room in (("F1", "house", "1", "1", "101"), ("F2", "rental_house", "1", "1", "102"),
                                   ("F3", "house", "1", "2", "201"), ("B2", "building", "2", "", ""),
                                   ("F4", "house", "2", "1", "101"), ("S1", "shop", "", "", "")):
        statements.append(
            "INSERT INTO place (code, name, kind, usage, address, compound, building, unit, floor, room, owner_name, "
            "region_id, region_path, address_code, created_at, updated_at, version) SELECT "
            f"'{code}', '{code}', '{kind}', '', '', '{'梅林雅居' if code != 'S1' else ''}', '{b}', '{u}', '', '{room}', "
            f"'', id, region_path, '340223{code}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 FROM region")
    return statements + ["INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "
                         "VALUES ('p', 'grid_worker', '*', 'person', 'read', 'allow', '')"]


def test_migration_0021_derives_the_tree_from_the_structured_columns(tmp_path):
    """A database made at 0018: its flats get their units, buildings and compound (a place
    registered as a building is its own node), each with the next address code of its
    region, and the closure holds them all; the grid worker's role in use gets the membership grants."""
    for url in scratch_database(tmp_path, "gh_older_places"):
        granted, places, deep = upgrade(url, "gridhub.0018_residence_registration", older_places(), after=[
            "SELECT v0, v3 FROM casbin_rule WHERE v2 = 'membership' ORDER BY v3",
            "SELECT p.code, p.kind, p.name, p.address_code, q.code AS parent FROM place p "
            "LEFT JOIN place q ON q.id = p.parent_id ORDER BY p.id",
            "SELECT COUNT(*) AS n FROM place_tree t JOIN place a ON a.id = t.ancestor_id "
            "WHERE a.kind = 'compound'"]).after
        # the grid worker's role in use gets the membership grants; policy admins are not in use here
        assert [(g["v0"], g["v3"]) for g in granted] == [("grid_worker", "create"), ("grid_worker", "update")]
        # name -> (code, or the address code of a place the migration made; kind; name; parent's code)
        by_name = {r["name"]: [r["code"] if r["code"][0] in "FBS" else r["address_code"], r["kind"], r["name"],
                               str(r["parent"])] for r in places}
        assert by_name["梅林雅居"][1] == "compound" and by_name["梅林雅居"][0] == "340223000001"
        assert by_name["梅林雅居1幢"][1:] == ["building", "梅林雅居1幢", "340223000001"]
        assert by_name["B2"][1:] == ["building", "B2", "340223000001"]  # registered as building 2
        assert by_name["梅林雅居1幢1单元"][3] == by_name["梅林雅居1幢"][0]
        assert by_name["F1"][3] == by_name["F2"][3] == by_name["梅林雅居1幢1单元"][0]
        assert by_name["F3"][3] == by_name["梅林雅居1幢2单元"][0]
        assert by_name["F4"][3] == by_name["梅林雅居2幢1单元"][0]
        assert by_name["梅林雅居2幢1单元"][3] == "B2" and by_name["S1"][3] == "None"
        # the compound, 2 buildings, 3 units, 4 flats
        assert deep == [{"n": 10}]
