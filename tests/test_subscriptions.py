"""`eventChanged` over graphql-transport-ws on a real WebSocket: each subscriber hears the
changes of the events its scope lets it read, in order, and nothing of the others.

In-process: the session app served by uvicorn on the session's event loop (loopback),
changes made through the same app. Across processes: two servers on a fresh database
sharing Redis, as in test_multiprocess.py; on PostgreSQL the scratch database is
`gridhub_subscriptions`, never the suite's."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gridhub import models
from gridhub.models.enums import EventKind, EventSource
from gridhub.policies.scope import Scope
from gridhub.resolvers.write import mutations
from gridhub.resolvers.domain import workflow
from gridhub.resolvers.identity.context import sensitive_reads_of
from gridhub.resolvers.demo.users import DEMO_USERS
from gridhub.policies.predicate import In, and_
from gridhub.resolvers.read.change_visibility import seen_by_scopes
from gridhub.resolvers.runtime.event_bus import Change, Frame, Operation, Subscriber, running_bus
from gridhub.resolvers.read.query import rows
from gridhub.schema.subscription import GroupedSubscriptions

from .servers import Server, base_env, free_port, redis_available, running_servers, scratch_demo_database

WAIT = 5.0  # seconds any one expected message may take
PROTOCOL = "graphql-transport-ws"
CHANGES = """subscription($region: ID) { eventChanged(region: $region) {
               action eventId version event { title status region { path } } } }"""
REPORT = """mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }"""
ACCEPT = """mutation($id: ID!) { acceptEvent(id: $id) { status } }"""
DISPATCH = """mutation($id: ID!, $region: ID, $department: ID) {
                dispatchEvent(id: $id, region: $region, department: $department) { status } }"""
GRANT = """mutation($u: String!, $g: ID!) { grantRole(username: $u, role: "grid_worker", region: $g) { role } }"""
REVOKE = """mutation($u: String!, $g: ID!) { revokeRole(username: $u, role: "grid_worker", region: $g) { role } }"""
REGION = "query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }"


def gid(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def event_input(title: str, region: str) -> dict:
    return {"title": title, "kind": "HAZARD", "category": "safety/fire", "source": "PATROL",
            "occurredAt": "2026-11-20T08:00:00Z", "regionId": region}


# -- a graphql-transport-ws client ------------------------------------------------------

@dataclass
class Listener:
    """One connection with one subscription; `received` holds each message with the time
    it arrived (time.monotonic)."""

    socket: ClientConnection
    received: asyncio.Queue = field(default_factory=asyncio.Queue)
    reader: asyncio.Task | None = None

    async def next(self) -> tuple[dict, float]:
        """The next eventChanged, and when it arrived."""
        message, at = await asyncio.wait_for(self.received.get(), WAIT)
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        return message["payload"]["data"]["eventChanged"], at

    async def read(self) -> None:
        async for raw in self.socket:
            await self.received.put((text_frame(raw), time.monotonic()))


async def open_socket(url: str, payload: dict | None = None) -> ClientConnection:
    """Connect and send connection_init; the caller reads the answer."""
    ws = await asyncio.wait_for(connect(url, subprotocols=[PROTOCOL]), WAIT)
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return ws


def text_frame(raw: str | bytes) -> dict:
    """A message of the protocol: JSON in a text frame (the websockets client gives a text
    frame as str, a binary one as bytes, which browsers' clients cannot read)."""
    assert isinstance(raw, str), f"a binary frame: {raw[:80]!r}"
    return json.loads(raw)


async def answer(ws: ClientConnection) -> dict:
    return text_frame(await asyncio.wait_for(ws.recv(), WAIT))


async def signed_in_socket(url: str, token: str | None) -> ClientConnection:
    ws = await open_socket(url, {"Authorization": f"Bearer {token}"} if token else {})
    assert (await answer(ws))["type"] == "connection_ack"
    return ws


async def subscribe(ws: ClientConnection, query: str = CHANGES, **variables) -> None:
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))


async def listen(url: str, token: str, **variables) -> Listener:
    """A subscriber to eventChanged; the server registers it with its bus a moment later."""
    ws = await signed_in_socket(url, token)
    await subscribe(ws, **variables)
    # a pong means the server has read the subscribe; its operation task registers with the
    # bus a few milliseconds later (parse, permission, region), well before the first change
    # a test makes after a further round trip to the other server
    await ws.send(json.dumps({"type": "ping"}))
    assert (await answer(ws))["type"] == "pong"
    listener = Listener(ws)
    listener.reader = asyncio.create_task(listener.read())
    return listener


async def until(condition, failure: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, failure
        await asyncio.sleep(0.005)


async def listen_here(url: str, token: str, **variables) -> Listener:
    """A subscriber to eventChanged on this process's app, once the bus has registered it."""
    subscribers = running_bus().subscribers
    before = len(subscribers)
    listener = await listen(url, token, **variables)
    await until(lambda: len(subscribers) > before, "the subscription never reached the bus")
    return listener


def error_codes(message: dict) -> list[str]:
    """The codes of an `error` message, or of the errors of a `next` one."""
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors") or []
    return [(e.get("extensions") or {}).get("code") for e in errors]


async def close_all(listeners: list[Listener]) -> None:
    for listener in listeners:
        await listener.socket.close()
        if listener.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.reader, WAIT)


def seen(change: dict) -> tuple:
    event = change["event"]
    return change["action"], row_id(change["eventId"]), event["status"] if event else None


# -- in process: the session app on loopback --------------------------------------------

@pytest.fixture(scope="module")
async def ws_url(app):
    """The session app (its lifespan already running) served by uvicorn for WebSockets."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", timeout_graceful_shutdown=2))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    yield f"ws://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await asyncio.wait_for(serving, 10)


@pytest.fixture(scope="module")
async def tokens(sign_in) -> dict[str, str]:
    return {name: (await sign_in(name)).token for name in ("worker", "police", "county")}


async def region_of(gql, path: str) -> str:
    return (await gql.query(REGION, p=path))["regions"]["nodes"][0]["id"]


async def test_each_subscriber_hears_what_its_scope_reads(ws_url, tokens, worker, sign_in, gql, anchors):
    """The worker hears every change of its grid's events; the police only from the dispatch
    to their department on (the `event:assigned` facet); a deletion reaches the worker as a
    tombstone, never the police, who could not read the event."""
    community = await sign_in("community")
    grid = await region_of(gql, anchors["grid"])
    public_security = gid("Department", (await models.Department.get(code="public_security")).id)
    listeners = [await listen_here(ws_url, tokens["worker"]), await listen_here(ws_url, tokens["police"])]
    on_worker, on_police = listeners
    try:
        doomed = (await worker.query(REPORT, input=event_input("井盖缺失", grid)))["reportEvent"]["id"]
        kept = (await worker.query(REPORT, input=event_input("路灯损坏", grid)))["reportEvent"]["id"]
        await community.query(ACCEPT, id=kept)
        await mutations.delete_row(Scope.everything(), "event", row_id(doomed))  # no demo role deletes events
        await community.query(DISPATCH, id=kept, department=public_security)

        heard = [seen((await on_worker.next())[0]) for _ in range(5)]
        assert [(action, event) for action, event, _ in heard] == [
            ("report", row_id(doomed)), ("report", row_id(kept)), ("accept", row_id(kept)),
            ("delete", row_id(doomed)), ("dispatch", row_id(kept))]
        # each change carries the event as it stands when delivered: at its own step or later
        # (changes coming in one burst are decided together, on the rows as they are then)
        steps = [None, "REPORTED", "ACCEPTED", "DISPATCHED"]
        own = ["REPORTED", "REPORTED", "ACCEPTED", None, "DISPATCHED"]
        assert all(steps.index(status) >= steps.index(at) if at else status is None
                   for (_, _, status), at in zip(heard, own)), heard
        # the police's first message is the dispatch: nothing of either event came before it
        assert seen((await on_police.next())[0]) == ("dispatch", row_id(kept), "DISPATCHED")
    finally:
        await close_all(listeners)
    await until(lambda: not running_bus().subscribers, "closed sockets left their subscribers on the bus")


NOTICES = "subscription { noticeReceived { kind action actor read event { id } department { code } } }"


async def test_a_hand_over_reaches_its_holder_as_a_notice(ws_url, tokens, worker, sign_in, gql, anchors):
    """noticeReceived: the police hear the dispatch to their department as a notice, unread;
    the worker, whose grid hands the event over, is not told of the dispatch."""
    community = await sign_in("community")
    grid = await region_of(gql, anchors["grid"])
    public_security = gid("Department", (await models.Department.get(code="public_security")).id)
    listeners = [await listen_here(ws_url, tokens["police"]), await listen_here(ws_url, tokens["worker"])]
    for listener in listeners:  # the subscriptions were eventChanged: notices instead
        await listener.socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": NOTICES}}))
    on_police, on_worker = listeners
    try:
        event = (await worker.query(REPORT, input=event_input("消防通道占用", grid)))["reportEvent"]["id"]
        await community.query(ACCEPT, id=event)
        await community.query(DISPATCH, id=event, department=public_security)

        async def notice(listener: Listener) -> dict:
            while True:
                message, _ = await asyncio.wait_for(listener.received.get(), WAIT)
                if message.get("id") == "2":
                    assert message["type"] == "next" and not message["payload"].get("errors"), message
                    return message["payload"]["data"]["noticeReceived"]

        told = await notice(on_police)
        while told["event"]["id"] != event or told["kind"] == "DUE_SOON":  # another of theirs turning due soon
            told = await notice(on_police)
        assert told == {"kind": "DISPATCHED", "action": "dispatch", "actor": "community", "read": False,
                        "event": {"id": event}, "department": {"code": "public_security"}}
        # the worker holds the event until it is dispatched: it may hear that it turned due soon
        # (the server's sweep: the category gives two hours to accept), never of the dispatch
        heard = []
        with contextlib.suppress(TimeoutError):
            while True:
                heard.append((await notice(on_worker))["kind"])
        assert set(heard) <= {"DUE_SOON"}, heard
    finally:
        await close_all(listeners)
    await until(lambda: not running_bus().subscribers, "closed sockets left their subscribers on the bus")


async def test_region_narrows_and_policy_edits_apply_to_open_subscriptions(ws_url, tokens, worker, sign_in,
                                                                            gql, anchors):
    admin = await sign_in("admin")
    grid, sibling = await region_of(gql, anchors["grid"]), await region_of(gql, anchors["sibling_grid"])
    in_sibling = {"title": "电动车楼道充电", "kind": EventKind.HAZARD, "category": "safety/fire", "source": EventSource.PATROL,
                  "occurred_at": datetime(2026, 11, 20, tzinfo=timezone.utc), "region_id": row_id(sibling)}
    listeners = [await listen_here(ws_url, tokens["worker"]),
                 await listen_here(ws_url, tokens["county"], region=sibling)]
    on_worker, on_county_sibling = listeners
    granted = False
    try:
        await admin.query(GRANT, u="worker", g=sibling)
        granted = True
        first = await workflow.report_event(Scope.everything(), "test", in_sibling)
        await admin.query(REVOKE, u="worker", g=sibling)
        granted = False
        own = row_id((await worker.query(REPORT, input=event_input("垃圾满溢", grid)))["reportEvent"]["id"])
        second = await workflow.report_event(Scope.everything(), "test", in_sibling)
        own_again = row_id((await worker.query(REPORT, input=event_input("积水", grid)))["reportEvent"]["id"])

        # while granted the worker heard the sibling grid; after the revoke, only its own
        assert [seen((await on_worker.next())[0])[:2] for _ in range(3)] == [
            ("report", first.id), ("report", own), ("report", own_again)]
        # the county, narrowed to the sibling grid, heard both there and not the worker's between
        assert [seen((await on_county_sibling.next())[0])[:2] for _ in range(2)] == [
            ("report", first.id), ("report", second.id)]
    finally:
        if granted:
            await admin.query(REVOKE, u="worker", g=sibling)
        await close_all(listeners)


async def test_signing_in_over_the_socket(ws_url, tokens, gql, anchors):
    # `token` in the payload works like the Authorization header
    ws = await open_socket(ws_url, {"token": tokens["worker"]})
    assert (await answer(ws))["type"] == "connection_ack"
    await subscribe(ws, "{ me { username } }")
    message = await answer(ws)
    assert message == {"id": "1", "type": "next", "payload": {"data": {"me": {"username": "worker"}}}}
    assert await answer(ws) == {"id": "1", "type": "complete"}
    await ws.close()

    # a token that is not valid refuses the connection itself
    ws = await open_socket(ws_url, {"authorization": "Bearer not-a-token"})
    with pytest.raises(ConnectionClosed) as closed:
        await answer(ws)
    assert closed.value.rcvd.code == 4403

    # an anonymous connection is accepted, its subscription refused like any root field
    ws = await signed_in_socket(ws_url, None)
    await subscribe(ws)
    assert error_codes(await answer(ws)) == ["UNAUTHENTICATED"]
    await ws.close()

    # a region outside the worker's scope is unknown to it
    ws = await signed_in_socket(ws_url, tokens["worker"])
    await subscribe(ws, region=await region_of(gql, anchors["town2"]))
    assert error_codes(await answer(ws)) == ["BAD_USER_INPUT"]
    await ws.close()


async def operation(ws: ClientConnection, query: str, op: str, **variables) -> dict:
    """Run one query or mutation over the socket: its one `next` payload (then `complete`)."""
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}))
    result = await answer(ws)
    assert result["id"] == op and result["type"] == "next", result
    assert await answer(ws) == {"id": op, "type": "complete"}
    return result["payload"]


SOCKET_USER = "ws_operations"
IN_GRID = """query($p: String) { me { username }
  persons(first: 3, filter: {regionPath: $p}) { totalCount nodes { id idNumber } } }"""


@pytest.fixture
async def socket_user(app, sign_in, gql, anchors):
    """A user of its own, grid worker of the anchor grid, signed in (over HTTP)."""
    from gridhub.resolvers.domain import users
    from .client import GraphQLClient

    await users.create_user("test", SOCKET_USER, "socket-operations-pass")
    admin = await sign_in("admin")
    grid = await region_of(gql, anchors["grid"])
    await admin.query(GRANT, u=SOCKET_USER, g=grid)
    token = (await GraphQLClient(admin.http).query(
        'mutation($u: String!) { login(username: $u, password: "socket-operations-pass") { token } }',
        u=SOCKET_USER))["login"]["token"]
    try:
        yield {"token": token, "admin": admin, "grid": grid}
    finally:
        await admin.post(REVOKE, {"u": SOCKET_USER, "g": grid})
        await models.User.filter(username=SOCKET_USER).delete()


async def test_queries_and_mutations_over_the_socket_run_as_over_http(ws_url, socket_user, anchors):
    """Each operation over one socket gets a context of its own, as an HTTP request does: it
    reads the scope of the policy in force and audits what it reveals; a grant revoked, or
    the user disabled, takes effect on the next operation over the same socket."""
    from .audit import audit_mark, entries_since, revealed_since

    ws = await signed_in_socket(ws_url, socket_user["token"])
    mark = await audit_mark()
    first = await operation(ws, IN_GRID, "q1", p=anchors["grid"])
    assert first["data"]["me"] == {"username": SOCKET_USER}
    in_grid = first["data"]["persons"]
    assert in_grid["totalCount"] > 0 and all("*" not in p["idNumber"] for p in in_grid["nodes"])
    # the identity numbers shown, audited as over HTTP
    shown = {row_id(p["id"]) for p in in_grid["nodes"]}
    assert await revealed_since(SOCKET_USER, mark, "id_number") == shown

    # a mutation over the socket: written, audited under the user, heard by nobody's scope but its own
    grid = socket_user["grid"]
    reported = await operation(ws, REPORT, "m1", input=event_input("套接字上报", grid))
    event_id = row_id(reported["data"]["reportEvent"]["id"])
    assert (await models.Event.get(id=event_id)).reporter_name
    assert [e.object_id for e in await entries_since(SOCKET_USER, mark, "report")] == [str(event_id)]
    await models.Event.filter(id=event_id).update(deleted_at=datetime.now(timezone.utc))

    # the grant revoked (over HTTP, by the admin): the next operation on the same socket reads nothing
    await socket_user["admin"].query(REVOKE, u=SOCKET_USER, g=grid)
    after = await operation(ws, IN_GRID, "q2", p=anchors["grid"])
    assert after["data"]["persons"] == {"totalCount": 0, "nodes": []}
    refused = await operation(ws, REPORT, "m2", input=event_input("撤权后上报", grid))
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]

    # the user disabled: the next operation is not signed in
    await socket_user["admin"].query(GRANT, u=SOCKET_USER, g=grid)
    assert (await operation(ws, IN_GRID, "q3", p=anchors["grid"]))["data"]["persons"]["totalCount"] > 0
    await models.User.filter(username=SOCKET_USER).update(is_active=False)
    gone = await operation(ws, IN_GRID, "q4", p=anchors["grid"])
    assert gone["data"] is None and {e["extensions"]["code"] for e in gone["errors"]} == {"UNAUTHENTICATED"}
    await ws.close()


async def test_a_compiled_query_over_the_socket_sends_the_resolvers_text(ws_url, tokens, worker, settings,
                                                                        monkeypatch):
    """A plain read over the socket takes the compiled path as over HTTP: the database's JSON
    spliced into the `next` message (a text frame), the very text the resolvers' answer makes."""
    from gridhub.schema import compiled as compiled_path
    from .test_compiled import read_path

    answered = []
    real = compiled_path.compiled_result

    async def spy(*args, **kwargs):
        answered.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(compiled_path, "compiled_result", spy)
    query = "{ persons(first: 5) { totalCount nodes { id name idNumber tags household { code } } } }"
    texts = {}
    for compiled in (False, True):
        answered.clear()
        ws = await signed_in_socket(ws_url, tokens["worker"])
        with read_path(settings, compiled):
            await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": query}}))
            texts[compiled] = await asyncio.wait_for(ws.recv(), WAIT)
            assert await answer(ws) == {"id": "q", "type": "complete"}
        await ws.close()
        assert bool(answered) == compiled
    assert texts[True] == texts[False]
    message = text_frame(texts[True])
    assert message["type"] == "next" and message["payload"] == (await worker.post(query)).json
    assert message["payload"]["data"]["persons"]["nodes"]


async def test_operations_over_the_socket_spend_the_rate_limit(ws_url, tokens, monkeypatch):
    """Each operation over a socket counts against its user's limit, as each HTTP request does."""
    from gridhub.resolvers.identity.rate_limit import LeasedWindow, SlidingWindow

    hits = []

    def counting(real):
        async def counted(self, key):
            hits.append(key)
            verdict = await real(self, key)
            return verdict if len(hits) < 3 else type(verdict)(False, 7)
        return counted

    for window in (SlidingWindow, LeasedWindow):  # in memory, or leased from Redis (CACHE_URL)
        monkeypatch.setattr(window, "hit", counting(window.hit))
    ws = await signed_in_socket(ws_url, tokens["worker"])
    for op in ("r1", "r2"):
        assert (await operation(ws, "{ me { username } }", op))["data"] == {"me": {"username": "worker"}}
    refused = await operation(ws, "{ me { username } }", "r3")
    assert refused["data"] is None and refused["errors"][0]["extensions"] == {
        "code": "RATE_LIMITED", "retryAfter": 7}
    assert len(hits) == 3 and len(set(hits)) == 1 and hits[0].startswith("user:")
    await ws.close()


async def test_a_subscription_over_http_is_refused(worker):
    """A client that sends a subscription over HTTP is told where it runs, not given a 500."""
    response = await worker.post(CHANGES)
    assert response.codes == ["BAD_REQUEST"] and response.data is None
    assert "over WebSocket" in response.errors[0]["message"]


def test_a_slow_subscriber_loses_its_oldest_changes(caplog):
    subscriber = Subscriber(2)
    with caplog.at_level(logging.WARNING, logger="gridhub.events"):
        for version in (1, 2, 3, 4):
            subscriber.offer(Frame("update", 7, str(version)))
    assert [subscriber.inbox.get_nowait().payload for _ in range(2)] == ["3", "4"]
    assert [r.getMessage() for r in caplog.records] == [
        "a subscriber fell 2 changes behind: dropping its oldest, from update of event 7"]


# -- groups: one execution per change for the sockets of one key ------------------------

TITLES = "subscription { eventChanged { action eventId version event { title } } }"  # not CHANGES


async def test_sockets_of_one_key_share_one_execution_per_change(ws_url, tokens, worker, gql, anchors,
                                                                  monkeypatch):
    """Five sockets of the worker with one document are one group: each change is executed
    once for them, not five times, and each is sent the same payload. Another document, or
    another scope (the county centre's), is a group of its own."""
    executions: list[list[str]] = []  # per group execution started, the payloads it made
    execute = GroupedSubscriptions.execute_for_group

    async def counted(self, context, operation):
        made: list[str] = []
        executions.append(made)
        async for payload in execute(self, context, operation):
            made.append(payload)
            yield payload

    monkeypatch.setattr(GroupedSubscriptions, "execute_for_group", counted)
    grid = await region_of(gql, anchors["grid"])
    same = [await listen_here(ws_url, tokens["worker"]) for _ in range(5)]
    other_document = await listen_here(ws_url, tokens["worker"], query=TITLES)
    other_scope = await listen_here(ws_url, tokens["county"])
    listeners = [*same, other_document, other_scope]
    try:
        assert len({id(s.group) for s in running_bus().subscribers}) == 3
        made = [row_id((await worker.query(REPORT, input=event_input(title, grid)))["reportEvent"]["id"])
                for title in ("窨井盖松动", "广告牌倾斜")]
        heard = [[(await listener.next())[0] for _ in made] for listener in listeners]
        assert [[row_id(change["eventId"]) for change in changes] for changes in heard] == [made] * 7
        assert all(changes == heard[0] for changes in heard[:5])
        assert "status" in heard[0][0]["event"] and "status" not in heard[5][0]["event"]
        # one execution per group, each making one payload per change: 3 × 2, not 7 × 2
        assert sorted(map(len, executions)) == [2, 2, 2], executions
    finally:
        await close_all(listeners)
    await until(lambda: not running_bus().groups, "groups outlived their sockets")


def test_subscribers_whose_rights_differ_never_share_a_group(app):
    """A group's one execution decides what each member sees and what is masked for it: its
    key holds the scope (every rule, sensitive fields among them, and the caller facts they
    depend on), the policy version, the document with its variables and the region. Every
    demo role's key differs from every other's; the same rights with the same document
    share one; near misses — the worker without `person.phone`, another policy version,
    other variables, another region — do not."""
    graphql, store = app.state.graphql, app.state.store
    users = {name: models.User(username=name, department_id=i if department else None)
             for i, (name, _, _, _, department) in enumerate(DEMO_USERS)}
    operation = Operation("1", CHANGES, None, None, send=None, execute=None)

    def key(user, scope=None, version=store.version, op=operation, region=None):
        return Subscriber(1, user, region, None, op).key(scope or graphql.scopes.get(store, user), version)

    keys = {name: key(user) for name, user in users.items()}
    assert len(set(keys.values())) == len(users), "two demo roles with one key"
    worker = graphql.scopes.get(store, users["worker"])
    assert ("person.phone", "read") in worker.rules
    twin = models.User(username="worker", department_id=None)  # another socket of the same rights
    assert key(twin) == keys["worker"]
    unmasked_less = type(worker)({k: p for k, p in worker.rules.items() if k != ("person.phone", "read")}, worker.who)
    near_misses = [key(users["worker"], scope=unmasked_less), key(users["worker"], version=store.version + 1),
                   key(users["worker"], op=Operation("1", CHANGES, {"region": "UmVnaW9uOjE="}, None, None, None)),
                   key(users["worker"], op=Operation("1", TITLES, None, None, None, None)),
                   key(users["worker"], region="/340223/")]
    assert keys["worker"] not in near_misses and len(set(near_misses)) == len(near_misses)
    # the operation's id is the socket's own, not part of what it is sent
    assert key(users["worker"], op=Operation("7", CHANGES, None, None, None, None)) == keys["worker"]


async def test_sensitive_fields_are_masked_per_member_and_audited_per_reader(ws_url, tokens, worker, gql,
                                                                             anchors):
    """The worker (granted `person.phone`) and the county centre (not) hear the same change
    of an event naming a person: the worker's payload holds the phone whole and the read is
    audited as the worker's, the county's holds it masked and audits nothing."""
    grid = await region_of(gql, anchors["grid"])
    persons = (await worker.query("query($p: String) { persons(first: 50, filter: {regionPath: $p}) "
                                  "{ nodes { id phone } } }", p=anchors["grid"]))["persons"]["nodes"]
    person = next(p for p in persons if p["phone"])
    query = "subscription { eventChanged { eventId event { persons { id phone } } } }"
    listeners = [await listen_here(ws_url, tokens["worker"], query=query),
                 await listen_here(ws_url, tokens["county"], query=query)]
    on_worker, on_county = listeners
    since = datetime.now(timezone.utc)
    try:
        made = (await worker.query(REPORT, input={**event_input("邻里纠纷", grid), "personIds": [person["id"]]}))
        event = row_id(made["reportEvent"]["id"])
        by_worker, by_county = (await on_worker.next())[0], (await on_county.next())[0]
        assert row_id(by_worker["eventId"]) == row_id(by_county["eventId"]) == event
        assert by_worker["event"]["persons"] == [person]
        [masked] = by_county["event"]["persons"]
        assert masked["phone"] != person["phone"] and "*" in masked["phone"]
        assert masked["phone"][:3] == person["phone"][:3] and masked["phone"][-4:] == person["phone"][-4:]
    finally:
        await close_all(listeners)

    async def audited() -> list[str]:
        return [e.actor for e in await sensitive_reads_of("person", row_id(person["id"]), "phone") if e.at >= since]

    # the group writes a delivery's audit once its payload is on its way to the sockets
    # (resuming its execution for the next change): on a loaded machine after the test read it
    deadline = time.monotonic() + WAIT
    while "worker" not in await audited() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    found = await audited()
    assert "worker" in found and "county" not in found


async def seen_through_the_orm(scope: Scope, changes: list[Change]) -> list[tuple | None]:
    """What a scope may see of each change, read as every read is (`query.rows`) — how the
    bus decided it once per group before one statement decided a round for every scope: a
    live event through the scope, a deletion if the scope's predicate holds for the
    deleted row."""
    deleted = tuple({c.event_id for c in changes if c.action == "delete"})
    live = tuple({c.event_id for c in changes if c.action != "delete"})
    could_see = set(await models.Event.filter(and_(scope.where("event"), In("id", deleted)).to_q())
                    .values_list("id", flat=True)) if deleted else set()
    events = {e.id for e in await rows(scope, "event", In("id", live))} if live else set()
    return [(c.action, c.event_id, c.action != "delete")
            if c.event_id in (could_see if c.action == "delete" else events) else None for c in changes]


async def test_one_statement_decides_a_round_for_every_scope_as_each_scope_reads(app, worker, sign_in, gql,
                                                                                anchors, count_sql):
    """A round of changes — reports in the worker's grid and its sibling, a dispatch to the
    police (their `event:assigned` facet), deletions of an event the police read and of one
    they never did, a change of an event deleted since, an id that is no event — decided for
    every demo role's scope in two statements, with the same answer as reading each scope's
    events through the ORM."""
    graphql, store = app.state.graphql, app.state.store
    community = await sign_in("community")
    grid, sibling = await region_of(gql, anchors["grid"]), await region_of(gql, anchors["sibling_grid"])
    public_security = gid("Department", (await models.Department.get(code="public_security")).id)

    async def report(title: str, region: str, dispatched: bool = False) -> int:
        made = (await worker.query(REPORT, input=event_input(title, region)))["reportEvent"]["id"]
        if dispatched:
            await community.query(ACCEPT, id=made)
            await community.query(DISPATCH, id=made, department=public_security)
        return row_id(made)

    in_grid, to_police = await report("楼道堆物", grid), await report("违停堵塞消防通道", grid, dispatched=True)
    deleted_after_dispatch = await report("占道经营", grid, dispatched=True)
    deleted = await report("乱搭电线", grid)
    # the sibling grid: the worker reports there with no grant, so the unrestricted scope does
    elsewhere = (await workflow.report_event(Scope.everything(), "test", {
        "title": "高空抛物", "kind": EventKind.HAZARD, "category": "safety/fire", "source": EventSource.PATROL,
        "occurred_at": datetime(2026, 11, 20, tzinfo=timezone.utc), "region_id": row_id(sibling)})).id
    for event in (deleted_after_dispatch, deleted):
        await mutations.delete_row(Scope.everything(), "event", event)
    changes = [Change(in_grid, "report", anchors["grid"], 1), Change(to_police, "dispatch", anchors["grid"], 3),
               Change(elsewhere, "report", anchors["sibling_grid"], 1),
               Change(deleted_after_dispatch, "accept", anchors["grid"], 2),
               Change(deleted_after_dispatch, "delete", anchors["grid"], 4),
               Change(deleted, "delete", anchors["grid"], 2), Change(10 ** 9, "update", anchors["grid"], 1)]
    scopes = {}
    for username, *_ in DEMO_USERS:
        scope = graphql.scopes.get(store, await models.User.get(username=username))
        scopes[scope.hash] = scope
    scopes[Scope.everything().hash] = Scope.everything()

    with count_sql() as counter:
        decided = await seen_by_scopes(scopes, changes)
    assert counter.count == 2, counter.statements

    def shown(seen):
        return None if seen is None else (seen.action, seen.event_id, seen.event is not None)

    for h, scope in scopes.items():
        assert [shown(s) for s in decided[h]] == await seen_through_the_orm(scope, changes), h
        assert all(s.event.id == s.event_id for s in decided[h] if s is not None and s.event is not None)
    worker_scope = graphql.scopes.get(store, await models.User.get(username="worker"))
    police_scope = graphql.scopes.get(store, await models.User.get(username="police"))
    # the cases the test is made of: each scope sees some of the round and not the rest
    assert [shown(s) for s in decided[worker_scope.hash]] == [
        ("report", in_grid, True), ("dispatch", to_police, True), None, None,
        ("delete", deleted_after_dispatch, False), ("delete", deleted, False), None]
    assert [shown(s) for s in decided[police_scope.hash]] == [
        None, ("dispatch", to_police, True), None, None, ("delete", deleted_after_dispatch, False), None, None]
    # each scope's fields resolve on an event of its own, not one shared with another group
    assert decided[worker_scope.hash][0].event is not decided[Scope.everything().hash][0].event


# -- across processes: two servers sharing Redis ------------------------------------------

PG_DATABASE = "gridhub_subscriptions"
REDIS_URL = "redis://127.0.0.1:6379/4"  # not the suite's db 0 nor test_multiprocess's 3


@pytest.fixture(scope="module")
def scratch_database_url(tmp_path_factory):
    yield from scratch_demo_database(tmp_path_factory, PG_DATABASE)


@pytest.fixture
def two_servers(scratch_database_url, tmp_path):
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379 (`redis-cli ping` failed)")
    yield from running_servers(base_env(scratch_database_url, REDIS_URL), tmp_path)


async def test_a_worker_hears_its_grid_across_processes_and_not_the_sibling_grid(two_servers):
    """Done-when of issue 4.6: the worker subscribes on B; on A an event is reported in its
    grid and one in the sibling grid, and both go through accept and dispatch, interleaved.
    B sends the worker exactly its grid's three changes, in order."""
    a, b = two_servers
    call = asyncio.to_thread  # the servers' client is synchronous: keep the loop free to read
    admin, worker, leader, town = [await call(a.login, n) for n in ("admin", "worker", "leader", "town")]
    own_path = (await call(a.data, "{ me { roles { domain } } }", worker))["me"]["roles"][0]["domain"].rstrip("*")
    parent = own_path.rstrip("/").rsplit("/", 1)[0] + "/"
    grids = (await call(a.data, "query($p: String) { regions(first: 50, filter: {tier: [GRID], regionPath: $p})"
                                " { nodes { id path } } }", admin, p=parent))["regions"]["nodes"]
    own = next(g["id"] for g in grids if g["path"] == own_path)
    sibling = next(g["id"] for g in grids if g["path"] != own_path)
    b_url = f"ws://127.0.0.1:{b.port}/graphql"

    # an anonymous subscription is refused on B as on any root field
    ws = await signed_in_socket(b_url, None)
    await subscribe(ws)
    assert error_codes(await answer(ws)) == ["UNAUTHENTICATED"]
    await ws.close()

    on_worker = await listen(b_url, worker)
    try:
        await call(a.data, GRANT, admin, u="town", g=sibling)  # a reporter in the sibling grid
        sent: dict[str, tuple[float, float]] = {}  # each change of our event: mutation sent, answered

        async def on_a(query: str, token: str, mark: str | None = None, **variables) -> dict:
            began = time.monotonic()
            data = await call(a.data, query, token, **variables)
            if mark:
                sent[mark] = began, time.monotonic()
            return data

        mine = (await on_a(REPORT, worker, "report", input=event_input("消防通道堵塞", own)))["reportEvent"]["id"]
        theirs = (await on_a(REPORT, town, input=event_input("违章搭建", sibling)))["reportEvent"]["id"]
        await on_a(ACCEPT, leader, "accept", id=mine)
        await on_a(ACCEPT, town, id=theirs)
        await on_a(DISPATCH, town, id=theirs, region=sibling)
        await on_a(DISPATCH, leader, "dispatch", id=mine, region=own)

        heard = [await on_worker.next() for _ in range(3)]
        changes = [change for change, _ in heard]
        assert [(c["action"], row_id(c["eventId"])) for c in changes] == [
            ("report", row_id(mine)), ("accept", row_id(mine)), ("dispatch", row_id(mine))]
        assert changes[0]["version"] < changes[1]["version"] < changes[2]["version"]
        assert changes[2]["event"]["status"] == "DISPATCHED"
        assert {c["event"]["region"]["path"] for c in changes} == {own_path}
        # our dispatch was the last change made: had B sent anything of the sibling grid's
        # event (changed before it, on the same channel), it would have come first
        assert on_worker.received.empty()
        latency = ", ".join(f"{c['action']} {(at - sent[c['action']][0]) * 1000:.0f}"
                            f"/{(at - sent[c['action']][1]) * 1000:+.0f} ms" for c, at in heard)
        print(f"\ncross-process delivery, message from B after the mutation was sent/answered on A: {latency}")
    finally:
        await call(a.graphql, REVOKE, admin, u="town", g=sibling)  # an answer, not an exception, if never granted
        await close_all([on_worker])


async def test_websocket_messages_are_compressed_only_when_the_setting_says(scratch_database_url, tmp_path):
    """A client offering permessage-deflate (this one does, as browsers do) is answered
    without it by default — each socket's copy of a group's message would be compressed one
    by one — and with it under WEBSOCKET_COMPRESSION=true."""
    plain = Server("plain", base_env(scratch_database_url), tmp_path)
    compressing = Server("compressing", {**base_env(scratch_database_url), "WEBSOCKET_COMPRESSION": "true"}, tmp_path)
    try:
        agreed = {}
        for server in (plain, compressing):
            server.wait_healthy()
            url = server.base.replace("http://", "ws://") + "/graphql"
            async with connect(url, subprotocols=[PROTOCOL]) as ws:
                assert "permessage-deflate" in ws.request.headers.get("Sec-WebSocket-Extensions", "")
                agreed[server.name] = ws.response.headers.get("Sec-WebSocket-Extensions")
        assert agreed["plain"] is None
        assert agreed["compressing"] is not None and "permessage-deflate" in agreed["compressing"]
    finally:
        plain.stop()
        compressing.stop()
