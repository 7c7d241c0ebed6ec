"""Care work (关爱走访, issue 22) over HTTP as the demo users: the county's visit rules, care
visits recorded by grid workers and civil affairs, due and overdue, seen by whoever reads the
person, in the scorecard and the bulletin; and the homes departments read (place:home_of)."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from strawberry.relay import from_base64

from gridhub import models
from gridhub.resolvers.write.validation import id_number_check_digit

PERSON = """query($id: ID!) { node(id: $id) { ... on Person { tags lastCareVisitAt careVisitDueAt careVisitOverdue
    visitDueAt careVisits { totalCount nodes { occurredAt visitor title } } } } }"""
RECORD = """mutation($p: ID!, $at: DateTime!, $care: Boolean) { recordVisit(person: $p, occurredAt: $at, care: $care,
    note: "送米送油，身体尚好") { visitor occurredAt } }"""
SET_RULE = "mutation($t: String!, $d: Int) { setVisitRule(tag: $t, everyDays: $d) { tag everyDays care } }"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _person(worker, anchors, name: str, tags: list[str], sequence: str) -> str:
    """A person of the anchor grid living at one of its flats, soft-deleted after the module."""
    grid = (await worker.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                               p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    flat = await models.Place.filter(region_path=anchors["grid"], deleted_at=None).exclude(room="").first()
    body = "34182319470303" + sequence
    made = (await worker.query("""mutation($input: PersonCreateInput!) { createPerson(input: $input) {
        id careVisitDueAt } }""",
                               input={"idNumber": body + id_number_check_digit(body), "name": name,
                                      "regionId": grid, "tags": tags}))["createPerson"]
    # the answer already carries the due time its care tags call for (weekly or monthly)
    assert (made["careVisitDueAt"] is not None) == any(t.startswith("care/") for t in tags)
    await worker.query("""mutation($p: ID!, $h: ID!) { registerResidence(person: $p, place: $h,
        startedOn: "2020-01-01", newcomer: false) { startedOn } }""", p=made["id"], h=_global("Place", flat.id))
    return made["id"]


def _global(kind: str, row_id: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(kind, row_id)


@pytest.fixture(scope="module")
async def care_person(worker, anchors):
    """An elderly person living alone in the anchor grid, at a flat (unit, floor, room)."""
    person = await _person(worker, anchors, "关爱测试", ["care/elderly_alone"], "261")
    yield person
    await models.Person.filter(id=int(from_base64(person)[1])).update(deleted_at=datetime.now(timezone.utc))


@pytest.fixture(scope="module")
async def plain_person(worker, anchors):
    person = await _person(worker, anchors, "无标签测试", [], "271")
    yield person
    await models.Person.filter(id=int(from_base64(person)[1])).update(deleted_at=datetime.now(timezone.utc))


async def test_the_visit_rules_are_the_countys(sign_in, care_person):
    worker = await sign_in("worker")
    rules = {r["tag"]: r for r in (await worker.query("{ visitRules { tag everyDays care } }"))["visitRules"]}
    assert rules["care/elderly_alone"] == {"tag": "care/elderly_alone", "everyDays": 7, "care": True}
    assert rules["care/low_income"]["everyDays"] == 30 and rules["key/drug"]["care"] is False
    for who in ("worker", "townadmin", "civil"):  # only where granted at the county
        response = await (await sign_in(who)).post(SET_RULE, {"t": "care/elderly_alone", "d": 14})
        assert response.codes == ["FORBIDDEN"], who
    admin = await sign_in("admin")
    for tag, days, field in (("care/elderly_alone", 0, "everyDays"), ("care/elderly_alone", 400, "everyDays"),
                             ("role/volunteer", 7, "tag"), ("Care/x", 7, "tag")):
        response = await admin.post(SET_RULE, {"t": tag, "d": days})
        assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == field

    before = (await worker.query(PERSON, id=care_person))["node"]
    base = _at(before["careVisitDueAt"]) - timedelta(days=7)  # the last care visit, or when tagged
    try:
        made = (await admin.query(SET_RULE, t="care/elderly_alone", d=14))["setVisitRule"]
        assert made == {"tag": "care/elderly_alone", "everyDays": 14, "care": True}
        after = (await worker.query(PERSON, id=care_person))["node"]
        assert _at(after["careVisitDueAt"]) == base + timedelta(days=14)  # the due times moved with it
        entry = await models.AuditEntry.filter(action="set_visit_rule", object_id="care/elderly_alone").order_by(
            "-id").first()
        assert entry.actor == "admin" and entry.detail == {"every_days": 14, "before": 7}
    finally:
        await admin.query(SET_RULE, t="care/elderly_alone", d=7)
    assert (await worker.query(PERSON, id=care_person))["node"]["careVisitDueAt"] == before["careVisitDueAt"]


# who records a care visit to the elderly person, and the code when refused
RECORDING = [
    ("worker", None),         # its grid
    ("civil", None),          # civil affairs: reads the person for its care tag, records care visits
    ("county", "FORBIDDEN"),  # the centres read care visits, record none
    ("police", "NOT_FOUND"),  # reads key persons only
]


@pytest.mark.parametrize("who,code", RECORDING, ids=[r[0] for r in RECORDING])
async def test_who_records_a_care_visit(sign_in, care_person, who, code):
    client = await sign_in(who)
    person_id = int(from_base64(care_person)[1])
    before = set(await models.EventPerson.filter(person_id=person_id).values_list("event_id", flat=True))
    at = (datetime.now(timezone.utc) - timedelta(days=1, minutes=len(before))).replace(microsecond=0)
    response = await client.post(RECORD, {"p": care_person, "at": at.isoformat()})
    made = set(await models.EventPerson.filter(person_id=person_id).values_list("event_id", flat=True)) - before
    if code is not None:
        assert response.codes == [code] and not made
        return
    assert not response.errors, response.errors
    event = await models.Event.get(id=made.pop())
    assert event.category == "service/care_visit" and event.title == "关爱走访关爱测试" and event.reporter_name == who
    for reader in ("worker", "civil", "county"):  # care work is shown to whoever reads the person
        node = (await (await sign_in(reader)).query(PERSON, id=care_person))["node"]
        last = _at(node["lastCareVisitAt"])
        assert last >= at and _at(node["careVisitDueAt"]) == last + timedelta(days=7), reader
        assert node["careVisitOverdue"] is False and node["visitDueAt"] is None  # no key rule: no key work
        assert any(_at(v["occurredAt"]) == at and v["visitor"] == who for v in node["careVisits"]["nodes"]), reader


async def test_a_care_visit_is_to_a_person_in_need(worker, plain_person):
    at = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    response = await worker.post(RECORD, {"p": plain_person, "at": at, "care": True})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == "care"


async def test_overdue_care_visits_are_listed(sign_in, anchors):
    """The demo's first grid has an overdue care visit; the county centre lists it."""
    query = """query($p: String, $o: Boolean) { persons(first: 200, filter: {regionPath: $p, careVisitOverdue: $o}) {
        totalCount nodes { careVisitOverdue careVisitDueAt } } }"""
    county = await sign_in("county")
    overdue = (await county.query(query, p=anchors["grid"], o=True))["persons"]
    assert overdue["totalCount"] > 0 and all(n["careVisitOverdue"] is True for n in overdue["nodes"])
    others = (await county.query(query, p=anchors["grid"], o=False))["persons"]
    assert others["totalCount"] > 0 and not any(n["careVisitOverdue"] for n in others["nodes"])
    everyone = await models.Person.filter(region_path__startswith=anchors["grid"], deleted_at=None).count()
    assert overdue["totalCount"] + others["totalCount"] == everyone


HOME = """query($id: ID!) { node(id: $id) { ... on Person { residence { id name address unit floor room
    longitude } } } }"""


async def test_departments_read_the_homes_of_their_persons(sign_in, care_person, anchors):
    """Civil affairs reads the home of a person in need, up to the building; the police do not
    (nor the person); the worker reads it whole."""
    whole = (await (await sign_in("worker")).query(HOME, id=care_person))["node"]["residence"]
    assert whole["room"]
    civil = (await (await sign_in("civil")).query(HOME, id=care_person))["node"]["residence"]
    assert civil["id"] == whole["id"] and civil["room"] is None and civil["unit"] is None
    assert civil["address"] in whole["address"] and civil["address"] != whole["address"]  # 梅林雅居1幢
    assert (await (await sign_in("police")).post(HOME, {"id": care_person})).data["node"] is None

    # the police read a key person's home: every place they list is one
    police = await sign_in("police")
    key_person = (await police.query("""query($p: String) { persons(first: 1, filter: {regionPath: $p,
        tags: ["key"]}) { nodes { id residence { id } } } }""", p=anchors["town"]))["persons"]["nodes"][0]
    assert key_person["residence"] is not None
    places = (await police.query("{ places(first: 500) { totalCount nodes { id } } }"))["places"]
    listed = {int(from_base64(n["id"])[1]) for n in places["nodes"]}
    keyed = await models.PersonTag.filter(tag__startswith="key/").values_list("person_id", flat=True)
    key_homes = set(await models.Person.filter(deleted_at=None, id__in=keyed).exclude(
        residence_id=None).values_list("residence_id", flat=True))
    assert listed and listed <= key_homes and places["totalCount"] == len(key_homes & set(
        await models.Place.filter(deleted_at=None).values_list("id", flat=True)))


SCORECARD = """query($r: ID!, $from: DateTime!, $to: DateTime!) { gridScorecard(region: $r, from: $from, to: $to) {
    total { careVisitsDone careVisitsDue visitsDone } grids { careVisitsDone careVisitsDue } } }"""


async def test_care_visits_count_in_the_scorecard_and_the_bulletin(sign_in, worker, care_person, anchors):
    grid = (await worker.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                               p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    now = datetime.now(timezone.utc)
    period = {"r": grid, "from": (now - timedelta(days=7)).isoformat(), "to": (now + timedelta(days=7)).isoformat()}
    county = await sign_in("county")
    before = (await county.query(SCORECARD, **period))["gridScorecard"]
    assert before["total"]["careVisitsDue"] > 0  # the grid's elderly living alone, weekly
    await worker.query(RECORD, p=care_person, at=(now - timedelta(minutes=5)).isoformat())
    after = (await county.query(SCORECARD, **period))["gridScorecard"]
    assert after["total"]["careVisitsDone"] == before["total"]["careVisitsDone"] + 1
    assert after["total"]["visitsDone"] >= after["total"]["careVisitsDone"]
    assert sum(g["careVisitsDone"] for g in after["grids"]) == after["total"]["careVisitsDone"]
    assert sum(g["careVisitsDue"] for g in after["grids"]) == after["total"]["careVisitsDue"]
    week = now.astimezone(timezone(timedelta(hours=8))).strftime("%G-W%V")
    bulletin = (await county.query("query($r: ID!, $w: String!) { weeklyBulletin(region: $r, week: $w) { markdown } }",
                                   r=grid, w=week))["weeklyBulletin"]["markdown"]
    assert "关爱走访" in bulletin and "应关爱走访" in bulletin


async def test_key_work_never_moves_care_work(sign_in, worker, anchors):
    """A key person in need: the worker's visit is key work (hidden from the centres), and
    leaves the care due time, which the county centre reads, where it was; civil affairs'
    visit is a care visit and moves it. So no care field tells who is a key person."""
    person = await _person(worker, anchors, "重点关爱", ["key/drug", "care/low_income"], "281")
    try:
        county, civil = await sign_in("county"), await sign_in("civil")
        before = (await county.query(PERSON, id=person))["node"]
        assert before["careVisitDueAt"] and before["lastCareVisitAt"] is None and before["visitDueAt"] is None
        at = datetime.now(timezone.utc) - timedelta(hours=3)
        await worker.query(RECORD, p=person, at=at.isoformat())  # by default: key work, for the worker
        event = await models.Event.filter(title="入户走访重点关爱").first()
        assert event.category == "service/key_visit"
        assert (await county.query(PERSON, id=person))["node"] == before
        await civil.query(RECORD, p=person, at=at.isoformat())
        after = (await county.query(PERSON, id=person))["node"]
        assert _at(after["lastCareVisitAt"]) == at.replace(microsecond=0) or _at(after["lastCareVisitAt"]) == at
        assert _at(after["careVisitDueAt"]) == _at(after["lastCareVisitAt"]) + timedelta(days=30)
        assert [v["visitor"] for v in after["careVisits"]["nodes"]] == ["civil"]
    finally:
        await models.Person.filter(id=int(from_base64(person)[1])).update(deleted_at=datetime.now(timezone.utc))


BULLETIN = "query($r: ID!, $w: String!) { weeklyBulletin(region: $r, week: $w) { json markdown } }"


async def test_the_bulletin_counts_each_workers_care_work(sign_in, worker, anchors):
    """Per grid worker: the care visits it recorded this week, the grid's care visits due in
    the week and its care persons overdue now (the week still runs), as the persons show it."""
    care_person = await _person(worker, anchors, "关爱逾期", ["care/elderly_alone"], "291")
    try:
        await _workers_care_work(sign_in, worker, care_person, anchors)
    finally:
        await models.Person.filter(id=int(from_base64(care_person)[1])).update(deleted_at=datetime.now(timezone.utc))


async def _workers_care_work(sign_in, worker, care_person, anchors):
    grid = (await worker.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                               p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    county = await sign_in("county")
    now = datetime.now(timezone.utc)
    week = now.astimezone(timezone(timedelta(hours=8))).strftime("%G-W%V")

    async def mine() -> dict:
        data = json.loads((await county.query(BULLETIN, r=grid, w=week))["weeklyBulletin"]["json"])
        rows = [w for w in data["workers"] if w["username"] == "worker"]
        assert len(rows) == 1
        return {**rows[0], "grid_due": sum(g["care_visits_due"] for g in data["grids"])}

    before = await mine()
    overdue = (await county.query("""query($p: String) { persons(first: 1, filter: {regionPath: $p,
        careVisitOverdue: true}) { totalCount } }""", p=anchors["grid"]))["persons"]["totalCount"]
    assert before["care_visits_due"] == before["grid_due"] > 0  # the grid's care work is its worker's
    assert before["care_visits_overdue"] == overdue
    late = now - timedelta(days=30)  # the person's tag is a month old, never visited: overdue now
    await models.PersonTag.filter(person_id=int(from_base64(care_person)[1])).update(created_at=late)
    after_tagging = await mine()
    assert after_tagging["care_visits_overdue"] == before["care_visits_overdue"] + 1
    await worker.query(RECORD, p=care_person, at=(now - timedelta(minutes=5)).isoformat())
    after = await mine()
    assert after["care_visits_done"] == before["care_visits_done"] + 1
    assert after["care_visits_overdue"] == before["care_visits_overdue"], "visited: no longer overdue"
    text = (await county.query(BULLETIN, r=grid, w=week))["weeklyBulletin"]["markdown"]
    header = next(line for line in text.splitlines() if line.startswith("| 网格 | 网格员 |"))
    assert header.endswith("| 关爱走访 | 应关爱走访 | 逾期未关爱 |")
