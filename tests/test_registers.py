"""Every resident registered by the document they hold (issue 22): over HTTP as the demo's
grid worker, each document type by its own rules, refusals naming the field and writing
nothing, uniqueness per (type, nationality, number), and the mask of a number that is not in
GB 11643's layout."""

import base64
import itertools
from datetime import datetime, timedelta, timezone

import pytest

from gridhub import models
from gridhub.resolvers.write.validation import credit_code_check_char, id_number_check_digit

from .migrating import upgrade
from .servers import scratch_database
from .test_mutations import grid_id

CREATE = """mutation($input: PersonCreateInput!) {
  createPerson(input: $input) { id idType idNumber nationality birthDate gender birthYear } }"""
READ = "query($id: ID!) { node(id: $id) { ... on Person { idType idNumber nationality birthDate gender } } }"


def gb11643(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


@pytest.fixture
async def registered():
    """The persons a test registers, soft-deleted afterwards so the demo's counts stay."""
    names: list[str] = []
    yield names
    await models.Person.filter(name__in=names).update(deleted_at=datetime.now(timezone.utc))


# (document, number, nationality, birthDate, gender given) -> what the register holds
DOCUMENTS = [
    ("RESIDENT_ID", gb11643("65010219800101501"), None, None, None,
     ("65010219800101501", "CHN", "1980-01-01", "MALE")),
    ("HK_MACAO_RESIDENCE_PERMIT", gb11643("81000019851231502"), None, None, None,
     ("81000019851231502", "CHN", "1985-12-31", "FEMALE")),
    ("TAIWAN_RESIDENCE_PERMIT", gb11643("83000019700606503"), None, None, None,
     ("83000019700606503", "CHN", "1970-06-06", "MALE")),
    ("HK_MACAO_TRAVEL_PERMIT", "H87654321", None, "1991-02-03", "FEMALE", ("H87654321", "CHN", "1991-02-03", "FEMALE")),
    ("TAIWAN_TRAVEL_PERMIT", "87654321", None, "1966-07-08", "MALE", ("87654321", "CHN", "1966-07-08", "MALE")),
    ("PASSPORT", "gh5010001", "kor", "1988-08-08", "FEMALE", ("GH5010001", "KOR", "1988-08-08", "FEMALE")),
    ("FOREIGN_PERMANENT_RESIDENCE", "USA345010101", None, "1975-05-05", "MALE", None),  # 15 characters: refused
    ("FOREIGN_PERMANENT_RESIDENCE", "USA341975050501", None, "1975-05-05", "MALE",
     ("USA341975050501", "USA", "1975-05-05", "MALE")),
    ("FOREIGN_PERMANENT_RESIDENCE", gb11643("93484019790909504"), None, None, None,
     ("93484019790909504", "USA", "1979-09-09", "FEMALE")),
]


@pytest.mark.parametrize("id_type, number, nationality, born, gender, held", DOCUMENTS,
                         ids=[f"{d[0]}-{d[1]}" for d in DOCUMENTS])
async def test_each_document_registers_a_resident(worker, anchors, registered, id_type, number, nationality,
                                                  born, gender, held):
    name = f"证件{id_type[:12]}{number[-4:]}"
    registered.append(name)
    given = {"idType": id_type, "idNumber": number, "nationality": nationality, "birthDate": born,
             "gender": gender}
    response = await worker.post(CREATE, {"input": {"name": name, "regionId": await grid_id(worker, anchors),
                                                    **{k: v for k, v in given.items() if v is not None}}})
    if held is None:
        assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == "idNumber"
        assert not await models.Person.exists(name=name)
        return
    person = response.ok()["createPerson"]
    full_number = held[0] if len(held[0]) != 17 else gb11643(held[0])
    assert (person["idType"], person["idNumber"], person["nationality"], person["birthDate"], person["gender"]) == \
        (id_type, full_number, *held[1:])
    assert person["birthYear"] == int(held[2][:4])


# (what is given) -> the field named; the worker's grid is added
REFUSED = [
    ({"idNumber": "999999199003151234"}, "idNumber"),  # no such area
    ({"idNumber": gb11643("81000019900315123")}, "idNumber"),  # a Hong Kong permit's number as a mainland one
    ({"idType": "PASSPORT", "idNumber": "GH5010002", "birthDate": "1980-01-01", "gender": "MALE"}, "nationality"),
    ({"idType": "PASSPORT", "idNumber": "GH5010002", "nationality": "XXX", "birthDate": "1980-01-01",
      "gender": "MALE"}, "nationality"),
    ({"idType": "PASSPORT", "idNumber": "GH5010002", "nationality": "KOR", "gender": "MALE"}, "birthDate"),
    ({"idType": "PASSPORT", "idNumber": "GH5010002", "nationality": "KOR", "birthDate": "1980-01-01"}, "gender"),
    ({"idType": "HK_MACAO_RESIDENCE_PERMIT", "idNumber": gb11643("81000019900315123"), "birthDate": "1990-03-16"},
     "birthDate"),
    ({"idNumber": gb11643("65010219800101505"), "ethnicity": "火星族"}, "ethnicity"),
    ({"idNumber": gb11643("65010219800101505"), "nationality": "KOR"}, "nationality"),
]


@pytest.mark.parametrize("given, field", REFUSED, ids=[f"{r[1]}-{i}" for i, r in enumerate(REFUSED)])
async def test_a_refused_document_names_the_field_and_writes_nothing(worker, anchors, given, field):
    name = f"拒绝登记{field}"
    response = await worker.post(CREATE, {"input": {"name": name, "regionId": await grid_id(worker, anchors),
                                                    **given}})
    assert response.codes == ["BAD_USER_INPUT"], response.errors
    assert response.errors[0]["extensions"]["field"] == field
    assert not await models.Person.exists(name=name)


async def test_a_number_is_unique_per_type_and_nationality(worker, anchors, registered):
    region = await grid_id(worker, anchors)

    async def register(name: str, **document):
        registered.append(name)
        return await worker.post(CREATE, {"input": {"name": name, "regionId": region, "birthDate": "1980-01-01",
                                                    "gender": "MALE", **document}})

    assert (await register("护照甲", idType="PASSPORT", idNumber="55501234", nationality="KOR")).ok()
    # the same passport number issued by another state, and as a Taiwan travel permit: other persons
    assert (await register("护照乙", idType="PASSPORT", idNumber="55501234", nationality="JPN")).ok()
    assert (await register("台胞丙", idType="TAIWAN_TRAVEL_PERMIT", idNumber="55501234")).ok()
    twice = await register("护照丁", idType="PASSPORT", idNumber="55501234", nationality="KOR")
    assert twice.codes == ["CONFLICT"] and twice.errors[0]["extensions"]["field"] == "idNumber"
    assert not await models.Person.exists(name="护照丁")


@pytest.mark.parametrize("role, number, shown", [("worker", "GH5010008", "GH5010008"),
                                                 ("community", "GH5010009", "G*******9")])
async def test_a_passport_number_is_masked_to_its_ends(worker, sign_in, anchors, registered, role, number, shown):
    """The demo's community centre reads its persons' numbers masked; a passport keeps one
    character at each end (a GB 11643 number keeps six and one)."""
    registered.append(f"护照掩码{role}")
    created = (await worker.query(CREATE, input={
        "name": f"护照掩码{role}", "regionId": await grid_id(worker, anchors), "idType": "PASSPORT", "idNumber": number,
        "nationality": "SGP", "birthDate": "1980-01-01", "gender": "FEMALE"}))["createPerson"]
    read = (await (await sign_in(role)).query(READ, id=created["id"]))["node"]
    assert read["idNumber"] == shown and read["idType"] == "PASSPORT" and read["nationality"] == "SGP"
    assert (read["birthDate"] is None) == (role == "community")


async def test_credit_codes_name_authority_kind_and_area(worker, anchors):
    """The issue's nonsense code passes the check character and is still refused."""
    region = await grid_id(worker, anchors)
    for first17 in ("99999999MA2N0ABC1", "91999999MA2N0ABC1"):
        response = await worker.post(
            "mutation($input: OrganisationCreateInput!) { createOrganisation(input: $input) { id } }",
            {"input": {"name": "无效单位", "kind": "ENTERPRISE", "regionId": region,
                       "creditCode": first17 + credit_code_check_char(first17)}})
        assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == "creditCode"
    assert not await models.Organisation.exists(name="无效单位")


async def test_the_demo_registers_overseas_residents_by_their_documents(app):
    overseas = await models.Person.filter(population_type="overseas", deleted_at=None).values_list("id_type", flat=True)
    assert overseas and "resident_id" not in overseas
    assert {"passport", "hk_macao_travel_permit", "taiwan_travel_permit"} <= set(overseas)
    others = await models.Person.filter(population_type__in=("registered", "floating"),
                                        deleted_at=None).values_list("id_type", flat=True)
    assert set(others) == {"resident_id"}


def test_migration_0017_brings_older_persons_along(tmp_path):
    """A database made before documents: its persons hold resident identity numbers of China,
    and the number is then unique per document type, not across them."""
    number = gb11643("34022319800101001")
    county = ("INSERT INTO region (code, name, tier, region_path, depth, created_at, updated_at, version) "
              "VALUES ('340223', '南陵县', 'county', '/340223/', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)")
    person = ("INSERT INTO person (region_id, region_path, id_number, name, gender, birth_date, ethnicity, "
              "registered_address, population_type, created_at, updated_at, version) SELECT id, region_path, "
              f"'{number}', '旧登记', 'male', '1980-01-01', '汉族', '', 'registered', CURRENT_TIMESTAMP, "
              "CURRENT_TIMESTAMP, 1 FROM region")
    for url in scratch_database(tmp_path, "gh_older_persons"):
        persons, other_document, same_document = upgrade(url, "gridhub.0012_department_template", [county, person], after=[
            "SELECT id_type, id_number, nationality FROM person",
            "INSERT INTO person (region_id, region_path, id_type, id_number, nationality, name, gender, birth_date, "
            "ethnicity, registered_address, population_type, created_at, updated_at, version) SELECT region_id, "
            "region_path, 'taiwan_travel_permit', id_number, 'CHN', '同号他证', gender, birth_date, ethnicity, '', "
            "'overseas', created_at, updated_at, 1 FROM person",
            "INSERT INTO person (region_id, region_path, id_number, name, gender, birth_date, ethnicity, "
            "registered_address, population_type, created_at, updated_at, version) SELECT region_id, region_path, "
            "id_number, '同号同证', gender, birth_date, ethnicity, '', 'registered', created_at, updated_at, 1 "
            "FROM person WHERE id_type = 'resident_id'"]).after
    assert persons == [{"id_type": "resident_id", "id_number": number, "nationality": "CHN"}]
    assert other_document is None  # another document may carry the same number
    assert same_document == {"refused": "IntegrityError"}


# -- the floating population: 人来登记、人走注销, and registrations that lapse ----------------------

REGISTER = """mutation($person: ID!, $place: ID!, $on: Date!, $landlord: ID, $newcomer: Boolean!) {
  registerResidence(person: $person, place: $place, startedOn: $on, landlord: $landlord, newcomer: $newcomer) {
    startedOn expiresOn } }"""
DUE = """query($due: Boolean!) { persons(filter: {text: "新来租客", dueForRenewal: $due}) { totalCount } }"""


NEWCOMER_SEQUENCE = itertools.count(601)  # a new identity number for each test's newcomer


@pytest.fixture
async def newcomer(worker, anchors, registered):
    """A registered resident of the worker's grid and a rental house there to move into."""
    region = await grid_id(worker, anchors)
    number = gb11643(f"65010219810101{next(NEWCOMER_SEQUENCE):03d}")
    registered.append("新来租客")
    person = (await worker.query(CREATE, input={"name": "新来租客", "regionId": region, "idNumber": number}))[
        "createPerson"]
    place = (await worker.query("""mutation($input: PlaceCreateInput!) { createPlace(input: $input) { id } }""",
                                input={"code": f"RENTAL-{number}", "name": "出租屋测试", "kind": "RENTAL_HOUSE",
                                       "regionId": region}))["createPlace"]
    landlord = (await worker.query(
        "query($p: String) { persons(first: 1, filter: {regionPath: $p}) { nodes { id } } }", p=anchors["grid"]))[
        "persons"]["nodes"][0]
    yield person["id"], place["id"], landlord["id"]
    await models.Place.filter(code=f"RENTAL-{number}").update(deleted_at=datetime.now(timezone.utc))


async def test_a_person_is_not_their_own_landlord(worker, newcomer):
    person, place, _ = newcomer
    response = await worker.post(REGISTER, {"person": person, "place": place, "on": "2026-01-01",
                                            "landlord": person, "newcomer": True})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == "landlord"
    assert not await models.Residence.exists(person_id=int(base64.b64decode(person).decode().split(":")[1]))


async def test_a_newcomer_registers_floating_and_is_due_before_the_year_is_out(worker, newcomer):
    from gridhub.resolvers.runtime.civil_time import today

    person, place, landlord = newcomer
    started = today() - timedelta(days=340)  # 25 days of the year left: in the renewal window
    stay = (await worker.query(REGISTER, person=person, place=place, on=started.isoformat(), landlord=landlord,
                               newcomer=True))["registerResidence"]
    assert stay["expiresOn"] == (started + timedelta(days=365)).isoformat()
    read = (await worker.query("query($id: ID!) { node(id: $id) { ... on Person { populationType } } }",
                               id=person))["node"]
    assert read["populationType"] == "FLOATING"
    assert [(await worker.query(DUE, due=due))["persons"]["totalCount"] for due in (True, False)] == [1, 0]

    renew = "mutation($p: ID!, $until: Date) { renewResidence(person: $p, until: $until) { expiresOn } }"
    too_far = await worker.post(renew, {"p": person, "until": (today() + timedelta(days=400)).isoformat()})
    assert too_far.codes == ["BAD_USER_INPUT"] and too_far.errors[0]["extensions"]["field"] == "until"
    renewed = (await worker.query(renew, p=person, until=None))["renewResidence"]
    assert renewed["expiresOn"] == (today() + timedelta(days=365)).isoformat()
    assert [(await worker.query(DUE, due=due))["persons"]["totalCount"] for due in (True, False)] == [0, 1]


async def test_a_registered_residents_own_home_never_lapses(worker, newcomer):
    person, place, _ = newcomer
    stay = (await worker.query(REGISTER, person=person, place=place, on="2020-01-01", landlord=None,
                               newcomer=False))["registerResidence"]
    assert stay["expiresOn"] is None
    assert (await worker.query(DUE, due=True))["persons"]["totalCount"] == 0
    response = await worker.post("mutation($p: ID!) { renewResidence(person: $p) { expiresOn } }", {"p": person})
    assert response.codes == ["CONFLICT"]
