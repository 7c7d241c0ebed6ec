"""GB/T 31000's basic data of 实有人口 beyond identity (issue 22, point 1): former names, native place,
marital and political status, education, religion, occupation and employer; over HTTP as the
demo users. Codes from the national standards, refusals naming the field, the special
categories (political status, religion) withheld where not granted on both read paths, and
division codes checked against the official list (python-stdnum) for native places and regions."""

import itertools

import pytest

from gridhub import models

from .migrating import upgrade
from .servers import scratch_database
from .test_compiled import read_path
from .test_mutations import grid_id
from .test_registers import gb11643, registered  # noqa: F401 (a fixture)

CREATE = """mutation($input: PersonCreateInput!) { createPerson(input: $input) {
  id version formerNames nativePlace maritalStatus politicalStatus education religion occupation employer } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $input: PersonUpdateInput!) { updatePerson(id: $id, version: $v, input: $input) {
  id version nativePlace maritalStatus religion employer } }"""
SEQUENCE = itertools.count(701)

BASIC = {"formerNames": "李二妹", "nativePlace": "341823", "maritalStatus": "MARRIED", "politicalStatus": "CPC_MEMBER",
         "education": "UNDERGRADUATE", "religion": "BUDDHISM", "occupation": "PROFESSIONAL", "employer": "县人民医院"}


def new_number() -> str:
    return gb11643(f"34022319850505{next(SEQUENCE):03d}")


async def test_the_basic_data_is_registered_and_changed(worker, anchors, registered):
    registered.append("基础信息甲")
    person = (await worker.query(CREATE, input={"name": "基础信息甲", "idNumber": new_number(),
                                                "regionId": await grid_id(worker, anchors), **BASIC}))["createPerson"]
    assert {k: person[k] for k in BASIC} == BASIC
    changed = (await worker.query(UPDATE, id=person["id"], v=person["version"], input={
        "nativePlace": "340000", "maritalStatus": "WIDOWED", "religion": None, "employer": "退休"}))["updatePerson"]
    assert changed["nativePlace"] == "340000" and changed["maritalStatus"] == "WIDOWED"
    assert changed["religion"] is None and changed["employer"] == "退休"
    row = await models.Person.get(name="基础信息甲")
    assert row.native_place == "340000" and row.religion is None and row.political_status.value == "cpc_member"
    entry = await models.AuditEntry.filter(object_kind="person", object_id=str(row.id), action="update").first()
    assert {"nativePlace", "maritalStatus", "religion", "employer"} <= set(entry.detail["fields"])


REFUSED = [
    ({"nativePlace": "999999"}, "nativePlace"),  # no such division
    ({"nativePlace": "3418"}, "nativePlace"),  # not six digits
    ({"nativePlace": "34182３"}, "nativePlace"),  # a full-width digit
    ({"employer": "单" * 129}, "employer"),
    ({"formerNames": "名" * 256}, "formerNames"),
    ({"tags": ["foo/bar"]}, "tags"),  # not in the vocabulary
]


@pytest.mark.parametrize("given, field", REFUSED, ids=[f for _, f in REFUSED])
async def test_bad_basic_data_is_refused_naming_the_field(worker, anchors, given, field):
    response = await worker.post(CREATE, {"input": {"name": "不该登记", "idNumber": new_number(),
                                                    "regionId": await grid_id(worker, anchors), **given}})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == field
    assert not await models.Person.exists(name="不该登记")


async def test_an_unknown_code_of_an_enum_is_refused_by_graphql(worker, anchors):
    response = await worker.post(CREATE, {"input": {"name": "不该登记", "idNumber": new_number(),
                                                    "regionId": await grid_id(worker, anchors),
                                                    "politicalStatus": "PIRATE"}})
    assert response.errors and response.data is None
    assert not await models.Person.exists(name="不该登记")


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled-path", "resolver-path"])
async def test_special_categories_are_withheld_without_their_grant(settings, sign_in, anchors, compiled):
    """Political status and religion: whole for the grid worker in its grid, null for the
    centres and departments, on both read paths; the plain basic data is shown to all."""
    query = ("query($p: String) { persons(first: 200, filter: {regionPath: $p}) { nodes { id politicalStatus "
             "religion maritalStatus education nativePlace } } }")
    held = {p.id: p for p in await models.Person.filter(region_path__startswith=anchors["grid"], deleted_at=None)}
    assert sum(p.religion is not None for p in held.values()) > 5, "the demo records religions in the grid"
    with read_path(settings, compiled):
        worker = (await (await sign_in("worker")).query(query, p=anchors["grid"]))["persons"]["nodes"]
        county = (await (await sign_in("county")).query(query, p=anchors["grid"]))["persons"]["nodes"]
    assert worker and len(worker) == len(county)
    from strawberry.relay import from_base64

    for node in worker:
        row = held[int(from_base64(node["id"])[1])]
        assert node["religion"] == (row.religion and row.religion.name)
        assert node["politicalStatus"] == (row.political_status and row.political_status.name)
    assert all(n["religion"] is None and n["politicalStatus"] is None for n in county)
    assert [n["maritalStatus"] for n in county] == [n["maritalStatus"] for n in worker]
    assert any(n["nativePlace"] for n in county) and any(n["education"] for n in county)


async def test_reading_a_special_category_is_audited(sign_in, anchors):
    worker = await sign_in("worker")
    mark = (await models.AuditEntry.all().order_by("-id").first()).id
    nodes = (await worker.query("query($p: String) { persons(first: 3, filter: {regionPath: $p}) { nodes { religion "
                                "} } }", p=anchors["grid"]))["persons"]["nodes"]
    assert len(nodes) == 3
    entries = await models.AuditEntry.filter(id__gt=mark, actor="worker", field="religion")
    assert entries, "a read of an unmasked religion is audited as one"


async def test_filters_on_basic_data(sign_in, anchors):
    county = await sign_in("county")
    married = (await county.query("{ persons(filter: {maritalStatus: [MARRIED]}) { totalCount } }"))["persons"]
    assert married["totalCount"] == await models.Person.filter(marital_status="married", deleted_at=None).count()
    native = (await county.query('{ persons(filter: {nativePlace: ["34"]}) { totalCount } }'))["persons"]
    assert native["totalCount"] == await models.Person.filter(native_place__startswith="34", deleted_at=None).count()
    assert 0 < native["totalCount"] < await models.Person.filter(deleted_at=None).count()
    refused = await county.post('{ persons(filter: {religion: [ISLAM]}) { totalCount } }')
    assert refused.codes == ["FORBIDDEN"]
    worker = await sign_in("worker")
    own = (await worker.query("query($p: String) { persons(filter: {regionPath: $p, religion: [NONE]}) { totalCount } }",
                              p=anchors["grid"]))["persons"]["totalCount"]
    assert own == await models.Person.filter(region_path__startswith=anchors["grid"], religion="none",
                                             deleted_at=None).count()


CREATE_REGION = """mutation($p: ID!, $c: String!) { createRegion(parent: $p, code: $c, name: "编码核对", tier: TOWN,
  dryRun: true) { dryRun } }"""


async def test_a_region_code_outside_the_official_list_is_refused(sign_in, anchors):
    admin = await sign_in("admin")
    county = await models.Region.get(region_path=anchors["county"])
    gid = (await admin.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                             p=anchors["county"]))["regions"]["nodes"][0]["id"]
    assert (await admin.post(CREATE_REGION, {"p": gid, "c": county.code + "987"})).errors == []
    from gridhub.resolvers.domain.regrid import _check_code

    bogus = models.Region(code="999999", region_path="/999999/", depth=0)
    with pytest.raises(Exception) as refused:
        _check_code("999999100", bogus)
    assert getattr(refused.value, "field", None) == "code"


OLDER_COUNTY = [
    "INSERT INTO region (code, name, tier, region_path, depth, created_at, updated_at, version) "
    "VALUES ('340223', '南陵县', 'county', '/340223/', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
    "INSERT INTO person (region_id, region_path, id_number, name, gender, birth_date, ethnicity, registered_address, "
    "population_type, created_at, updated_at, version) SELECT id, region_path, '340223198001010011', '旧登记', "
    "'male', '1980-01-01', '汉族', '', 'registered', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 FROM region",
    "INSERT INTO household (code, region_id, region_path, created_at, updated_at, version) "
    "SELECT 'H1', id, region_path, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 FROM region",
    "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES "
    "('p', 'grid_worker', '*', 'person', 'read', 'allow', ''), "
    "('p', 'policy_admin', '*', 'category', 'update', 'allow', '')",
]


def test_migration_0022_brings_an_older_database_along(tmp_path):
    """Persons keep their rows with the basic data unknown, the vocabulary is there with its
    labels, and grid workers in use get the new lines (special categories, programmes)."""
    for url in scratch_database(tmp_path, "gh_older_registers"):
        persons, label, lines, households = upgrade(url, "gridhub.0018_residence_registration", OLDER_COUNTY, after=[
            "SELECT former_names, native_place, marital_status, religion, employer FROM person",
            "SELECT label FROM vocabulary_tag WHERE tag = 'care/elderly_alone'",
            "SELECT v2, v3 FROM casbin_rule WHERE v0 = 'grid_worker' AND v2 <> 'person'",
            "SELECT joint_unit_id FROM household"]).after
    assert persons == [{"former_names": "", "native_place": None, "marital_status": None, "religion": None,
                        "employer": ""}]
    assert label == [{"label": "独居老人"}]
    assert {"person.religion read", "person.political_status read", "joint_unit create",
            "volunteer_activity read"} <= {f"{r['v2']} {r['v3']}" for r in lines}
    assert households == [{"joint_unit_id": None}]
