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
from gridhub.resolvers import mutations, workflow
from gridhub.resolvers.event_bus import Change, Subscriber, running_bus

from .servers import base_env, free_port, redis_available, running_servers, scratch_demo_database

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
        assert heard == [("report", row_id(doomed), "REPORTED"), ("report", row_id(kept), "REPORTED"),
                         ("accept", row_id(kept), "ACCEPTED"), ("delete", row_id(doomed), None),
                         ("dispatch", row_id(kept), "DISPATCHED")]
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
    # queries go over HTTP, where each one gets a fresh context
    assert error_codes(await answer(ws)) == ["BAD_REQUEST"]
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


async def test_a_subscription_over_http_is_refused(worker):
    """A client that sends a subscription over HTTP is told where it runs, not given a 500."""
    response = await worker.post(CHANGES)
    assert response.codes == ["BAD_REQUEST"] and response.data is None
    assert "over WebSocket" in response.errors[0]["message"]


def test_a_slow_subscriber_loses_its_oldest_changes(caplog):
    subscriber = Subscriber(2)
    with caplog.at_level(logging.WARNING, logger="gridhub.events"):
        for version in (1, 2, 3, 4):
            subscriber.offer(Change(7, "update", "/1/", version))
    assert [subscriber.inbox.get_nowait().version for _ in range(2)] == [3, 4]
    assert [r.getMessage() for r in caplog.records] == [
        "a subscriber fell 2 changes behind: dropping its oldest, from update of event 7"]


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
