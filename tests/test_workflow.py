"""The closed loop over HTTP, as the demo users drive it; every illegal step in between is
refused with the right code and changes nothing."""

import base64

from gridhub import models

STEP = """mutation($id: ID!) { %s(id: $id%s) { status version } }"""


def gid(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


async def step(client, name: str, event_id: str, extra: str = "", **variables):
    args = "".join(f", {k}: ${k}" for k in variables)
    declared = "".join(f", ${k}: {t}" for k, t in (("note", "String!"), ("feedback", "String!"),
                                                    ("department", "ID"), ("deadline", "DateTime"),
                                                    ("passed", "Boolean!"), ("satisfaction", "Int!"),
                                                    ("reason", "String!")) if k in variables)
    query = f"mutation($id: ID!{declared}) {{ {name}(id: $id{args}) {{ status }} }}"
    return await client.post(query, {"id": event_id, **variables})


async def report(worker, gql, anchors) -> str:
    region = (await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                              p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    data = await worker.query("""mutation($input: EventCreateInput!) { reportEvent(input: $input) {
                              id status reporterName } }""",
                              input={"title": "楼道堆放杂物", "kind": "HAZARD", "category": "safety/fire",
                                     "source": "PATROL", "occurredAt": "2026-11-20T08:00:00Z", "regionId": region})
    assert data["reportEvent"]["status"] == "REPORTED"
    assert data["reportEvent"]["reporterName"] == "worker"  # no one else named: the worker's own report
    return data["reportEvent"]["id"]


async def test_a_named_reporter_is_kept(worker, gql, anchors):
    region = (await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                              p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    data = await worker.query("""mutation($input: EventCreateInput!) { reportEvent(input: $input) { reporterName } }""",
                              input={"title": "热线转来", "kind": "REQUEST", "category": "works/noise", "source": "HOTLINE",
                                     "occurredAt": "2026-11-20T08:00:00Z", "regionId": region,
                                     "reporterName": "张先生"})
    assert data["reportEvent"]["reporterName"] == "张先生"


async def expect(client, name, event_id, code, **variables):
    before = await models.Event.get(id=int(base64.b64decode(event_id).decode().split(":")[1]))
    response = await step(client, name, event_id, **variables)
    assert response.codes == [code], (name, response.errors)
    after = await models.Event.get(id=before.id)
    assert (after.status, after.version) == (before.status, before.version)


async def ok(client, name, event_id, status, **variables):
    response = await step(client, name, event_id, **variables)
    assert not response.errors, (name, response.errors)
    assert response.data[name]["status"] == status


async def test_one_event_through_every_step(sign_in, worker, gql, anchors):
    community, police, town = await sign_in("community"), await sign_in("police"), await sign_in("town")
    event = await report(worker, gql, anchors)
    public_security = await models.Department.get(code="public_security")

    await expect(worker, "acceptEvent", event, "FORBIDDEN")           # a worker does not accept
    await expect(police, "acceptEvent", event, "NOT_FOUND")           # not the police's event (yet)
    await expect(community, "closeEvent", event, "CONFLICT", satisfaction=5)
    await ok(community, "acceptEvent", event, "ACCEPTED")
    await expect(community, "acceptEvent", event, "CONFLICT")
    await expect(community, "startHandling", event, "FORBIDDEN")     # centres do not handle
    await ok(community, "dispatchEvent", event, "DISPATCHED", department=gid("Department", public_security.id),
             deadline="2099-01-01T00:00:00Z")

    await expect(worker, "startHandling", event, "FORBIDDEN")         # it went to a department
    await ok(police, "startHandling", event, "HANDLING")
    await expect(police, "verifyEvent", event, "FORBIDDEN", passed=True)
    await ok(police, "resolveEvent", event, "RESOLVED", feedback="已清理")

    await expect(community, "verifyEvent", event, "FORBIDDEN", passed=True)  # the reporting grid verifies
    await expect(worker, "closeEvent", event, "FORBIDDEN", satisfaction=5)
    await ok(worker, "verifyEvent", event, "VERIFIED", passed=True)
    await expect(community, "closeEvent", event, "BAD_USER_INPUT", satisfaction=9)
    await ok(community, "closeEvent", event, "CLOSED", satisfaction=5)
    await expect(community, "rejectEvent", event, "CONFLICT", reason="晚了")
    await expect(town, "superviseEvent", event, "CONFLICT")

    log = (await worker.query("query($id: ID!) { node(id: $id) { ... on Event { satisfaction closedAt log {"
                              " actor action fromStatus toStatus } } } }", id=event))["node"]
    assert log["satisfaction"] == 5 and log["closedAt"]
    assert [(e["actor"], e["action"], e["fromStatus"], e["toStatus"]) for e in log["log"]] == [
        ("worker", "report", None, "REPORTED"), ("community", "accept", "REPORTED", "ACCEPTED"),
        ("community", "dispatch", "ACCEPTED", "DISPATCHED"), ("police", "start", "DISPATCHED", "HANDLING"),
        ("police", "resolve", "HANDLING", "RESOLVED"), ("worker", "verify", "RESOLVED", "VERIFIED"),
        ("community", "close", "VERIFIED", "CLOSED")]


async def test_failed_verification_goes_back_to_handling(sign_in, worker, gql, anchors):
    leader = await sign_in("leader")
    event = await report(worker, gql, anchors)
    grid = (await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                            p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    await ok(leader, "acceptEvent", event, "ACCEPTED")
    response = await worker.post("mutation($id: ID!, $r: ID!) { dispatchEvent(id: $id, region: $r) { status } }",
                                 {"id": event, "r": grid})
    assert response.codes == ["FORBIDDEN"]
    dispatched = await leader.query("mutation($id: ID!, $r: ID!) { dispatchEvent(id: $id, region: $r) { status } }",
                                    id=event, r=grid)
    assert dispatched["dispatchEvent"]["status"] == "DISPATCHED"
    await ok(worker, "startHandling", event, "HANDLING")
    await ok(worker, "resolveEvent", event, "RESOLVED", feedback="已处理")
    await ok(worker, "verifyEvent", event, "HANDLING", passed=False, note="未处理干净")
    await ok(worker, "resolveEvent", event, "RESOLVED", feedback="再次处理")
    await ok(worker, "verifyEvent", event, "HANDLING", passed=False)  # no note given: the log says why
    row = int(base64.b64decode(event).decode().split(":")[1])
    notes = await models.EventLog.filter(event_id=row, action="verify").order_by("id").values_list("note", flat=True)
    assert notes == ["未处理干净", "verification failed"]
    await ok(worker, "resolveEvent", event, "RESOLVED", feedback="第三次处理")


async def test_escalation_hands_the_event_to_the_tier_above(sign_in, worker, gql, anchors):
    community, town = await sign_in("community"), await sign_in("town")
    event = await report(worker, gql, anchors)
    await ok(community, "escalateEvent", event, "REPORTED")          # grid -> community
    await ok(community, "escalateEvent", event, "REPORTED")          # community -> town
    await expect(community, "acceptEvent", event, "FORBIDDEN")      # the town has it now
    await expect(community, "escalateEvent", event, "FORBIDDEN")
    await ok(town, "acceptEvent", event, "ACCEPTED")
    await ok(town, "superviseEvent", event, "ACCEPTED", note="限期办结")
    handled = (await town.query("query($id: ID!) { node(id: $id) { ... on Event { supervisedAt "
                                "handlingRegion { path } } } }", id=event))["node"]
    assert handled["handlingRegion"]["path"] == anchors["town"] and handled["supervisedAt"]
    await ok(town, "rejectEvent", event, "REJECTED", reason="重复上报")
