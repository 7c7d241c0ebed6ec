"""Create, update, soft-delete and residence moves over HTTP: validation names the field,
a stale version is a CONFLICT, and a refused mutation writes nothing."""

import base64

import pytest

from gridhub import models
from gridhub.resolvers.write.validation import credit_code_check_char, id_number_check_digit

CREATE_PERSON = """mutation($input: PersonCreateInput!) {
  createPerson(input: $input) { id name gender birthDate tags version region { path } }
}"""
UPDATE_PERSON = """mutation($id: ID!, $version: Int!, $input: PersonUpdateInput!) {
  updatePerson(id: $id, version: $version, input: $input) { id name phone tags version }
}"""


def new_id_number(seq: int) -> str:
    body = f"34182319900101{seq:03d}"
    return body + id_number_check_digit(body)


async def grid_id(gql, anchors) -> str:
    data = await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                           p=anchors["grid"])
    return data["regions"]["nodes"][0]["id"]


async def test_create_update_delete_person(worker, anchors):
    region = await grid_id(worker, anchors)
    created = (await worker.query(CREATE_PERSON, input={
        "idNumber": new_id_number(901), "name": "测试人", "regionId": region, "tags": ["care/low_income"],
        "phone": "13800001111"}))["createPerson"]
    assert created["gender"] == "MALE" and created["birthDate"] == "1990-01-01"
    assert created["region"]["path"] == anchors["grid"] and created["version"] == 1
    assert created["tags"] == ["care/low_income"]

    updated = (await worker.query(UPDATE_PERSON, id=created["id"], version=1,
                               input={"name": "测试人二", "tags": ["role/volunteer"]}))["updatePerson"]
    assert updated["version"] == 2 and updated["name"] == "测试人二" and updated["tags"] == ["role/volunteer"]
    assert updated["phone"] == "13800001111"  # untouched fields stay

    stale = await worker.post(UPDATE_PERSON, {"id": created["id"], "version": 1, "input": {"name": "迟到"}})
    assert stale.codes == ["CONFLICT"]
    assert stale.errors[0]["extensions"]["currentVersion"] == 2
    assert (await models.Person.get(name="测试人二")).version == 2

    deleted = await worker.query("mutation($id: ID!) { deletePerson(id: $id, version: 2) { deletedAt } }",
                              id=created["id"])
    assert deleted["deletePerson"]["deletedAt"]
    gone = await worker.post("query($id: ID!) { node(id: $id) { id } }", {"id": created["id"]})
    assert gone.codes == ["NOT_FOUND"]
    again = await worker.post("mutation($id: ID!) { deletePerson(id: $id) { id } }", {"id": created["id"]})
    assert again.codes == ["NOT_FOUND"]


@pytest.mark.parametrize("change, field", [
    ({"idNumber": "341823199001010010"}, "idNumber"),
    ({"phone": "12345"}, "phone"),
    ({"regionId": "UmVnaW9uOjk5OTk5OTk="}, "regionId"),         # Region:9999999
    ({"regionId": "UGVyc29uOjE="}, "regionId"),                 # Person:1, the wrong type
    ({"tags": ["Care Tag"]}, "tags"),
    ({"name": "   "}, "name"),
    ({"gender": "MALE"}, "gender"),  # 902 is even: the number says female
])
async def test_bad_person_input_names_the_field_and_writes_nothing(worker, anchors, change, field):
    before = await models.Person.all().count()
    data = {"idNumber": new_id_number(902), "name": "坏输入", "regionId": await grid_id(worker, anchors), **change}
    response = await worker.post(CREATE_PERSON, {"input": data})
    assert response.codes == ["BAD_USER_INPUT"], response.errors
    assert response.errors[0]["extensions"]["field"] == field
    assert await models.Person.all().count() == before


async def test_enum_values_are_checked(worker, anchors):
    data = {"idNumber": new_id_number(903), "name": "枚举", "regionId": await grid_id(worker, anchors),
            "populationType": "ALIEN"}
    response = await worker.post(CREATE_PERSON, {"input": data})
    assert response.codes == ["BAD_USER_INPUT"]


async def test_duplicate_identity_number_is_a_conflict(worker, anchors):
    existing = await models.Person.all().order_by("id").first()
    response = await worker.post(CREATE_PERSON, {"input": {
        "idNumber": existing.id_number, "name": "重复", "regionId": await grid_id(worker, anchors)}})
    assert response.codes == ["CONFLICT"] and response.errors[0]["extensions"]["field"] == "idNumber"


async def test_a_failing_link_rolls_back_the_whole_event(worker, anchors):
    before = await models.Event.all().count()
    response = await worker.post("""mutation($input: EventCreateInput!) { createEvent(input: $input) { id } }""", {
        "input": {"title": "半截事件", "kind": "HAZARD", "category": "safety/fire", "source": "PATROL",
                  "occurredAt": "2026-11-20T08:00:00Z", "regionId": await grid_id(worker, anchors),
                  "personIds": ["UGVyc29uOjk5OTk5OTk="]}})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == "personIds"
    assert await models.Event.all().count() == before


@pytest.mark.parametrize("kind, input_, field", [
    ("Organisation", {"name": "坏代码公司", "kind": "ENTERPRISE", "creditCode": "91350100M000100Y44"}, "creditCode"),
    ("Place", {"code": "X-1", "name": "坏坐标", "kind": "SHOP", "longitude": 200.0, "latitude": 30.0}, "longitude"),
    ("Thing", {"code": "T-1", "name": "半坐标", "kind": "HYDRANT", "latitude": 30.0}, "longitude"),
    ("Event", {"title": "坏满意度", "kind": "REQUEST", "category": "Safety!", "source": "HOTLINE",
               "occurredAt": "2026-11-20T08:00:00Z"}, "category"),
])
async def test_validation_of_other_kinds(worker, anchors, kind, input_, field):
    response = await worker.post(f"mutation($input: {kind}CreateInput!) {{ create{kind}(input: $input) {{ id }} }}",
                              {"input": {**input_, "regionId": await grid_id(worker, anchors)}})
    assert response.codes == ["BAD_USER_INPUT"], response.errors
    assert response.errors[0]["extensions"]["field"] == field


async def test_create_each_kind(worker, anchors):
    region = await grid_id(worker, anchors)
    body = "91341823MA2N" + "00001"
    org = await worker.query("""mutation($input: OrganisationCreateInput!) { createOrganisation(input: $input) {
        id creditCode kind } }""", input={"name": "测试物业", "kind": "PROPERTY_MANAGEMENT", "regionId": region,
                                          "creditCode": body + credit_code_check_char(body)})
    place = await worker.query("""mutation($input: PlaceCreateInput!) { createPlace(input: $input) { id kind } }""",
                            input={"code": "TEST-PLACE-1", "name": "测试小区1幢", "kind": "BUILDING",
                                   "regionId": region, "longitude": 118.3, "latitude": 30.9})
    thing = await worker.query("""mutation($input: ThingCreateInput!) { createThing(input: $input) {
        id place { id } owner { id } } }""", input={
        "code": "TEST-THING-1", "name": "消防栓", "kind": "HYDRANT", "regionId": region,
        "placeId": place["createPlace"]["id"], "ownerId": org["createOrganisation"]["id"]})
    household = await worker.query("""mutation($input: HouseholdCreateInput!) { createHousehold(input: $input) {
        id place { id } } }""", input={"code": "TEST-HH-1", "regionId": region, "placeId": place["createPlace"]["id"]})
    event = await worker.query("""mutation($input: EventCreateInput!) { createEvent(input: $input) {
        id status things { id } place { id } } }""", input={
        "title": "消防栓漏水", "kind": "HAZARD", "category": "safety/fire", "source": "PATROL",
        "occurredAt": "2026-11-20T08:00:00Z", "regionId": region, "placeId": place["createPlace"]["id"],
        "thingIds": [thing["createThing"]["id"]]})
    assert thing["createThing"]["owner"]["id"] == org["createOrganisation"]["id"]
    assert household["createHousehold"]["place"]["id"] == place["createPlace"]["id"]
    assert event["createEvent"]["status"] == "REPORTED"
    assert event["createEvent"]["things"] == [{"id": thing["createThing"]["id"]}]


async def test_residence_moves_keep_history(worker, anchors):
    region = await grid_id(worker, anchors)
    person = (await worker.query(CREATE_PERSON, input={"idNumber": new_id_number(904), "name": "流动人员",
                                                    "regionId": region, "populationType": "FLOATING"}))["createPerson"]
    places = (await worker.query("query($p: String) { places(first: 2, filter: {regionPath: $p, kind: [RENTAL_HOUSE, HOUSE]}) "
                              "{ nodes { id } } }", p=anchors["grid"]))["places"]["nodes"]
    move_in = """mutation($person: ID!, $place: ID!, $on: Date!) {
        registerResidence(person: $person, place: $place, startedOn: $on) { startedOn endedOn place { id } } }"""
    await worker.query(move_in, person=person["id"], place=places[0]["id"], on="2026-01-10")
    await worker.query(move_in, person=person["id"], place=places[1]["id"], on="2026-06-01")
    again = await worker.post(move_in, {"person": person["id"], "place": places[1]["id"], "on": "2026-07-01"})
    assert again.codes == ["CONFLICT"]
    out = await worker.query("""mutation($person: ID!) { endResidence(person: $person, endedOn: "2026-10-01") {
        endedOn } }""", person=person["id"])
    assert out["endResidence"]["endedOn"] == "2026-10-01"
    history = await worker.query("""query($id: ID!) { node(id: $id) { ... on Person { residence { id }
        residences { nodes { startedOn endedOn place { id } } } } } }""", id=person["id"])
    assert history["node"]["residence"] is None
    assert [(r["startedOn"], r["endedOn"], r["place"]["id"]) for r in history["node"]["residences"]["nodes"]] == [
        ("2026-06-01", "2026-10-01", places[1]["id"]), ("2026-01-10", "2026-06-01", places[0]["id"])]
    nothing = await worker.post("""mutation($person: ID!) { endResidence(person: $person, endedOn: "2026-10-02") {
        endedOn } }""", {"person": person["id"]})
    assert nothing.codes == ["CONFLICT"]


async def test_every_data_edit_is_audited_without_its_values(worker, anchors):
    region = await grid_id(worker, anchors)
    id_number = new_id_number(933)
    created = (await worker.query(CREATE_PERSON, input={"idNumber": id_number, "name": "审计测试",
                                                        "regionId": region}))["createPerson"]
    row_id = int(base64.b64decode(created["id"]).decode().split(":")[1])
    refused = await worker.post(UPDATE_PERSON, {"id": created["id"], "version": 7, "input": {"name": "过期"}})
    assert refused.codes == ["CONFLICT"]
    await worker.query(UPDATE_PERSON, id=created["id"], version=1, input={"phone": "13900001111"})
    await worker.query("mutation($id: ID!) { deletePerson(id: $id, version: 2) { deletedAt } }", id=created["id"])

    entries = await models.AuditEntry.filter(object_kind="person", object_id=str(row_id)).exclude(
        action="read_sensitive").order_by("id")
    assert [(e.actor, e.action) for e in entries] == [("worker", "create"), ("worker", "update"),
                                                       ("worker", "delete")]
    assert entries[1].detail == {"fields": ["phone"]} and all(e.region_path == anchors["grid"] for e in entries)
    assert not any(id_number in str(e.detail) or "13900001111" in str(e.detail) for e in entries)
