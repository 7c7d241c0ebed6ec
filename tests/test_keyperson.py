"""Key persons (1+3+N) over HTTP: responsible staff and visits are seen exactly where the key
tags are (a data table), visits move the due time, and overdue visits can be listed."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from strawberry.relay import from_base64, to_base64
from tortoise.expressions import F

from gridhub.resolvers.write.validation import id_number_check_digit

from .checks import every

# who, sees responsible staff and visits, may filter by overdue visits
VISIBILITY = [
    ("worker", True, True),    # grid_worker holds person.key_tags in its grid
    ("leader", True, True),    # inherits it
    ("police", True, True),    # dept.public_security: key persons, key tags included
    ("civil", False, False),   # civil affairs reads the person for its care tag, never its key work
    ("county", False, False),  # centres read persons with key tags masked
]

PERSON = """query($id: ID!) { node(id: $id) { ... on Person { name tags lastVisitedAt visitDueAt visitOverdue
    responsibleStaff { role name startedOn } visits { totalCount nodes { occurredAt visitor title } } } } }"""


@pytest.fixture(scope="module")
async def key_person(worker, anchors):
    """A person of the anchor grid with a key tag and a care tag (so civil affairs reads it),
    with two responsible staff and one visit, recorded by the grid worker."""
    grid = (await worker.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                               p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    household = (await worker.query("query($p: String) { households(first: 1, filter: {regionPath: $p}) "
                                    "{ nodes { id } } }", p=anchors["grid"]))["households"]["nodes"][0]["id"]
    body = "341823198802020" + "31"
    made = (await worker.query("""mutation($input: PersonCreateInput!) { createPerson(input: $input) {
        id visitDueAt lastVisitedAt } }""", input={
        "idNumber": body + id_number_check_digit(body), "name": "重点测试", "regionId": grid,
        "householdId": household, "relationToHead": "OTHER",
        "tags": ["key/community_correction", "care/low_income"]}))["createPerson"]
    assert made["visitDueAt"] and made["lastVisitedAt"] is None  # monthly, from registration
    for role, name in (("CADRE", "包联干部"), ("POLICE", "社区民警")):
        await worker.query("""mutation($p: ID!, $r: ResponsibleRole!, $n: String!) {
            assignResponsibility(person: $p, role: $r, name: $n, startedOn: "2026-01-01") { role } }""",
                           p=made["id"], r=role, n=name)
    visited = datetime.now(timezone.utc) - timedelta(days=25)  # the next is due in five days
    await worker.query("mutation($p: ID!, $at: DateTime!) { recordVisit(person: $p, occurredAt: $at, "
                       "note: \"谈心谈话\") { visitor } }", p=made["id"], at=visited.isoformat())
    return made["id"]


@pytest.fixture(autouse=True)
async def key_person_keeps_its_staff(request):
    """Tests here add responsible staff to the key person (and leave some refused ones in
    place); after each, only the fixture's CADRE and POLICE remain, whatever order tests run in."""
    yield
    if "key_person" not in request.fixturenames:
        return
    from gridhub import models

    person = int(from_base64(request.getfixturevalue("key_person"))[1])
    await models.KeyPersonResponsibility.filter(key_person_id=person).exclude(role__in=["cadre", "police"]).delete()


@pytest.mark.parametrize("who,sees,filters", VISIBILITY, ids=[v[0] for v in VISIBILITY])
async def test_key_work_is_seen_where_key_tags_are(sign_in, key_person, who, sees, filters):
    client = await sign_in(who)
    node = (await client.query(PERSON, id=key_person))["node"]
    assert node is not None, "the person itself is readable to every caller of this table"
    if sees:
        assert any(t.startswith("key/") for t in node["tags"])
        assert sorted(r["role"] for r in node["responsibleStaff"]) == ["CADRE", "POLICE"]
        # the fixture's visit (other tests here may add later ones)
        assert "worker" in {v["visitor"] for v in node["visits"]["nodes"]}
        assert node["lastVisitedAt"] == node["visits"]["nodes"][0]["occurredAt"]
        assert node["visitOverdue"] is False and node["visitDueAt"] > node["lastVisitedAt"]
    else:
        assert not any(t.startswith("key/") for t in node["tags"])
        assert node["responsibleStaff"] == [] and node["visits"] == {"totalCount": 0, "nodes": []}
        assert node["lastVisitedAt"] is None and node["visitDueAt"] is None and node["visitOverdue"] is None
    response = await client.post("{ persons(first: 5, filter: {visitOverdue: true}) { totalCount } }")
    assert (not response.errors) == filters, response.errors
    if not filters:
        assert response.codes == ["FORBIDDEN"]


async def test_overdue_visits_are_listed(worker, key_person):
    overdue = await worker.query("""{ persons(first: 500, filter: {visitOverdue: true}) {
        nodes { id visitDueAt visitOverdue } } }""")
    nodes = overdue["persons"]["nodes"]
    assert key_person not in {n["id"] for n in nodes}  # visited 25 days ago, due in a month
    assert every(nodes, lambda n: n["visitOverdue"])  # the demo's grid has overdue key persons
    rest = await worker.query("""{ persons(first: 500, filter: {visitOverdue: false}) { nodes { id visitOverdue } } }""")
    assert key_person in {n["id"] for n in rest["persons"]["nodes"]}
    assert not any(n["visitOverdue"] for n in rest["persons"]["nodes"])


# who ends a responsibility of the key person of the anchor grid -> the answer
ENDING = [
    ("worker", None),           # its grid: ends it
    ("leader", None),           # inherits the worker's grants
    ("sibling", "NOT_FOUND"),   # the worker of the sibling grid reads nothing of this grid
    ("police", "FORBIDDEN"),    # sees the key work, may not change persons
    ("civil", "NOT_FOUND"),     # reads the person for its care tag; its key work does not exist for it
    ("county", "NOT_FOUND"),    # key tags masked: the same
]
ASSIGN = """mutation($p: ID!) { assignResponsibility(person: $p, role: FAMILY, name: "家属", startedOn: "2026-03-01")
    { id endedOn } }"""
END = "mutation($id: ID!, $on: Date!) { endResponsibility(id: $id, endedOn: $on) { id role endedOn } }"
STAFF = """query($id: ID!) { node(id: $id) { ... on Person { now: responsibleStaff { id }
    all: responsibleStaff(current: false) { id endedOn } } } }"""


@pytest.fixture(scope="module")
async def sibling_worker(sign_in, anchors):
    """A grid worker of the sibling grid, granted by the county admin."""
    from gridhub.resolvers.identity.auth import DEMO_PASSWORD, hash_password
    from gridhub import models

    admin = await sign_in("admin")
    await models.User.get_or_create(username="kp_sibling", defaults={"password_hash": hash_password(DEMO_PASSWORD)})
    region = (await admin.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                                p=anchors["sibling_grid"]))["regions"]["nodes"][0]["id"]
    await admin.query('mutation($r: ID!) { grantRole(username: "kp_sibling", role: "grid_worker", region: $r) '
                      "{ domain } }", r=region)
    return await sign_in("kp_sibling")


@pytest.mark.parametrize("who,code", ENDING, ids=[e[0] for e in ENDING])
async def test_who_ends_a_responsibility(sign_in, worker, sibling_worker, key_person, who, code):
    made = (await worker.query(ASSIGN, p=key_person))["assignResponsibility"]
    client = sibling_worker if who == "sibling" else await sign_in(who)
    response = await client.post(END, {"id": made["id"], "on": "2026-10-31"})
    if code is None:
        assert not response.errors, response.errors
        assert response.data["endResponsibility"] == {"id": made["id"], "role": "FAMILY", "endedOn": "2026-10-31"}
    else:
        assert response.codes == [code]
    staff = (await worker.query(STAFF, id=key_person))["node"]
    assert made["id"] not in {r["id"] for r in staff["now"]} if code is None else made["id"] in {
        r["id"] for r in staff["now"]}
    ended = {r["id"]: r["endedOn"] for r in staff["all"]}
    assert ended[made["id"]] == ("2026-10-31" if code is None else None)  # the history keeps it


async def test_key_work_is_checked_and_audited(worker, sign_in, key_person):
    made = (await worker.query(ASSIGN, p=key_person))["assignResponsibility"]
    early = await worker.post(END, {"id": made["id"], "on": "2026-02-28"})
    assert early.codes == ["BAD_USER_INPUT"] and early.errors[0]["extensions"]["field"] == "endedOn"
    wrong_kind = await worker.post(END, {"id": key_person, "on": "2026-10-31"})
    assert wrong_kind.codes == ["BAD_USER_INPUT"]
    await worker.query(END, id=made["id"], on="2026-10-31")
    row_id = from_base64(made["id"])[1]
    trail = await (await sign_in("auditor")).query(
        '{ auditTrail(first: 50, filter: {actor: "worker", objectKind: "responsibility"}) '
        "{ nodes { action objectId detail } } }")
    mine = [(n["action"], n["detail"]) for n in trail["auditTrail"]["nodes"] if n["objectId"] == row_id]
    assert ("update", {"fields": ["endedOn"]}) in mine and any(action == "create" for action, _ in mine)
    # the visit the fixture recorded is the worker's report of a VISIT event
    from gridhub import models

    visited = await models.EventPerson.filter(person_id=int(from_base64(key_person)[1])).values_list(
        "event_id", flat=True)
    assert visited
    # by the rows' ids, not in the newest page of the trail: other tests report events too
    # (and record visits to this person as the police)
    reports = await models.AuditEntry.filter(action="report", object_kind="event",
                                             object_id__in=[str(i) for i in visited]).values_list("actor", "object_id")
    assert {i for _, i in reports} == {str(i) for i in visited} and "worker" in {a for a, _ in reports}


async def test_migration_0010_brings_an_older_database_along(app, sign_in, key_person):
    """What a database from before 0010 lacks (the key-visit category, the policy's three
    lines, its key persons' visits categorised) the migration adds, once, and the policy in
    force follows: the county centre stops reading key persons' visits."""
    import importlib

    from tortoise import connections

    from gridhub import models
    from gridhub.resolvers.domain.visit_due import KEY_VISIT_CATEGORY

    migration = importlib.import_module("gridhub.models.migrations.0010_key_visits")
    named = await models.EventPerson.filter(person_id=int(from_base64(key_person)[1])).values_list(
        "event_id", flat=True)
    # its key visits (civil affairs may have recorded a care visit, which 0010 leaves alone)
    visits = set(await models.Event.filter(id__in=named, category=KEY_VISIT_CATEGORY).values_list("id", flat=True))
    county = await sign_in("county")
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    ids = [to_base64("Event", i) for i in sorted(visits)]
    assert (await county.query(query, ids=ids))["nodes"] == [None] * len(ids)
    lines = await models.CasbinRule.filter(v2=f"event:category/{KEY_VISIT_CATEGORY}").values_list(
        "v0", "v1", "v2", "v3", "v4")
    assert sorted(lines) == sorted((role, "*", obj, action, effect) for role, obj, action, effect in migration.LINES)
    # as it was before 0010
    await models.CasbinRule.filter(v2=f"event:category/{KEY_VISIT_CATEGORY}").delete()
    await models.EventCategory.filter(path=KEY_VISIT_CATEGORY).delete()
    await models.Event.filter(id__in=visits).update(category="service/visit")
    await models.PolicyState.filter(id=1).update(version=F("version") + 1)
    assert None not in (await county.query(query, ids=ids))["nodes"]  # plain visits, read by the centres
    # the process runs the policy without the lines before the migration starts: a reload
    # overlapping the migration's inserts would load half of them at the older version
    await app.state.store.refresh()

    editor = SimpleNamespace(client=connections.get("default"))
    for _ in range(2):  # twice: the second run finds everything there
        await migration.forward(None, editor)
    assert await models.EventCategory.filter(path=KEY_VISIT_CATEGORY).count() == 1
    assert await models.CasbinRule.filter(v2=f"event:category/{KEY_VISIT_CATEGORY}").count() == len(migration.LINES)
    assert set(await models.Event.filter(id__in=visits).values_list("category", flat=True)) == {KEY_VISIT_CATEGORY}
    # in force once the process has reloaded, by itself: no one announces a migration, so
    # with Redis it is the safety poll's (every 5 s) to find the new version
    police = await sign_in("police")
    await wait_for(lambda: policy_versions(app), lambda v: v[0] == v[1], seconds=12)
    assert (await county.query(query, ids=ids))["nodes"] == [None] * len(ids)
    assert None not in (await police.query(query, ids=ids))["nodes"]


async def policy_versions(app) -> tuple[int, int]:
    """The policy version this process runs, and the database's."""
    from gridhub.policies.store import database_version

    return app.state.store.version, await database_version()


async def wait_for(ask, done, seconds: float = 5.0):
    """Ask until `done(answer)`: the policy reloads within a poll interval of its version bump."""
    import asyncio

    for _ in range(int(seconds / 0.1)):
        answer = await ask()
        if done(answer):
            return answer
        await asyncio.sleep(0.1)
    raise AssertionError(f"not so after {seconds} s: {answer}")


# who records a visit to the key person of the anchor grid -> the answer
RECORDING = [
    ("worker", None),           # its grid
    ("police", None),           # the community police officer of 1+3+N; it reads no places, the visit is at home all the same
    ("sibling", "NOT_FOUND"),   # the worker of the sibling grid reads nothing of this grid
    ("civil", None),            # reads the person for its care tag: a care visit (关爱走访), never key work
    ("county", "FORBIDDEN"),    # key tags masked
]
RECORD = """mutation($p: ID!, $at: DateTime!) { recordVisit(person: $p, occurredAt: $at) { visitor occurredAt } }"""


@pytest.mark.parametrize("who,code", RECORDING, ids=[r[0] for r in RECORDING])
async def test_who_records_a_visit(sign_in, sibling_worker, key_person, who, code):
    from gridhub import models
    from gridhub.resolvers.domain.visit_due import CARE_VISIT_CATEGORY, KEY_VISIT_CATEGORY

    client = sibling_worker if who == "sibling" else await sign_in(who)
    person_id = int(from_base64(key_person)[1])
    before = set(await models.EventPerson.filter(person_id=person_id).values_list("event_id", flat=True))
    at = (datetime.now(timezone.utc) - timedelta(days=2)).replace(microsecond=0)
    response = await client.post(RECORD, {"p": key_person, "at": at.isoformat()})
    made = set(await models.EventPerson.filter(person_id=person_id).values_list("event_id", flat=True)) - before
    if code is not None:
        assert response.codes == [code] and not made  # refused, nothing written
        return
    assert not response.errors, response.errors
    assert response.data["recordVisit"]["visitor"] == who  # the recording user
    event = await models.Event.get(id=made.pop())
    person = await models.Person.get(id=person_id)
    care = who == "civil"  # it does not see the key tags: its visit is care work, whoever the person is
    assert event.category == (CARE_VISIT_CATEGORY if care else KEY_VISIT_CATEGORY)
    assert event.place_id == person.residence_id and event.due_at is None
    # the police reads the key visit it recorded as an event; the county centre does not. A
    # care visit is read by civil affairs and the centres, not the police
    ids = [to_base64("Event", event.id)]
    for reader, sees in (("police", not care), ("worker", True), ("county", care), ("civil", care)):
        node = (await (await sign_in(reader)).query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids))
        assert (node["nodes"] != [None]) == sees, reader


async def test_a_person_of_the_registers_goes_by_its_name(worker, key_person, anchors):
    """Named by `staffPerson` alone, a responsible one shows that person's name, never ''."""
    other = (await worker.query("""query($p: String) { persons(first: 2, filter: {regionPath: $p}) {
        nodes { id name } } }""", p=anchors["grid"]))["persons"]["nodes"][-1]
    made = (await worker.query("""mutation($p: ID!, $s: ID!) { assignResponsibility(person: $p, role: VOLUNTEER,
        staffPerson: $s, startedOn: "2026-05-01") { name person { id } } }""", p=key_person, s=other["id"]))
    assert made["assignResponsibility"] == {"name": other["name"], "person": {"id": other["id"]}}


@pytest.mark.parametrize("tags,category", [
    ([], "service/visit"),
    (["care/elderly_alone"], "service/visit"),
    (["care/low_income", "key/drug"], "service/key_visit"),
    (["key/petitioner"], "service/key_visit"),
    (["role/keyholder"], "service/visit"),  # a tag that starts like one, under another branch
])
def test_a_visit_to_a_key_person_is_filed_apart(tags, category):
    """The one rule the hub (recordVisit) and the demo file visits by."""
    from gridhub.resolvers.domain.visit_due import visit_category

    assert visit_category(tags) == category
