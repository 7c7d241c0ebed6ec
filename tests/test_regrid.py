"""Re-gridding over HTTP: split, move, merge, rename and create regions, with their rows,
grants, tombstones, history, audit and dry runs. Each test works in a town of its own (the
last towns of the demo county), away from the anchors other tests read."""

from datetime import datetime, timezone

import pytest
from strawberry.relay import from_base64, to_base64

from gridhub import models
from gridhub.models.enums import Tier
from gridhub.resolvers.identity.auth import DEMO_PASSWORD, hash_password
from gridhub.resolvers.domain.visit_due import KEY_VISIT_CATEGORY

from .client import GraphQLClient

SPLIT = """mutation($r: ID!, $parts: [SplitPartInput!]!, $dry: Boolean!) {
  splitRegion(region: $r, parts: $parts, dryRun: $dry) {
    operation dryRun moved { persons places events grants households created retired }
    regions { id path name }
  } }"""

MOVE = """mutation($r: ID!, $p: ID!, $dry: Boolean!, $code: String, $b: JSON) {
  moveRegion(region: $r, parent: $p, code: $code, boundary: $b, dryRun: $dry) {
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


async def free_digits(*parents: models.Region, count: int = 1) -> list[str]:
    """`count` three digits no region holds under any of `parents`: neither the code (parent's
    code and the digits) nor the path, live or retired (both stay unique across tombstones).
    A test that makes a region, or asks whether it may, takes digits no other test left there
    in whatever order they ran."""
    free = [f"{d:03d}" for d in (*range(900, 1000), *range(100, 900))]
    for parent in parents:
        codes = set(await models.Region.filter(code__startswith=parent.code).values_list("code", flat=True))
        paths = set(await models.Region.filter(region_path__startswith=parent.region_path)
                    .values_list("region_path", flat=True))
        free = [d for d in free if parent.code + d not in codes
                and models.Region.child_path(parent.region_path, parent.code, parent.code + d) not in paths]
    return free[:count]


async def new_worker(sign_in, admin: GraphQLClient, username: str, grid: models.Region,
                     role: str = "grid_worker") -> GraphQLClient:
    await models.User.get_or_create(username=username, defaults={"password_hash": hash_password(DEMO_PASSWORD)})
    await admin.query("mutation($u: String!, $role: String!, $r: ID!) { grantRole(username: $u, role: $role, "
                      "region: $r) { domain } }", u=username, role=role, r=gid("Region", grid.id))
    return await sign_in(username)


async def listed(client: GraphQLClient, kind: str) -> set[int]:
    data = await client.query(f"{{ list: {kind}s(first: 500) {{ totalCount nodes {{ id }} }} }}")
    from strawberry.relay import from_base64
    return {int(from_base64(n["id"])[1]) for n in data["list"]["nodes"]}


@pytest.mark.parametrize("who,operation,code", ACCESS, ids=[f"{w}-{o}" for w, o, _ in ACCESS])
async def test_only_region_admins_regrid(sign_in, who, operation, code):
    # dry runs and refusals change nothing: the first town's grids, which the other tests
    # here (splitting and merging the last town's) leave as many as the demo made
    grid, other = (await leaf_grids(0))[-2:]
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
    # the other tests here may have split or merged the demo's grids first: this may be a
    # part of one, its events reported in a grid retired then
    grid = [g for g in await leaf_grids(-1) if await models.Place.filter(region_id=g.id).count() >= 4][0]
    community = await models.Region.get(id=grid.parent_id)
    # grants other tests made at this grid go with the split too
    granted_before = await models.CasbinRule.filter(ptype="g", v2__startswith=grid.region_path).count()
    w1 = await new_worker(sign_in, admin, "split_w1", grid)
    w2 = await new_worker(sign_in, admin, "split_w2", grid)
    places = sorted(await models.Place.filter(region_id=grid.id, deleted_at=None).values_list("id", flat=True))
    persons = await models.Person.filter(region_id=grid.id, deleted_at=None).count()
    events = await models.Event.filter(region_id=grid.id, deleted_at=None).values_list("id", flat=True)
    assert persons and events and await listed(w1, "person") == await listed(w2, "person")
    half = places[len(places) // 2:]
    east_digits, west_digits = await free_digits(community, count=2)
    parts = [{"name": grid.name + "东", "code": community.code + east_digits, "usernames": ["split_w1"]},
             {"name": grid.name + "西", "code": community.code + west_digits, "usernames": ["split_w2"],
              "placeIds": [gid("Place", i) for i in half]}]

    REPORTED = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event { region { path }
        reportedRegion { path name deletedAt } } } }"""
    # where each event was reported: this grid, or one retired since (split or merged into it);
    # visits to key persons apart, which the county centre may not read
    seen = await models.Event.filter(id__in=events).exclude(category=KEY_VISIT_CATEGORY).values_list("id", flat=True)
    reported_in = [n["reportedRegion"]["path"] for n in (await gql.query(
        REPORTED, ids=[gid("Event", i) for i in seen]))["nodes"]]

    dry = (await admin.query(SPLIT, r=gid("Region", grid.id), parts=parts, dry=True))["splitRegion"]
    assert dry["dryRun"] and dry["moved"]["persons"] == persons and dry["moved"]["places"] == len(places)
    assert dry["moved"]["events"] == len(events) and dry["moved"]["grants"] == granted_before + 2
    assert dry["moved"]["retired"] == 1
    assert await models.Region.filter(id=grid.id, deleted_at=None).exists()  # nothing changed
    assert not await models.Region.filter(code=community.code + east_digits).exists()
    assert await listed(w1, "person") == await listed(w2, "person")

    split_at = datetime.now(timezone.utc)
    done = (await admin.query(SPLIT, r=gid("Region", grid.id), parts=parts, dry=False))["splitRegion"]
    assert done["moved"] == dry["moved"] and not done["dryRun"]
    east, west = sorted(done["regions"], key=lambda r: r["path"])
    assert east["path"] == community.region_path + east_digits + "/"
    assert west["path"] == community.region_path + west_digits + "/"
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
    data = await gql.query(REPORTED, ids=[gid("Event", i) for i in seen])
    for node, before in zip(data["nodes"], reported_in):
        assert node["reportedRegion"]["path"] == before and node["reportedRegion"]["deletedAt"]
        assert node["region"]["path"] in (east["path"], west["path"])
    # departments hear of it: every moved person has a recorded move from the old grid
    # (the split's own: a transfer of residence out of the grid earlier is one too)
    assert await models.RegionMove.filter(kind="person", from_path=grid.region_path,
                                          moved_at__gte=split_at).count() == persons
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
    # the grid's area stays where it is, outside the other community's: it goes without it
    # (tests/test_spatial.py moves drawn regions)
    taken = await admin.post(MOVE, {"r": gid("Region", grid.id), "p": gid("Region", other_community.id),
                                    "dry": True, "b": None})
    assert taken.codes == ["CONFLICT"]  # its digits are taken there: renumber it
    moved = (await admin.query(MOVE, r=gid("Region", grid.id), p=gid("Region", other_community.id),
                               code=other_community.code + (await free_digits(other_community))[0], dry=False,
                               b=None))["moveRegion"]
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
    code = community.code + (await free_digits(community))[0]
    made = await admin.query("""mutation($p: ID!, $c: String!) {
        createRegion(parent: $p, code: $c, name: "新网格", tier: GRID) { regions { id path name } } }""",
                             p=gid("Region", community.id), c=code)
    region = made["createRegion"]["regions"][0]
    assert region["path"] == community.region_path + code[len(community.code):] + "/"
    renamed = await admin.query("""mutation($r: ID!) { renameRegion(region: $r, name: "改名网格") {
        regions { name } } }""", r=region["id"])
    assert renamed["renameRegion"]["regions"][0]["name"] == "改名网格"
    again = await admin.post("""mutation($p: ID!, $c: String!) {
        createRegion(parent: $p, code: $c, name: "重复", tier: GRID) { dryRun } }""",
                             {"p": gid("Region", community.id), "c": code})
    assert again.codes == ["CONFLICT"]


# ---- events in hand follow the region handling them ------------------------------------

REPORT = """mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }"""
HANDLED = """query($id: ID!) { node(id: $id) { ... on Event { status handlingRegion { path }
    reportedRegion { path } } } }"""


async def in_hand(leader: GraphQLClient, region: models.Region, handler: models.Region,
                  place: int | None = None) -> str:
    """An event reported in `region` (at `place`), dispatched to `handler` and being handled
    there (status HANDLING), as a grid leader over both drives it. It occurred months ago, so
    as not to crowd the newest events other tests page through."""
    event = (await leader.query(REPORT, input={
        "title": "井盖缺失", "kind": "HAZARD", "category": "safety/fire", "source": "PATROL",
        "occurredAt": "2026-05-20T08:00:00Z", "regionId": gid("Region", region.id),
        **({"placeId": gid("Place", place)} if place else {})}))["reportEvent"]["id"]
    await leader.query("mutation($id: ID!) { acceptEvent(id: $id) { status } }", id=event)
    await leader.query("mutation($id: ID!, $r: ID!) { dispatchEvent(id: $id, region: $r) { status } }",
                       id=event, r=gid("Region", handler.id))
    started = await leader.query("mutation($id: ID!) { startHandling(id: $id) { status } }", id=event)
    assert started["startHandling"]["status"] == "HANDLING"
    return event


def row_id(global_id: str) -> int:
    return int(from_base64(global_id)[1])


async def resolves(worker: GraphQLClient, event: str) -> None:
    response = await worker.post("mutation($id: ID!) { resolveEvent(id: $id, feedback: \"已处理\") { status } }",
                                 {"id": event})
    assert not response.errors, response.errors
    assert response.data["resolveEvent"]["status"] == "RESOLVED"


async def test_split_hands_the_events_in_hand_to_the_parts(sign_in):
    admin = await sign_in("admin")
    grid = [g for g in await leaf_grids(-1)
            if await models.Place.filter(region_id=g.id, deleted_at=None).count() >= 2][0]
    community = await models.Region.get(id=grid.parent_id)
    sibling = next(g for g in await models.Region.filter(parent_id=community.id, tier=Tier.GRID, deleted_at=None)
                   .order_by("code") if g.id != grid.id)
    # a grid leader over both grids (held at grids, as delegation requires), granted at each
    await new_worker(sign_in, admin, "hand_lead", sibling, role="grid_leader")
    leader = await new_worker(sign_in, admin, "hand_lead", grid, role="grid_leader")
    w1 = await new_worker(sign_in, admin, "hand_w1", grid)
    w2 = await new_worker(sign_in, admin, "hand_w2", grid)
    place = (await models.Place.filter(region_id=grid.id, deleted_at=None).order_by("-id").first()).id
    at_place = await in_hand(leader, grid, grid, place)    # will lie in the second part
    plain = await in_hand(leader, grid, grid)              # lies where nothing takes it: the first part
    from_sibling = await in_hand(leader, sibling, grid)    # lies in no part: the first part
    handled = await models.Event.filter(handling_region_id=grid.id).count()  # the demo's too
    assert handled >= 3
    first_digits, second_digits = await free_digits(community, count=2)
    parts = [{"name": grid.name + "甲", "code": community.code + first_digits, "usernames": ["hand_w1"]},
             {"name": grid.name + "乙", "code": community.code + second_digits, "usernames": ["hand_w2"],
              "placeIds": [gid("Place", place)]}]
    split = """mutation($r: ID!, $parts: [SplitPartInput!]!, $dry: Boolean!) {
      splitRegion(region: $r, parts: $parts, dryRun: $dry) { moved { handling } regions { id path } } }"""

    dry = (await admin.query(split, r=gid("Region", grid.id), parts=parts, dry=True))["splitRegion"]
    assert dry["moved"]["handling"] == handled
    assert await models.Event.filter(handling_region_id=grid.id).count() == handled  # nothing changed
    done = (await admin.query(split, r=gid("Region", grid.id), parts=parts, dry=False))["splitRegion"]
    assert done["moved"]["handling"] == handled
    first, second = done["regions"]
    assert not await models.Event.filter(handling_region_id=grid.id).exists()
    for event, part in ((at_place, second), (plain, first), (from_sibling, first)):
        row = await models.Event.get(id=row_id(event))
        assert row.handling_region_id == row_id(part["id"]), event
    # the history stays: each still shows the grid it was reported in
    assert [(await models.Event.get(id=row_id(e))).reported_region_id for e in (at_place, plain, from_sibling)] \
        == [grid.id, grid.id, sibling.id]
    # the part's worker sees who handles it and takes its next step
    node = (await w2.query(HANDLED, id=at_place))["node"]
    assert node["handlingRegion"]["path"] == second["path"] and node["reportedRegion"]["path"] == grid.region_path
    await resolves(w2, at_place)
    await resolves(w1, plain)
    audit = await models.AuditEntry.filter(action="split_region", object_id=grid.region_path).first()
    assert audit.detail["counts"]["handling"] == handled


async def test_merge_hands_the_events_in_hand_to_the_region_merged_into(sign_in):
    admin = await sign_in("admin")
    into = (await leaf_grids(-1))[-1]
    community = await models.Region.get(id=into.parent_id)
    made = await admin.query("""mutation($p: ID!, $c: String!) { createRegion(parent: $p, code: $c,
        name: "待并网格", tier: GRID) { regions { id } } }""", p=gid("Region", community.id),
                             c=community.code + (await free_digits(community))[0])
    merged = await models.Region.get(id=row_id(made["createRegion"]["regions"][0]["id"]))
    leader = await new_worker(sign_in, admin, "merge_lead", merged, role="grid_leader")
    worker = await new_worker(sign_in, admin, "merge_into_w", into)
    event = await in_hand(leader, merged, merged)
    handled = await models.Event.filter(handling_region_id=into.id).count()

    done = (await admin.query("""mutation($rs: [ID!]!, $into: ID!) { mergeRegions(regions: $rs, into: $into) {
        moved { handling retired } } }""", rs=[gid("Region", merged.id)], into=gid("Region", into.id)))
    assert done["mergeRegions"]["moved"] == {"handling": 1, "retired": 1}
    row = await models.Event.get(id=row_id(event))
    assert (row.handling_region_id, row.region_id, row.reported_region_id) == (into.id, into.id, merged.id)
    assert row.dispatcher_region_id == into.id  # the tier that dispatched it is succeeded too: returns go there
    assert await models.Event.filter(handling_region_id=into.id).count() == handled + 1
    node = (await worker.query(HANDLED, id=event))["node"]
    assert node["handlingRegion"]["path"] == into.region_path and node["reportedRegion"]["path"] == merged.region_path
    await resolves(worker, event)


# ---- codes nest: the parent's code and digits of its own --------------------------------

# (parent, code, tier of the new region, expected error code or "" for accepted); in a code,
# {county}, {town}, {community}, {grid} are the parent's codes, {other} another town's
# first community's, and {free} three digits no region holds under the parent.
CODES = [
    ("community", "{community}{free}", "GRID", ""),
    ("community", "{community}9", "GRID", ""),
    ("community", "006", "GRID", "BAD_USER_INPUT"),                   # the grid's own digits alone
    ("community", "{other}009", "GRID", "BAD_USER_INPUT"),            # another community's prefix
    ("community", "{community}", "GRID", "BAD_USER_INPUT"),           # the parent's own code
    ("community", "{community}9a9", "GRID", "BAD_USER_INPUT"),        # not digits
    ("community", "{community}９８９", "GRID", "BAD_USER_INPUT"),     # full-width digits
    ("community", "", "GRID", "BAD_USER_INPUT"),
    ("community", "{community}" + "9" * 21, "GRID", "BAD_USER_INPUT"),  # longer than a code is stored
    ("community", "{town}989", "GRID", "BAD_USER_INPUT"),             # the grandparent's prefix
    ("grid", "{grid}{free}", "MICRO_GRID", ""),
    ("grid", "{community}989", "MICRO_GRID", "BAD_USER_INPUT"),
    ("town", "{town}{free}", "COMMUNITY", ""),
    ("town", "389", "COMMUNITY", "BAD_USER_INPUT"),
    ("county", "{county}{free}", "TOWN", ""),
    ("county", "341824100", "TOWN", "BAD_USER_INPUT"),                # another county's
]


async def code_parents() -> dict[str, models.Region]:
    grid = (await leaf_grids(-1))[0]
    community = await models.Region.get(id=grid.parent_id)
    town = await models.Region.get(id=community.parent_id)
    county = await models.Region.get(id=town.parent_id)
    other_town = (await models.Region.filter(tier=Tier.TOWN, deleted_at=None).order_by("code"))[0]
    other = await models.Region.filter(parent_id=other_town.id, deleted_at=None).order_by("code").first()
    assert other_town.id != town.id
    return {"county": county, "town": town, "community": community, "grid": grid, "other": other}


@pytest.mark.parametrize("parent,code,tier,expected", CODES, ids=[f"{p}-{c}-{e or 'ok'}" for p, c, _, e in CODES])
async def test_a_new_region_code_is_its_parents_and_its_own_digits(sign_in, parent, code, tier, expected):
    admin = await sign_in("admin")
    regions = await code_parents()
    code = code.format(free=(await free_digits(regions[parent]))[0], **{k: r.code for k, r in regions.items()})
    response = await admin.post("""mutation($p: ID!, $c: String!, $t: Tier!) {
        createRegion(parent: $p, code: $c, name: "编码网格", tier: $t, dryRun: true) { moved { created } } }""",
                                {"p": gid("Region", regions[parent].id), "c": code, "t": tier})
    assert (response.codes[0] if response.errors else "") == expected, response.errors
    if expected:
        assert response.errors[0]["extensions"]["field"] == "code"


# (operation, code given for a split's second part or a move, expected error code)
GIVEN_CODES = [
    ("split", "{community}{free}", ""),
    ("split", "006", "BAD_USER_INPUT"),
    ("split", "{other}009", "BAD_USER_INPUT"),
    ("split", "{community}", "BAD_USER_INPUT"),
    ("split", "{community}x", "BAD_USER_INPUT"),
    ("move", "{to}{free}", ""),
    ("move", "006", "BAD_USER_INPUT"),
    ("move", "{community}951", "BAD_USER_INPUT"),  # the community it leaves
    ("move", "{to}", "BAD_USER_INPUT"),
    ("move", "{to}95x", "BAD_USER_INPUT"),
]


@pytest.mark.parametrize("operation,code,expected", GIVEN_CODES,
                         ids=[f"{o}-{c}-{e or 'ok'}" for o, c, e in GIVEN_CODES])
async def test_split_and_move_check_the_codes_given(sign_in, operation, code, expected):
    admin = await sign_in("admin")
    regions = await code_parents()
    grid, community = regions["grid"], regions["community"]
    to = await models.Region.filter(parent_id=community.parent_id, tier=Tier.COMMUNITY, deleted_at=None) \
        .exclude(id=community.id).order_by("code").first()
    # the first part's digits and {free}: no region holds them where the split or move puts them
    first, free = await free_digits(community, count=2) if operation == "split" else ("", *await free_digits(to))
    code = code.format(to=to.code, free=free, **{k: r.code for k, r in regions.items()})
    if operation == "split":
        response = await admin.post(SPLIT, {"r": gid("Region", grid.id), "dry": True, "parts": [
            {"name": "甲", "code": community.code + first}, {"name": "乙", "code": code}]})
        field = "parts"
    else:
        response = await admin.post(MOVE, {"r": gid("Region", grid.id), "p": gid("Region", to.id), "code": code,
                                           "dry": True, "b": None})
        field = "code"
    assert (response.codes[0] if response.errors else "") == expected, response.errors
    if expected:
        assert response.errors[0]["extensions"]["field"] == field
        assert operation == "move" or "part 2" in response.errors[0]["message"]


async def test_a_split_part_naming_an_unknown_user_is_refused(sign_in):
    admin = await sign_in("admin")
    grid = (await leaf_grids(-1))[0]
    community = await models.Region.get(id=grid.parent_id)
    audited = await models.AuditEntry.filter(action="split_region").count()
    first, second = await free_digits(community, count=2)
    response = await admin.post(SPLIT, {"r": gid("Region", grid.id), "dry": False, "parts": [
        {"name": "甲", "code": community.code + first, "usernames": ["worker"]},
        {"name": "乙", "code": community.code + second, "usernames": ["nobody"]}]})
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["field"] == "parts" and "nobody" in response.errors[0]["message"]
    # nothing changed
    assert await models.Region.filter(id=grid.id, deleted_at=None).exists()
    assert not await models.Region.filter(code__in=[community.code + first, community.code + second]).exists()
    assert await models.AuditEntry.filter(action="split_region").count() == audited


async def test_a_dry_run_answers_no_region_it_would_make(sign_in):
    """A made region's id exists only in the rolled-back transaction (and SQLite hands it to
    the next region made); the existing regions a dry run changes keep their real ids."""
    admin = await sign_in("admin")
    grid = (await leaf_grids(-1))[0]
    community = await models.Region.get(id=grid.parent_id)
    to = await models.Region.filter(parent_id=community.parent_id, tier=Tier.COMMUNITY, deleted_at=None) \
        .exclude(id=community.id).order_by("code").first()
    made, east, west = await free_digits(community, count=3)
    moved_to = (await free_digits(to))[0]
    created = (await admin.query("""mutation($p: ID!, $c: String!) { createRegion(parent: $p, code: $c,
        name: "试建网格", tier: GRID, dryRun: true) { dryRun moved { created } regions { id } } }""",
                                 p=gid("Region", community.id), c=community.code + made))["createRegion"]
    assert created["dryRun"] and created["moved"]["created"] == 1 and created["regions"] == []
    split = (await admin.query(SPLIT, r=gid("Region", grid.id), dry=True, parts=[
        {"name": "甲", "code": community.code + east}, {"name": "乙", "code": community.code + west}]))["splitRegion"]
    assert split["moved"]["created"] == 2 and split["regions"] == []
    moved = (await admin.query(MOVE, r=gid("Region", grid.id), p=gid("Region", to.id), code=to.code + moved_to,
                               dry=True, b=None))["moveRegion"]
    assert [(r["id"], r["path"]) for r in moved["regions"]] == [
        (gid("Region", grid.id), to.region_path + moved_to + "/")]
    renamed = (await admin.query("""mutation($r: ID!) { renameRegion(region: $r, name: "试改名", dryRun: true) {
        regions { id name } } }""", r=gid("Region", grid.id)))["renameRegion"]
    assert renamed["regions"] == [{"id": gid("Region", grid.id), "name": "试改名"}]
    assert (await models.Region.get(id=grid.id)).name == grid.name  # nothing changed


# ---- rules and codes follow the regions they name ----------------------------------------

RULE = "mutation($r: PolicyRuleInput!) { %s(rule: $r) { domain } }"


async def test_rules_and_codes_follow_a_split_a_merge_and_a_move(sign_in):
    """A rule about a grid is about each of its parts after a split (a deny kept on one part
    only would open the others), about `into` after a merge, about its new path after a
    move; the codes of regions under a merged grid nest under the grid merged into."""
    admin = await sign_in("admin")
    grid = [g for g in (await leaf_grids(-1))[:-1]  # the last is the merge test's
            if await models.Place.filter(region_id=g.id, deleted_at=None).count() >= 4][-1]
    community = await models.Region.get(id=grid.parent_id)
    centre = await new_worker(sign_in, admin, "rule_centre", community, role="community_centre")
    persons = set(await models.Person.filter(region_id=grid.id, deleted_at=None).values_list("id", flat=True))
    assert persons <= await listed(centre, "person")
    deny = {"role": "community_centre", "domain": grid.region_path + "*", "object": "person", "action": "read",
            "effect": "deny"}
    await admin.query(RULE % "addPolicyRule", r=deny)
    assert not persons & await listed(centre, "person")

    places = sorted(await models.Place.filter(region_id=grid.id, deleted_at=None).values_list("id", flat=True))
    south_digits, north_digits = await free_digits(community, count=2)
    parts = [{"name": grid.name + "南", "code": community.code + south_digits},
             {"name": grid.name + "北", "code": community.code + north_digits,
              "placeIds": [gid("Place", i) for i in places[len(places) // 2:]]}]
    split = (await admin.query(SPLIT, r=gid("Region", grid.id), parts=parts, dry=False))["splitRegion"]
    south, north = split["regions"]
    for half in (south, north):  # both halves hold persons, and the deny covers each
        assert await models.Person.filter(region_path=half["path"], deleted_at=None).exists()
    assert not persons & await listed(centre, "person")
    denies = models.CasbinRule.filter(ptype="p", v0="community_centre", v2="person", v3="read", v4="deny")
    assert {south["path"] + "*", north["path"] + "*"} <= set(await denies.values_list("v1", flat=True))
    assert not await denies.filter(v1=grid.region_path + "*").exists()

    micro = (await admin.query("""mutation($p: ID!, $c: String!) { createRegion(parent: $p, code: $c,
        name: "北区一号微网格", tier: MICRO_GRID) { regions { id } } }""",
                               p=north["id"], c=community.code + north_digits + "001"))["createRegion"]["regions"][0]
    merged = (await admin.post("""mutation($rs: [ID!]!, $into: ID!) { mergeRegions(regions: $rs, into: $into) {
        moved { regions rules retired } } }""", {"rs": [north["id"]], "into": south["id"]}))
    assert merged.data["mergeRegions"]["moved"] == {"regions": 1, "rules": 1, "retired": 1}, merged.errors
    assert await denies.filter(v1__startswith=community.region_path).values_list("v1", flat=True) \
        == [south["path"] + "*"]  # the two lines became one
    assert not persons & await listed(centre, "person")
    micro_row = await models.Region.get(id=row_id(micro["id"]))
    assert (micro_row.code, micro_row.region_path) == (community.code + south_digits + "001", south["path"] + "001/")

    other = await models.Region.filter(parent_id=community.parent_id, tier=Tier.COMMUNITY, deleted_at=None) \
        .exclude(id=community.id).order_by("code").first()
    moved_digits = (await free_digits(other))[0]
    moved = (await admin.query(MOVE, r=south["id"], p=gid("Region", other.id), code=other.code + moved_digits,
                               dry=False))["moveRegion"]
    new_path = moved["regions"][0]["path"]
    assert new_path == other.region_path + moved_digits + "/"
    assert await denies.filter(v1__startswith=new_path).values_list("v1", flat=True) == [new_path + "*"]
    micro_row = await models.Region.get(id=row_id(micro["id"]))
    assert (micro_row.code, micro_row.region_path) == (other.code + moved_digits + "001", new_path + "001/")
    await admin.query(RULE % "removePolicyRule", r={**deny, "domain": new_path + "*"})


CREATE = """mutation($p: ID!, $c: String!, $t: Tier!) { createRegion(parent: $p, code: $c, name: "新建", tier: $t) {
    regions { id code path } } }"""


async def test_a_moved_region_takes_its_new_parents_code_and_depth(sign_in):
    """Codes nest and depths count levels wherever a subtree goes: a community moved to
    another town takes that town's code and its own digits (its grids with it); a grid moved
    from a total grid up to its community rises a level, its micro-grids with it."""
    admin = await sign_in("admin")
    towns = await models.Region.filter(tier=Tier.TOWN, deleted_at=None).order_by("code")
    town, other_town = towns[-1], towns[0]

    async def create(parent_id: str, code: str, tier: str) -> dict:
        return (await admin.query(CREATE, p=parent_id, c=code, t=tier))["createRegion"]["regions"][0]

    digits = (await free_digits(town, other_town))[0]  # free in the town it leaves and in the one it joins
    community = await create(gid("Region", town.id), town.code + digits, "COMMUNITY")
    grid = await create(community["id"], town.code + digits + "001", "GRID")
    moved = (await admin.query(MOVE, r=community["id"], p=gid("Region", other_town.id), dry=False))["moveRegion"]
    assert [(r["code"], r["path"]) for r in moved["regions"]] == [
        (other_town.code + digits, f"{other_town.region_path}{other_town.code}{digits}/")]
    grid_row = await models.Region.get(id=row_id(grid["id"]))
    assert (grid_row.code, grid_row.region_path) == (other_town.code + digits + "001", moved["regions"][0]["path"] + "001/")

    moved_code = other_town.code + digits
    total = await create(community["id"], moved_code + "8", "TOTAL_GRID")
    under_total = await create(total["id"], moved_code + "8" + "001", "GRID")
    micro = await create(under_total["id"], moved_code + "8001" + "001", "MICRO_GRID")
    ids = [row_id(under_total["id"]), row_id(micro["id"])]
    depths = {r.id: r.depth for r in await models.Region.filter(id__in=ids)}
    await admin.query(MOVE, r=under_total["id"], p=community["id"], code=moved_code + "002", dry=False)
    for region, level in ((under_total, grid_row.depth), (micro, grid_row.depth + 1)):
        row = await models.Region.get(id=row_id(region["id"]))
        assert row.depth == level == depths[row.id] - 1
    assert (await models.Region.get(id=row_id(micro["id"]))).code == moved_code + "002001"
