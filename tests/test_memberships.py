"""The people of organisations: `addMember` and `endMember` with a role and dates, one
transaction each, audited, scoped by the `membership` grants at the organisation's region
(tests/policy_cases.csv holds the table of who may where), CONFLICT on a double membership."""

import random
from datetime import date

import pytest

from gridhub import models

from .test_place_tree import row_id

ORGS = "query($p: String) { organisations(first: 1, filter: {regionPath: $p}) { nodes { id } } }"
PERSONS = "query($p: String) { persons(first: 2, filter: {regionPath: $p}) { nodes { id } } }"
ADD = """mutation($o: ID!, $p: ID!, $role: String!, $from: Date, $to: Date) {
  addMember(organisation: $o, person: $p, role: $role, startedOn: $from, endedOn: $to) {
    role startedOn endedOn organisation { id } person { id } } }"""
END = """mutation($o: ID!, $p: ID!, $role: String!, $on: Date!) {
  endMember(organisation: $o, person: $p, role: $role, endedOn: $on) { role startedOn endedOn } }"""
MEMBERS = """query($id: ID!) { node(id: $id) { ... on Organisation { members(first: 100) {
  nodes { role endedOn person { id } } } } } }"""


@pytest.fixture
async def grid_org(gql, anchors):
    """An organisation and two persons of the anchor grid; the memberships made are removed after."""
    org = (await gql.query(ORGS, p=anchors["grid"]))["organisations"]["nodes"][0]["id"]
    persons = [p["id"] for p in (await gql.query(PERSONS, p=anchors["grid"]))["persons"]["nodes"]]
    yield org, persons
    await models.Membership.filter(organisation_id=row_id(org), role__startswith="测试").delete()


async def test_a_worker_adds_and_ends_a_member_audited(worker, grid_org):
    org, (person, _) = grid_org
    made = (await worker.query(ADD, o=org, p=person, role="测试志愿者", **{"from": "2026-03-01"}))["addMember"]
    assert made == {"role": "测试志愿者", "startedOn": "2026-03-01", "endedOn": None,
                    "organisation": {"id": org}, "person": {"id": person}}
    members = (await worker.query(MEMBERS, id=org))["node"]["members"]["nodes"]
    assert {"role": "测试志愿者", "endedOn": None, "person": {"id": person}} in members
    twice = await worker.post(ADD, {"o": org, "p": person, "role": "测试志愿者"})
    assert twice.codes == ["CONFLICT"] and twice.errors[0]["extensions"]["field"] == "person"
    early = await worker.post(END, {"o": org, "p": person, "role": "测试志愿者", "on": "2026-02-01"})
    assert early.codes == ["BAD_USER_INPUT"] and early.errors[0]["extensions"]["field"] == "endedOn"
    ended = (await worker.query(END, o=org, p=person, role="测试志愿者", on="2026-06-30"))["endMember"]
    assert ended["endedOn"] == "2026-06-30"
    again = await worker.post(END, {"o": org, "p": person, "role": "测试志愿者", "on": "2026-07-01"})
    assert again.codes == ["CONFLICT"]
    missing = await worker.post(END, {"o": org, "p": person, "role": "测试书记", "on": "2026-07-01"})
    assert missing.codes == ["NOT_FOUND"]
    membership = await models.Membership.get(organisation_id=row_id(org), person_id=row_id(person), role="测试志愿者")
    entries = await models.AuditEntry.filter(object_kind="membership", object_id=str(membership.id)).order_by("id")
    assert [(e.actor, e.action) for e in entries] == [("worker", "create"), ("worker", "update")]
    org_row = await models.Organisation.get(id=row_id(org))
    assert {e.region_path for e in entries} == {org_row.region_path}  # the auditor's scope finds them


async def test_bad_input_names_its_field(worker, grid_org):
    org, (person, other) = grid_org
    for variables, field in (({"role": " "}, "role"), ({"role": "测" * 65}, "role"),
                             ({"role": "测试", "from": "2026-05-01", "to": "2026-04-01"}, "endedOn")):
        response = await worker.post(ADD, {"o": org, "p": person, **variables})
        assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == field
    assert not await models.Membership.filter(organisation_id=row_id(org), role__startswith="测").exists()


# who, where the organisation is, what the answer is (the policy table holds the enforcer's side)
ACCESS = [("worker", "grid", None), ("worker", "sibling_grid", "NOT_FOUND"), ("leader", "grid", None),
          ("community", "grid", "FORBIDDEN"), ("county", "grid", "FORBIDDEN"), ("civil", "grid", "NOT_FOUND"),
          ("market_supervision", "grid", None)]


@pytest.mark.parametrize("who,where,code", ACCESS, ids=[f"{w}-{g}" for w, g, _ in ACCESS])
async def test_who_adds_members_where(sign_in, gql, anchors, who, where, code):
    org = (await gql.query(ORGS, p=anchors[where]))["organisations"]["nodes"][0]["id"]
    person = (await gql.query(PERSONS, p=anchors[where]))["persons"]["nodes"][0]["id"]
    client = await sign_in(who)
    try:
        response = await client.post(ADD, {"o": org, "p": person, "role": "测试成员", "from": str(date(2026, 1, 1))})
        if who == "market_supervision":  # reads enterprises only: this one, or none, and may add no one
            assert response.codes in (["NOT_FOUND"], ["FORBIDDEN"])
        else:
            assert response.codes == ([code] if code else [])
        made = await models.Membership.filter(organisation_id=row_id(org), role="测试成员").exists()
        assert made == (code is None and who != "market_supervision")
    finally:
        await models.Membership.filter(organisation_id=row_id(org), role="测试成员").delete()


async def test_a_member_who_left_takes_the_role_up_again(worker, grid_org):
    """Leaving keeps the ended term as its record; a new term starts after it, one open at a time."""
    org, (person, _) = grid_org
    role = f"测试网格员{random.SystemRandom().randrange(10**6)}"
    worker_add = lambda **v: worker.post(ADD, {"o": org, "p": person, "role": role, **v})  # noqa: E731
    assert (await worker_add(**{"from": "2025-01-01"})).codes == []
    assert (await worker.post(END, {"o": org, "p": person, "role": role, "on": "2025-06-30"})).codes == []
    overlapping = await worker_add(**{"from": "2025-06-30"})
    assert overlapping.codes == ["CONFLICT"] and overlapping.errors[0]["extensions"]["field"] == "startedOn"
    again = await worker_add(**{"from": "2025-09-01"})
    assert again.codes == [] and again.data["addMember"]["endedOn"] is None
    twice = await worker_add(**{"from": "2026-01-01"})
    assert twice.codes == ["CONFLICT"] and twice.errors[0]["extensions"]["field"] == "person"
    terms = [m for m in (await worker.query(MEMBERS, id=org))["node"]["members"]["nodes"] if m["role"] == role]
    assert sorted(m["endedOn"] or "" for m in terms) == ["", "2025-06-30"]
    # endMember ends the open term, not the earlier one
    ended = (await worker.query(END, o=org, p=person, role=role, on="2026-02-01"))["endMember"]
    assert ended == {"role": role, "startedOn": "2025-09-01", "endedOn": "2026-02-01"}
    rows = await models.Membership.filter(organisation_id=row_id(org), role=role).order_by("id")
    assert [(str(m.started_on), str(m.ended_on)) for m in rows] == [("2025-01-01", "2025-06-30"),
                                                                    ("2025-09-01", "2026-02-01")]
    entries = await models.AuditEntry.filter(object_kind="membership", object_id__in=[str(m.id) for m in rows]
                                             ).order_by("id")
    assert [(e.action, e.detail["fields"]) for e in entries] == [
        ("create", ["organisation", "person", "role", "startedOn"]), ("update", ["endedOn"]),
        ("create", ["organisation", "person", "role", "startedOn"]), ("update", ["endedOn"])]


async def test_the_database_keeps_one_open_membership_per_role(grid_org):
    """Two adds at once get past the resolver's look; the partial unique index (0024) refuses the
    second while the first is open, and lets a row whose term ended stand beside it."""
    from tortoise.exceptions import IntegrityError

    org, (person, _) = grid_org
    role = f"测试并发{random.SystemRandom().randrange(10**6)}"
    key = {"organisation_id": row_id(org), "person_id": row_id(person), "role": role}
    await models.Membership.create(**key, ended_on=date(2025, 1, 1))
    await models.Membership.create(**key, ended_on=date(2025, 6, 1))
    await models.Membership.create(**key)
    with pytest.raises(IntegrityError):
        await models.Membership.create(**key)
    assert await models.Membership.filter(**key).count() == 3
