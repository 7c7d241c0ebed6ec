"""Every department acts: each of the demo's sixteen reads what is dispatched to it and takes
its steps, through the template role `department`; a department added by createDepartment
does the same from its first grant."""

from __future__ import annotations

import pytest
from strawberry.relay import to_base64

from gridhub import models
from gridhub.resolvers.identity.auth import hash_password
from gridhub.resolvers.demo.tables import DEPARTMENTS

REPORT = "mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }"
STEP = "mutation($id: ID!) { %s(id: $id) { status } }"
DISPATCH = "mutation($id: ID!, $d: ID!) { dispatchEvent(id: $id, department: $d) { status } }"
USER_OF = {"public_security": "police", "civil_affairs": "civil"}


async def dispatched_to(leader, anchors, department: models.Department, community) -> str:
    """An event of the anchor grid, accepted by its grid leader and dispatched to `department`
    by its community centre (a grid does not send to county departments: issue 21)."""
    grid = await models.Region.get(region_path=anchors["grid"])
    event = (await leader.query(REPORT, input={
        "title": f"需{department.name}处置", "kind": "REQUEST", "category": "safety/fire", "source": "PATROL",
        "occurredAt": "2026-05-21T08:00:00Z", "regionId": to_base64("Region", grid.id)}))["reportEvent"]["id"]
    await leader.query(STEP % "acceptEvent", id=event)
    await community.query(DISPATCH, id=event, d=to_base64("Department", department.id))
    return event


@pytest.mark.parametrize("code", [code for code, _ in DEPARTMENTS])
async def test_every_department_handles_what_is_dispatched_to_it(sign_in, anchors, code):
    department = await models.Department.get(code=code)
    client, leader = await sign_in(USER_OF.get(code, code)), await sign_in("leader")
    event = await dispatched_to(leader, anchors, department, await sign_in("community"))
    assigned = await models.Event.filter(handling_department_id=department.id, deleted_at=None).count()
    listed = (await client.query("{ events(first: 1) { totalCount } }"))["events"]["totalCount"]
    assert listed >= assigned >= 1  # its own events at least (the police read their visits too)
    assert (await client.query(STEP % "startHandling", id=event))["startHandling"]["status"] == "HANDLING"
    resolved = await client.query("mutation($id: ID!) { resolveEvent(id: $id, feedback: \"已办结\") { status } }",
                                  id=event)
    assert resolved["resolveEvent"]["status"] == "RESOLVED"


async def test_a_department_never_handles_another_ones_event(sign_in, anchors):
    urban = await models.Department.get(code="urban_management")
    event = await dispatched_to(await sign_in("leader"), anchors, urban, await sign_in("community"))
    refused = await (await sign_in("market_supervision")).post(STEP % "startHandling", {"id": event})
    assert refused.codes == ["NOT_FOUND"]  # not even told it exists


async def test_a_department_added_acts_from_its_first_grant(sign_in, anchors, gql):
    admin = await sign_in("admin")
    created = await admin.query('mutation { createDepartment(code: "transport", name: "交通运输局") { id code } }')
    try:
        department = await models.Department.get(code="transport")
        await models.User.get_or_create(username="transport_desk", defaults={
            "password_hash": hash_password("demo"), "department_id": department.id})
        county = (await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                                  p=anchors["county"]))["regions"]["nodes"][0]["id"]
        await admin.query("mutation($g: ID!) { grantRole(username: \"transport_desk\", role: \"dept.transport\", "
                          "region: $g) { role } }", g=county)
        event = await dispatched_to(await sign_in("leader"), anchors, department, await sign_in("community"))
        desk = await sign_in("transport_desk")
        assert (await desk.query(STEP % "startHandling", id=event))["startHandling"]["status"] == "HANDLING"
        again = await admin.post('mutation { createDepartment(code: "transport", name: "又一个") { id } }')
        assert again.codes == ["CONFLICT"]
        assert created["createDepartment"]["code"] == "transport"
        audited = await models.AuditEntry.filter(actor="admin", object_id="g, dept.transport, department, *")
        assert [a.action for a in audited] == ["grant"]
    finally:
        await admin.post("mutation($g: ID!) { revokeRole(username: \"transport_desk\", role: \"dept.transport\", "
                         "region: $g) { role } }", {"g": county})


@pytest.mark.parametrize("who, code", [("townadmin", "FORBIDDEN"), ("county", "FORBIDDEN"), ("police", "FORBIDDEN")])
async def test_only_a_county_wide_admin_adds_departments(sign_in, who, code):
    response = await (await sign_in(who)).post('mutation { createDepartment(code: "water", name: "水务局") { id } }')
    assert response.codes == [code]
    assert not await models.Department.exists(code="water")


@pytest.mark.parametrize("value, field", [("Water", "code"), ("w", "code"), ("water/x", "code")])
async def test_a_department_code_is_checked(sign_in, value, field):
    response = await (await sign_in("admin")).post(
        "mutation($c: String!) { createDepartment(code: $c, name: \"水务局\") { id } }", {"c": value})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == field


async def test_migration_0012_brings_the_template_to_an_older_database(app, sign_in, anchors):
    """Before 0012 only four departments had rules; the migration adds the template role,
    one inheritance line per department it knows, and the business facets, once."""
    import importlib
    from types import SimpleNamespace

    from tortoise import connections
    from tortoise.expressions import F

    migration = importlib.import_module("gridhub.models.migrations.0012_department_template")
    urban = await sign_in("urban_management")
    await dispatched_to(await sign_in("leader"), anchors, await models.Department.get(code="urban_management"),
                        await sign_in("community"))
    try:
        await models.CasbinRule.filter(ptype="g", v1="department").delete()
        for role, obj, action, effect in migration.LINES:
            await models.CasbinRule.filter(ptype="p", v0=role, v1="*", v2=obj, v3=action, v4=effect).delete()
        await models.PolicyState.filter(id=1).update(version=F("version") + 1)
        await app.state.store.refresh()
        assert (await urban.query("{ events { totalCount } }"))["events"]["totalCount"] == 0
    finally:
        editor = SimpleNamespace(client=connections.get("default"))
        for _ in range(2):  # twice: the second run finds everything there
            await migration.forward(None, editor)
        await app.state.store.refresh()
    departments = await models.Department.all().count()
    assert await models.CasbinRule.filter(ptype="g", v1="department", v2="*").count() == departments
    for role, obj, action, effect in migration.LINES:
        assert await models.CasbinRule.filter(ptype="p", v0=role, v1="*", v2=obj, v3=action, v4=effect).count() == 1
    assert (await urban.query("{ events { totalCount } }"))["events"]["totalCount"] >= 1
