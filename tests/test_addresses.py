"""Standard addresses (一标): every place has an address code (generated from its region's
code and a serial unless given, unique), and `GET /places/{id}/qr.svg` draws it, scoped."""

import re

import pytest

PLACES = "query($p: String) { places(first: 3, filter: {regionPath: $p}) { nodes { id code addressCode region { code } } } }"
CREATE = """mutation($input: PlaceCreateInput!) { createPlace(input: $input) { id addressCode } }"""


@pytest.fixture(scope="module")
async def grid_places(gql, anchors):
    return {k: (await gql.query(PLACES, p=anchors[k]))["places"]["nodes"] for k in ("grid", "sibling_grid")}


async def test_demo_places_have_address_codes(gql, grid_places):
    from gridhub import models

    for nodes in grid_places.values():
        assert nodes
        for n in nodes:
            assert re.fullmatch(r"[0-9A-Z]+", n["addressCode"])
            assert n["addressCode"].startswith(n["region"]["code"]) and len(n["addressCode"]) == len(
                n["region"]["code"]) + 6
    assert not await models.Place.filter(address_code=None).exists()


async def test_created_places_get_the_next_serial_or_their_own(worker, anchors):
    grid = (await worker.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) "
                               "{ nodes { id code } } }", p=anchors["grid"]))["regions"]["nodes"][0]
    made = [(await worker.query(CREATE, input={"code": f"T-ADDR-{i}", "name": f"测试地址{i}", "kind": "HOUSE",
                                               "regionId": grid["id"]}))["createPlace"] for i in range(2)]
    first, second = (m["addressCode"] for m in made)
    assert first.startswith(grid["code"]) and len(first) == len(grid["code"]) + 6
    assert int(second[-6:]) == int(first[-6:]) + 1
    own = (await worker.query(CREATE, input={"code": "T-ADDR-OWN", "name": "自编地址", "kind": "SHOP",
                                             "regionId": grid["id"], "addressCode": "ZZ0001"}))["createPlace"]
    assert own["addressCode"] == "ZZ0001"
    again = await worker.post(CREATE, {"input": {"code": "T-ADDR-DUP", "name": "重号", "kind": "SHOP",
                                                 "regionId": grid["id"], "addressCode": "ZZ0001"}})
    assert again.codes == ["CONFLICT"] and again.errors[0]["extensions"]["field"] == "addressCode"
    bad = await worker.post(CREATE, {"input": {"code": "T-ADDR-BAD", "name": "坏号", "kind": "SHOP",
                                               "regionId": grid["id"], "addressCode": "ab-1"}})
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_concurrent_creates_in_one_region_get_distinct_serials(worker, anchors):
    """Eight grid workers' apps registering places in one grid at once: each gets its own
    serial, none a CONFLICT (the serial is drawn under a lock on the region)."""
    import asyncio

    grid = (await worker.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) "
                               "{ nodes { id } } }", p=anchors["grid"]))["regions"]["nodes"][0]
    answers = await asyncio.gather(*(
        worker.post(CREATE, {"input": {"code": f"T-ADDR-RACE-{i}", "name": f"并发地址{i}", "kind": "HOUSE",
                                       "regionId": grid["id"]}}) for i in range(8)))
    assert [a.codes for a in answers] == [[]] * 8
    codes = [a.data["createPlace"]["addressCode"] for a in answers]
    assert len(set(codes)) == 8
    serials = sorted(int(c[-6:]) for c in codes)
    assert serials == list(range(serials[0], serials[0] + 8))


async def test_qr_code_of_a_place(http, worker, grid_places):
    from strawberry.relay import GlobalID

    place = grid_places["grid"][0]
    headers = {"Authorization": f"Bearer {worker.token}"}
    for ident in (place["id"], GlobalID.from_id(place["id"]).node_id):
        response = await http.get(f"/places/{ident}/qr.svg", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert "<svg" in response.text
    # a sibling grid's place is not the worker's: as missing as a place that does not exist
    for ident in (grid_places["sibling_grid"][0]["id"], "999999999", "not-an-id"):
        response = await http.get(f"/places/{ident}/qr.svg", headers=headers)
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    response = await http.get(f"/places/{place['id']}/qr.svg")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
