"""Re-gridding over HTTP: split, move, merge, rename and create regions, with their rows,
grants, tombstones, history, audit and dry runs. Each test works in a town of its own (the
last towns of the demo county), away from the anchors other tests read."""

import pytest
from strawberry.relay import to_base64

import models
from models.enums import Tier
from resolvers.auth import DEMO_PASSWORD, hash_password

from .client import GraphQLClient

SPLIT = """mutation($r: ID!, $parts: [SplitPartInput!]!, $dry: Boolean!) {
  splitRegion(region: $r, parts: $parts, dryRun: $dry) {
    operation dryRun moved { persons places events grants households created retired }
    regions { id path name }
  } }"""

MOVE = """mutation($r: ID!, $p: ID!, $dry: Boolean!, $code: String) {
  moveRegion(region: $r, parent: $p, code: $code, dryRun: $dry) {
    dryRun moved { regions persons places events grants } regions { id path code } } }"""

MERGE = """mutation($rs: [ID!]!, $into: ID!) {
  mergeRegions(regions: $rs, into: $into) { moved { persons places grants retired } regions { path } } }"""

# Who may re-grid, as data: (user, mutation, expected error code or "" for allowed)
ACCESS = [
    ("admin", "rename", ""),
    ("county", "rename", "FORBIDDEN"),
    ("townadmin", "rename", "FORBIDDEN"),
    ("worker", "rename", "FORBIDDEN"),
    ("police", "rename", "FORBIDDEN"),
    ("county", "split", "FORBIDDEN"),
    ("worker", "split", "FORBIDDEN"),
    ("town", "move", "FORBIDDEN"),
]


def gid(kind: str, row_id: int) -> str:
    return to_base64(kind, row_id)


async def leaf_grids(town_index: int) -> list[models.Region]:
    """Live grids without children under the town at `town_index` (by code), in code order."""
    towns = await models.Region.filter(tier=Tier.TOWN, deleted_at=None).order_by("code")
    town = towns[town_index]
    grids = await models.Region.filter(region_path__startswith=town.region_path, tier=Tier.GRID,
                                       deleted_at=None).order_by("code")
    with_children = set(await models.Region.filter(parent_id__in=[g.id for g in grids], deleted_at=None)
                        .values_list("parent_id", flat=True))
    return [g for g in grids if g.id not in with_children]


async def new_worker(sign_in, admin: GraphQLClient, username: str, grid: models.Region) -> GraphQLClient:
    await models.User.get_or_create(username=username, defaults={"password_hash": hash_password(DEMO_PASSWORD)})
    await admin.query("mutation($u: String!, $r: ID!) { grantRole(username: $u, role: \"grid_worker\", "
                      "region: $r) { domain } }", u=username, r=gid("Region", grid.id))
    return await sign_in(username)


async def listed(client: GraphQLClient, kind: str) -> set[int]:
    data = await client.query(f"{{ list: {kind}s(first: 500) {{ totalCount nodes {{ id }} }} }}")
    from strawberry.relay import from_base64
    return {int(from_base64(n["id"])[1]) for n in data["list"]["nodes"]}


@pytest.mark.parametrize("who,operation,code", ACCESS, ids=[f"{w}-{o}" for w, o, _ in ACCESS])
async def test_only_region_admins_regrid(sign_in, who, operation, code):
    grid, other = (await leaf_grids(-1))[-2:]
    client = await sign_in(who)
    community = await models.Region.get(id=grid.parent_id)
    if operation == "rename":
        response = await client.post("mutation($r: ID!) { renameRegion(region: $r, name: \"新名\", "
                                     "dryRun: true) { dryRun } }", {"r": gid("Region", grid.id)})
    elif operation == "split":
        response = await client.post(SPLIT, {"r": gid("Region", grid.id), "dry": True, "parts": [
            {"name": "甲", "code": community.code + "981"}, {"name": "乙", "code": community.code + "982"}]})
    else:
        response = await client.post(MOVE, {"r": gid("Region", grid.id), "p": gid("Region", other.parent_id),
                                            "dry": True})
    assert (response.codes[0] if response.errors else "") == code, response.errors


async def test_split_moves_rows_and_grants_and_keeps_history(sign_in, gql):
    admin, auditor = await sign_in("admin"), await sign_in("auditor")
    grid = [g for g in await leaf_grids(-1) if await models.Place.filter(region_id=g.id).count() >= 4][0]
    community = await models.Region.get(id=grid.parent_id)
    w1 = await new_worker(sign_in, admin, "split_w1", grid)
    w2 = await new_worker(sign_in, admin, "split_w2", grid)
    places = sorted(await models.Place.filter(region_id=grid.id, deleted_at=None).values_list("id", flat=True))
    persons = await models.Person.filter(region_id=grid.id, deleted_at=None).count()
    events = await models.Event.filter(region_id=grid.id, deleted_at=None).values_list("id", flat=True)
    assert persons and events and await listed(w1, "person") == await listed(w2, "person")
    half = places[len(places) // 2:]
    parts = [{"name": grid.name + "东", "code": community.code + "901", "usernames": ["split_w1"]},
             {"name": grid.name + "西", "code": community.code + "902", "usernames": ["split_w2"],
              "placeIds": [gid("Place", i) for i in half]}]

    dry = (await admin.query(SPLIT, r=gid("Region", grid.id), parts=parts, dry=True))["splitRegion"]
    assert dry["dryRun"] and dry["moved"]["persons"] == persons and dry["moved"]["places"] == len(places)
    assert dry["moved"]["events"] == len(events) and dry["moved"]["grants"] == 2 and dry["moved"]["retired"] == 1
    assert await models.Region.filter(id=grid.id, deleted_at=None).exists()  # nothing changed
    assert not await models.Region.filter(code=community.code + "901").exists()
    assert await listed(w1, "person") == await listed(w2, "person")

    done = (await admin.query(SPLIT, r=gid("Region", grid.id), parts=parts, dry=False))["splitRegion"]
    assert done["moved"] == dry["moved"] and not done["dryRun"]
    east, west = sorted(done["regions"], key=lambda r: r["path"])
    assert east["path"] == community.region_path + "901/" and west["path"] == community.region_path + "902/"
    # every row went to one half, and each half's worker sees exactly its half
    for client, half_path, other_path in ((w1, east["path"], west["path"]), (w2, west["path"], east["path"])):
        for kind, model in (("person", models.Person), ("place", models.Place), ("event", models.Event),
                            ("household", models.Household)):
            mine = set(await model.filter(
                region_path__startswith=half_path, deleted_at=None).values_list("id", flat=True))
            assert await listed(client, kind) == mine, kind
    assert set(await models.Place.filter(region_path=west["path"]).values_list("id", flat=True)) == set(half)
    assert await models.Person.filter(region_id=grid.id).count() == 0
    # persons follow their residence
    for person in await models.Person.filter(region_path__in=[east["path"], west["path"]], residence_id__not_isnull=True):
        place = await models.Place.get(id=person.residence_id)
        assert place.region_path == person.region_path
    # history: events reported before the split still show the old (retired) grid
    data = await gql.query("""query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event {
        region { path } reportedRegion { path name deletedAt } } } }""", ids=[gid("Event", i) for i in events])
    for node in data["nodes"]:
        assert node["reportedRegion"]["path"] == grid.region_path and node["reportedRegion"]["deletedAt"]
        assert node["region"]["path"] in (east["path"], west["path"])
    # departments hear of it: every moved person has a recorded move from the old grid
    assert await models.RegionMove.filter(kind="person", from_path=grid.region_path).count() == persons
    # audited
    trail = await auditor.query("""{ auditTrail(first: 5, filter: {action: "split_region"}) {
        nodes { action objectId } } }""")
    assert any(n["objectId"] == grid.region_path for n in trail["auditTrail"]["nodes"])

    # merging the halves back: the west's rows, grants and worker go east
    merged = (await admin.query(MERGE, rs=[west["id"]], into=east["id"]))["mergeRegions"]
    assert merged["moved"]["places"] == len(half) and merged["moved"]["grants"] == 1
    assert merged["moved"]["retired"] == 1
    assert await listed(w2, "place") == await listed(w1, "place") == set(places)


async def test_move_a_grid_to_another_community(sign_in):
    admin = await sign_in("admin")
    grids = await leaf_grids(-2)
    grid = grids[0]
    other_community = next(c for c in await models.Region.filter(
        parent_id=(await models.Region.get(id=grid.parent_id)).parent_id, deleted_at=None).order_by("-code")
        if c.id != grid.parent_id)
    worker = await new_worker(sign_in, admin, "move_w1", grid)
    before = {k: await listed(worker, k) for k in ("person", "place", "event")}
    persons = await models.Person.filter(region_path__startswith=grid.region_path, deleted_at=None).count()
    taken = await admin.post(MOVE, {"r": gid("Region", grid.id), "p": gid("Region", other_community.id),
                                    "dry": True})
    assert taken.codes == ["CONFLICT"]  # its digits are taken there: renumber it
    moved = (await admin.query(MOVE, r=gid("Region", grid.id), p=gid("Region", other_community.id),
                               code=other_community.code + "950", dry=False))["moveRegion"]
    region = moved["regions"][0]
    assert region["path"].startswith(other_community.region_path)
    assert region["code"].startswith(other_community.code)
    assert moved["moved"]["persons"] == persons and moved["moved"]["grants"] == 1
    assert await models.Person.filter(region_path__startswith=grid.region_path).count() == 0
    assert await models.Person.filter(region_path__startswith=region["path"]).count() == persons
    # the worker's grant followed: it sees the same rows on the next request
    assert {k: await listed(worker, k) for k in ("person", "place", "event")} == before
    grants = await models.CasbinRule.filter(ptype="g", v0="move_w1").values_list("v2", flat=True)
    assert grants == [region["path"] + "*"]
    # a community may not go under a grid, nor a region into its own subtree
    community = await models.Region.get(id=grid.parent_id)
    response = await admin.post(MOVE, {"r": gid("Region", community.id), "p": region["id"], "dry": True})
    assert response.codes == ["BAD_USER_INPUT"]


async def test_create_and_rename(sign_in):
    admin = await sign_in("admin")
    community = await models.Region.get(id=(await leaf_grids(-2))[-1].parent_id)
    made = await admin.query("""mutation($p: ID!, $c: String!) {
        createRegion(parent: $p, code: $c, name: "新网格", tier: GRID) { regions { id path name } } }""",
                             p=gid("Region", community.id), c=community.code + "777")
    region = made["createRegion"]["regions"][0]
    assert region["path"] == community.region_path + "777/"
    renamed = await admin.query("""mutation($r: ID!) { renameRegion(region: $r, name: "改名网格") {
        regions { name } } }""", r=region["id"])
    assert renamed["renameRegion"]["regions"][0]["name"] == "改名网格"
    again = await admin.post("""mutation($p: ID!, $c: String!) {
        createRegion(parent: $p, code: $c, name: "重复", tier: GRID) { dryRun } }""",
                             {"p": gid("Region", community.id), "c": community.code + "777"})
    assert again.codes == ["CONFLICT"]
