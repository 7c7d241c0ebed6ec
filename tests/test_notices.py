"""To-do lists and notices (issue 21 point 4): who holds an event, `heldBy` and `myQueue`,
a notice per hand-over with each user's read mark, the `noticeReceived` subscription, and
department webhooks delivered to a real HTTP receiver, signed, retried and replayed."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from strawberry.relay import from_base64, to_base64

from gridhub import models
from gridhub.resolvers.read import holders
from gridhub.resolvers.domain import notices
from gridhub.resolvers.domain import webhooks

from .test_workflow import ok, report

DEPARTMENT = "ecology_environment"  # its user is the demo's `ecology_environment`

NOTICES = """query($unread: Boolean) { notices(first: 500, unread: $unread) { totalCount
  nodes { id kind action actor read note event { id title } department { code } region { path } } } }"""


def gid(type_name: str, row_id: int) -> str:
    return to_base64(type_name, row_id)


def of_event(data: dict, event_id: str, due_soon: bool = False) -> list[dict]:
    """The notices of one event; those of it turning due soon (the server's sweep, on its own
    clock: a short window is due soon at once) only when asked for."""
    return [n for n in data["notices"]["nodes"] if n["event"] and n["event"]["id"] == event_id
            and (due_soon or n["kind"] != "DUE_SOON")]


async def test_every_open_event_has_the_holder_its_predicates_give(app):
    """holder_of (notices) and held_by (filters, both read paths) are one rule: each open
    demo event is held by exactly one region or department, and the SQL agrees."""
    events = await models.Event.filter(deleted_at=None)
    assert events
    by_holder: dict[holders.Holder, set[int]] = {}
    for event in events:
        holder = holders.holder_of(event)
        assert (holder is None) == (event.status.value in ("closed", "rejected", "parked")), event.status
        if holder:
            by_holder.setdefault(holder, set()).add(event.id)
    assert any(h.department_id for h in by_holder) and any(h.region_id for h in by_holder)
    for holder, ids in list(by_holder.items())[:40]:
        where = holders.held_by([holder.region_id] if holder.region_id else [],
                                [holder.department_id] if holder.department_id else [])
        assert set(await models.Event.filter(where.to_q(), deleted_at=None).values_list("id", flat=True)) == ids


def test_acting_paths_are_the_nodes_of_holding_roles(app):
    store = app.state.store
    from gridhub.resolvers.demo.users import DEMO_USERS

    anchors = {u: a for u, _, _, a, _ in DEMO_USERS}
    assert anchors["worker"] == "grid"
    # a department acts by its department, not at the county its role is granted at
    assert holders.acting_paths(store, "police") == set()
    assert holders.acting_paths(store, "auditor") == set()
    assert holders.acting_paths(store, "admin") == set()
    assert len(holders.acting_paths(store, "worker")) == 1
    assert len(holders.acting_paths(store, "community")) == 1


async def test_a_dispatch_tells_the_department_and_fills_its_queue(sign_in, worker, gql, anchors):
    community, department = await sign_in("community"), await sign_in(DEPARTMENT)
    other, leader = await sign_in("civil"), await sign_in("leader")
    ecology = await models.Department.get(code=DEPARTMENT)
    event = await report(worker, gql, anchors)
    await ok(community, "acceptEvent", event, "ACCEPTED")

    queue = "query { myQueue(first: 500) { totalCount nodes { id urgency dueAt } } }"
    assert event not in [n["id"] for n in (await department.query(queue))["myQueue"]["nodes"]]
    # reported in the grid and neither escalated nor dispatched: the grid's to dispatch (its leader's list)
    assert event in [n["id"] for n in (await leader.query(queue))["myQueue"]["nodes"]]
    await ok(community, "dispatchEvent", event, "DISPATCHED", department=gid("Department", ecology.id),
             deadline="2099-01-01T00:00:00Z", note="河道排污")

    told = of_event(await department.query(NOTICES), event)
    assert [(n["kind"], n["action"], n["actor"], n["read"], n["note"], n["department"]["code"]) for n in told] == [
        ("DISPATCHED", "dispatch", "community", False, "河道排污", DEPARTMENT)]
    assert of_event(await other.query(NOTICES), event) == []  # another department hears nothing
    assert of_event(await community.query(NOTICES), event) == []  # the dispatcher is not told its own step
    assert event in [n["id"] for n in (await department.query(queue))["myQueue"]["nodes"]]
    assert event not in [n["id"] for n in (await leader.query(queue))["myQueue"]["nodes"]]
    held = await department.query("query { events(first: 500, filter: {heldBy: {me: true}}) { nodes { id } } }")
    assert event in [n["id"] for n in held["events"]["nodes"]]

    # read marks are each user's own, and markNoticesRead says how many were unread
    unread = await department.query(NOTICES, unread=True)
    assert of_event(unread, event)
    marked = await department.query("mutation($ids: [ID!]) { markNoticesRead(ids: $ids) }",
                                    ids=[told[0]["id"]])
    assert marked["markNoticesRead"] == 1
    audit = await models.AuditEntry.filter(action="mark_notices_read", actor=DEPARTMENT).order_by("-id").first()
    assert audit.detail["notices"] == [int(from_base64(told[0]["id"])[1])]
    assert of_event(await department.query(NOTICES, unread=True), event) == []
    assert of_event(await department.query(NOTICES, unread=False), event)[0]["read"] is True
    again = await department.query("mutation($ids: [ID!]) { markNoticesRead(ids: $ids) }", ids=[told[0]["id"]])
    assert again["markNoticesRead"] == 0
    refused = await other.post("mutation($ids: [ID!]) { markNoticesRead(ids: $ids) }", {"ids": [told[0]["id"]]})
    assert refused.codes == ["BAD_USER_INPUT"]  # not its notice: nothing marked
    civil_user = await models.User.get(username="civil")
    assert not await models.NoticeRead.filter(notice_id=int(from_base64(told[0]["id"])[1]),
                                              user_id=civil_user.id).exists()

    # a failed verification hands it back: RETURNED to the department
    await ok(department, "startHandling", event, "HANDLING")
    await ok(department, "resolveEvent", event, "RESOLVED", feedback="已整改")
    assert event in [n["id"] for n in (await worker.query(queue))["myQueue"]["nodes"]]  # verify: the grid's
    await ok(worker, "verifyEvent", event, "HANDLING", passed=False, note="仍有排污")
    kinds = [n["kind"] for n in of_event(await department.query(NOTICES), event)]
    assert kinds == ["RETURNED", "DISPATCHED"]  # newest first


async def test_escalation_tells_the_tier_above(sign_in, worker, gql, anchors):
    community, town = await sign_in("community"), await sign_in("town")
    event = await report(worker, gql, anchors)
    await ok(community, "escalateEvent", event, "REPORTED")  # grid -> community: the community is told
    assert [n["kind"] for n in of_event(await community.query(NOTICES), event)] == ["ESCALATED"]
    await ok(community, "escalateEvent", event, "REPORTED")  # community -> town
    assert [n["kind"] for n in of_event(await town.query(NOTICES), event)] == ["ESCALATED"]
    held = await town.query("query { events(first: 500, filter: {heldBy: {me: true}, waitingFor: [ACCEPT]}) "
                            "{ nodes { id } } }")
    assert event in [n["id"] for n in held["events"]["nodes"]]
    assert event not in [n["id"] for n in (await community.query(
        "query { events(first: 500, filter: {heldBy: {me: true}}) { nodes { id } } }"))["events"]["nodes"]]


async def test_my_queue_orders_by_urgency_then_due_time_across_pages(sign_in, worker, gql, anchors):
    """The grid leader's queue, page by page with a small page size, is the same list as one
    big page, sorted most urgent first, then by due time."""
    community = await sign_in("leader")
    grid = (await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                            p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    for urgency in ("LOW", "CRITICAL", "NORMAL", "HIGH", "CRITICAL", "LOW", "HIGH"):
        await worker.query("""mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }""",
                           input={"title": f"待办 {urgency}", "kind": "HAZARD", "category": "safety/fire",
                                  "source": "PATROL", "occurredAt": "2026-11-20T08:00:00Z", "regionId": grid,
                                  "urgency": urgency})
    query = """query($after: String, $n: Int) { myQueue(first: $n, after: $after) { totalCount
      pageInfo { hasNextPage endCursor } nodes { id urgency dueAt } } }"""
    whole = (await community.query(query, n=500))["myQueue"]
    assert whole["totalCount"] == len(whole["nodes"]) >= 7
    rank = {"CRITICAL": 0, "HIGH": 1, "NORMAL": 2, "LOW": 3}
    keys = [(rank[n["urgency"]], n["dueAt"] or "9999") for n in whole["nodes"]]
    assert keys == sorted(keys)
    paged, after = [], None
    while True:
        page = (await community.query(query, n=2, after=after))["myQueue"]
        paged += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["id"] for n in paged] == [n["id"] for n in whole["nodes"]]
    held = await community.query("query { events(first: 500, filter: {heldBy: {me: true}, "
                                 "status: [REPORTED, ACCEPTED, DISPATCHED, HANDLING, RESOLVED, VERIFIED]}) "
                                 "{ nodes { id } } }")
    assert {n["id"] for n in held["events"]["nodes"]} == {n["id"] for n in whole["nodes"]}
    bad = await community.post("query { myQueue(after: \"nonsense\") { totalCount } }")
    assert bad.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("held_by,code", [
    ("{}", "BAD_USER_INPUT"), ("{me: true, department: \"RGVwYXJ0bWVudDox\"}", "BAD_USER_INPUT"),
    ("{me: false}", "BAD_USER_INPUT"), ("{region: \"UGVyc29uOjE=\"}", "BAD_USER_INPUT"),
    ("{department: \"RGVwYXJ0bWVudDo5OTk5OTk=\"}", "BAD_USER_INPUT")])
async def test_held_by_refuses_bad_input(worker, held_by, code):
    response = await worker.post(f"query {{ events(filter: {{heldBy: {held_by}}}) {{ totalCount }} }}")
    assert response.codes == [code]


async def test_held_by_a_region_out_of_sight_is_bad_input(worker, gql, anchors):
    """The worker cannot name the town next door's region: no region it may read."""
    town2 = (await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                             p=anchors["town2"]))["regions"]["nodes"][0]["id"]
    response = await worker.post("query($r: ID!) { events(filter: {heldBy: {region: $r}}) { totalCount } }",
                                 {"r": town2})
    assert response.codes == ["BAD_USER_INPUT"]


async def test_due_soon_is_told_once_per_due_time(sign_in, worker, gql, anchors):
    community = await sign_in("community")
    event = await report(worker, gql, anchors)
    row_id = int(__import__("base64").b64decode(event).decode().split(":")[1])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    due = now + timedelta(hours=1)
    # the light rule is resolvers.domain.deadlines'; here the event is made YELLOW directly, due at a
    # time of the test's own (the server's sweep may have told its report's due time already)
    await models.Event.filter(id=row_id).update(due_at=due, open_due_at=due, due_soon_at=now - timedelta(minutes=1))
    await notices.sweep_due_soon(now)
    await notices.sweep_due_soon(now)  # a second sweep (another process, the server's worker) adds nothing
    assert await models.Notice.filter(event_id=row_id, kind="due_soon", due_at=due).count() == 1
    told = of_event(await worker.query(NOTICES), event, due_soon=True)
    # the reporting grid holds it while it waits to be accepted
    assert told and {n["kind"] for n in told} == {"DUE_SOON"} and all(n["region"] for n in told)
    assert of_event(await community.query(NOTICES), event, due_soon=True) == []
    await ok(community, "acceptEvent", event, "ACCEPTED")


# ---- webhooks -----------------------------------------------------------------------------


class Receiver:
    """A department system: checks each signature with the secret, answers 500 to the first
    POST of each delivery and 200 after (other hand-overs to the department, an event of
    the demo turning due soon, may arrive meanwhile: each is told apart by its delivery id)."""

    def __init__(self):
        self.secret = ""
        self.received: list[tuple[bytes, bool, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = webhooks.verify(receiver.secret, body, self.headers.get("X-Gridhub-Signature", ""))
                delivery = self.headers.get("X-Gridhub-Delivery")
                first = all(h.get("X-Gridhub-Delivery") != delivery for _, _, h in receiver.received)
                receiver.received.append((body, signed, dict(self.headers)))
                self.send_response(500 if first else 200 if signed else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/gridhub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def of_event(self, event_id: str) -> list[tuple[bytes, bool, dict]]:
        return [r for r in self.received if json.loads(r[0])["event"]["id"] == event_id]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


DELIVERIES = """query($w: ID) { webhookDeliveries(first: 50, webhook: $w) { totalCount
  nodes { id status attempts lastStatusCode lastError body deliveredAt nextAttemptAt } } }"""


async def wait_for(check, seconds: float = 20.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, "waited in vain"
        await asyncio.sleep(0.1)


async def test_a_hand_over_is_posted_signed_retried_and_replayed(sign_in, worker, gql, anchors):
    admin, community = await sign_in("admin"), await sign_in("community")
    ecology = await models.Department.get(code=DEPARTMENT)
    with Receiver() as receiver:
        made = await admin.query("""mutation($d: ID!, $u: String!) { registerWebhook(department: $d, url: $u) {
            signingKey webhook { id url createdBy department { code } } } }""",
                                 d=gid("Department", ecology.id), u=receiver.url)
        hook = made["registerWebhook"]
        receiver.secret = hook["signingKey"]
        assert hook["signingKey"].startswith("whsec_") and hook["webhook"]["department"]["code"] == DEPARTMENT
        listed = await admin.query("query { webhooks { id url } }")
        assert hook["signingKey"] not in json.dumps(listed) and hook["webhook"]["id"] in [w["id"] for w in listed["webhooks"]]
        audit = await models.AuditEntry.filter(action="register_webhook").order_by("-id").first()
        assert hook["signingKey"] not in json.dumps(audit.detail)  # never shown again, not even in the audit
        try:
            event = await report(worker, gql, anchors)
            await ok(community, "acceptEvent", event, "ACCEPTED")
            await ok(community, "dispatchEvent", event, "DISPATCHED", department=gid("Department", ecology.id),
                     deadline="2099-01-01T00:00:00Z")

            async def delivered():
                log = (await admin.query(DELIVERIES, w=hook["webhook"]["id"]))["webhookDeliveries"]["nodes"]
                mine = [d for d in log if json.loads(d["body"])["event"]["id"] == event]
                return mine if mine and mine[0]["status"] == "DELIVERED" else None

            log = await wait_for(delivered)
            assert len(log) == 1 and log[0]["attempts"] == 2 and log[0]["lastStatusCode"] == 200
            received = receiver.of_event(event)
            assert [signed for _, signed, _ in received] == [True, True]
            first, second = received[0][0], received[1][0]
            assert first == second  # the same body, signed afresh
            body = json.loads(first)
            assert (body["kind"], body["department"], body["event"]["id"]) == ("dispatched", DEPARTMENT, event)
            assert received[0][2]["X-Gridhub-Delivery"] == received[1][2]["X-Gridhub-Delivery"]
            # a signature made with another secret, or a body changed, does not verify
            header = received[1][2]["X-Gridhub-Signature"]
            assert not webhooks.verify("whsec_other", first, header)
            assert not webhooks.verify(receiver.secret, first + b" ", header)

            # replay: sent again (answered 200: not its first POST), counted afresh, audited
            replayed = await admin.query("mutation($id: ID!) { replayWebhookDelivery(id: $id) { status attempts } }",
                                         id=log[0]["id"])
            assert replayed["replayWebhookDelivery"] == {"status": "PENDING", "attempts": 0}

            async def third():
                return len(receiver.of_event(event)) == 3

            await wait_for(third)
            log = await wait_for(delivered)
            again = receiver.of_event(event)[2]
            assert log[0]["attempts"] == 1 and again[0] == first and again[1]
            assert await models.AuditEntry.filter(action="replay_webhook").exists()
        finally:
            removed = await admin.query("mutation($id: ID!) { removeWebhook(id: $id) { removedAt } }",
                                        id=hook["webhook"]["id"])
            assert removed["removeWebhook"]["removedAt"]


ADMIN_CALLS = {
    "register": ("mutation($d: ID!) { registerWebhook(department: $d, url: \"https://x.example/h\") { signingKey } }",
                 True),
    "list": ("query { webhooks { id } }", False),
    "log": ("query { webhookDeliveries(first: 1) { totalCount } }", False),
}


@pytest.mark.parametrize("who", ["townadmin", "county", "police", DEPARTMENT, "worker", "auditor"])
@pytest.mark.parametrize("call", sorted(ADMIN_CALLS))
async def test_only_a_county_wide_admin_manages_webhooks(sign_in, who, call):
    client = await sign_in(who)
    ecology = await models.Department.get(code=DEPARTMENT)
    before = await models.Webhook.all().count()
    query, takes_department = ADMIN_CALLS[call]
    response = await client.post(query, {"d": gid("Department", ecology.id)} if takes_department else None)
    assert response.codes == ["FORBIDDEN"], response.errors
    assert await models.Webhook.all().count() == before


@pytest.mark.parametrize("url", ["ftp://x.example/", "javascript:alert(1)", "https://x.example/a b", ""])
async def test_a_webhook_url_is_http(sign_in, url):
    admin = await sign_in("admin")
    ecology = await models.Department.get(code=DEPARTMENT)
    response = await admin.post("mutation($d: ID!, $u: String!) { registerWebhook(department: $d, url: $u) { signingKey } }",
                                {"d": gid("Department", ecology.id), "u": url})
    assert response.codes == ["BAD_USER_INPUT"]


def test_backoff_doubles_up_to_an_hour():
    assert [webhooks.backoff(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff(20, 30).total_seconds() == 3600


def test_the_receiver_in_the_departments_guide_verifies_our_signatures():
    """docs/departments.md's receiver code, run as written: it accepts what the hub signs,
    and refuses another secret, a changed body and an old timestamp."""
    import re
    import time as clock
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "departments.md").read_text(encoding="utf-8")
    code = re.search(r"A receiver, Python's standard library only.*?```python\n(.*?)```", doc, re.S).group(1)
    namespace: dict = {"__name__": "receiver"}
    exec(compile(code, "docs/departments.md", "exec"), namespace)
    verify = namespace["verify_signature"]
    body, now = b'{"id":"Tm90aWNlOjE=","kind":"dispatched"}', int(clock.time())
    header = webhooks.sign("whsec_k", body, now)
    assert verify("whsec_k", body, header)
    assert not verify("whsec_other", body, header)
    assert not verify("whsec_k", body + b" ", header)
    assert not verify("whsec_k", body, webhooks.sign("whsec_k", body, now - 3600))
    assert not verify("whsec_k", body, "nonsense")
