"""Hostile input (issues 7.2–7.4, 17.1): malformed HTTP requests are 4xx GraphQL errors,
never a 500; unexpected failures reach callers masked, with a request id that finds their
log line; property-based, every query and every mutation of the introspected schema, as
three roles, and every mutation and filter as the fuzzer, answer generated input —
unicode, lone surrogates, NUL, huge, SQL-ish, out of range, forged cursors, explicit nulls,
ids of the wrong kind — with the codes of refused input only, and a refused mutation
writes nothing; and what no database stores or no code computes is BAD_USER_INPUT naming
the field.

The generated mutations run as `fuzzer`, a grid leader of a county of its own (a second
root region): whatever it manages to write stays there, out of every demo user's scope,
and is soft-deleted afterwards."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from datetime import date, datetime, timezone

import httpx
import pytest
from graphql import (
    GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType, get_named_type,
)
from hypothesis import HealthCheck, event, given, settings, strategies as st
from tortoise import Tortoise, connections

from gridhub import models
from gridhub.models.enums import Tier
from gridhub.resolvers.domain.notices import DUE_SOON
from gridhub.policies.scope import Scope
from gridhub.resolvers.write import mutations
from gridhub.resolvers.write import validation
from gridhub.resolvers.errors import STABLE_CODES
from gridhub.schema import schema

from .client import GraphQLClient, GraphQLResponse
from .servers import free_port

# examples per root field in the test of every query and mutation: what CI affords (that test
# takes about 25 s); bench/hostile runs many more, and then the other property tests too
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "5"))
PROPERTY = settings(max_examples=max(30, EXAMPLES), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def gid(type_name: str, row_id) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


async def send(client: GraphQLClient, document: str, variables: dict) -> GraphQLResponse:
    """Like `client.post`, but NaN and Infinity go out as JSON's unofficial tokens, which a
    hostile client may send (httpx's own encoder refuses them)."""
    body = json.dumps({"query": document, "variables": variables}, allow_nan=True)
    return GraphQLResponse(await client.http.post("/graphql", content=body, headers={
        "content-type": "application/json", "authorization": f"Bearer {client.token}"}))


# Codes hostile input may earn: the database is up and rate limits are off in the suite, so
# SERVICE_UNAVAILABLE or RATE_LIMITED would be a bug here too, like INTERNAL_SERVER_ERROR.
ANSWERS_TO_INPUT = STABLE_CODES - {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "RATE_LIMITED"}


def assert_answered_sanely(response: GraphQLResponse) -> None:
    """No 5xx, no internal error, only the codes of refused input."""
    assert response.status_code < 500, response.json
    assert response.codes and set(response.codes) <= ANSWERS_TO_INPUT or not response.errors, response.json


# -- HTTP: malformed requests are 4xx GraphQL errors ----------------------------------------

JSON_HEADERS = {"content-type": "application/json"}


@pytest.mark.parametrize("method, request_kwargs, status", [
    ("post", {"content": b"{bad json", "headers": JSON_HEADERS}, 400),
    ("post", {"content": b"\xff\xfe\x00", "headers": JSON_HEADERS}, 400),
    ("post", {"content": b"[" * 100_000 + b"]" * 100_000, "headers": JSON_HEADERS}, 400),
    ("post", {"content": b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}",
              "headers": JSON_HEADERS}, 400),
    ("get", {"params": {"query": "{ __typename }", "variables": "[" * 5000 + "]" * 5000}}, 400),
    ("post", {"content": b"5", "headers": JSON_HEADERS}, 400),
    ("post", {"content": b'"{ __typename }"', "headers": JSON_HEADERS}, 400),
    ("post", {"content": b"null", "headers": JSON_HEADERS}, 400),
    ("post", {"content": b"[]", "headers": JSON_HEADERS}, 400),
    ("post", {"content": b"{}", "headers": JSON_HEADERS}, 400),  # no query
    ("post", {"content": b'{"query": 5}', "headers": JSON_HEADERS}, 400),
    ("post", {"content": b'{"query": "{ __typename }", "variables": [1]}', "headers": JSON_HEADERS}, 400),
    ("post", {"content": b'{"query": "{ __typename }", "extensions": "x"}', "headers": JSON_HEADERS}, 400),
    ("post", {"content": b'{"query": "{ __typename }", "operationName": "Nope"}', "headers": JSON_HEADERS}, 400),
    ("post", {"content": b"{ __typename }", "headers": {"content-type": "text/plain"}}, 415),
    ("post", {"content": b"query={}", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415),
    ("post", {"content": b'{"query": "{ __typename }"}', "headers": {}}, 415),  # no content type
    ("get", {"params": {"query": 'mutation { login(username: "a", password: "b") { token } }'}}, 405),
    ("get", {"params": {"query": "{ __typename }", "variables": "{not json"}}, 400),
    ("put", {"content": b'{"query": "{ __typename }"}', "headers": JSON_HEADERS}, 405),
    ("delete", {}, 405),
    ("post", {"content": b'{"query": "{ __typename }"}', "headers": {**JSON_HEADERS, "content-length": "abc"}},
     400),
])
async def test_malformed_requests_are_4xx_graphql_errors(http, method, request_kwargs, status):
    response = await getattr(http, method)("/graphql", **request_kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["errors"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST" and body["errors"][0]["message"]
    assert response.headers["x-request-id"]


async def test_a_mutation_over_get_names_the_allowed_method(http):
    response = await http.get("/graphql", params={"query": "mutation { login(username: \"a\", password: \"b\") { token } }"})
    assert response.status_code == 405 and response.headers["allow"] == "POST"


async def test_oversize_bodies_are_refused_with_413(app_with):
    http = await app_with(max_body_bytes=1000)
    padding = "#" + "x" * 2000 + "\n"
    declared = await http.post("/graphql", json={"query": padding + "{ __typename }"})
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "limit": 1000}

    async def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(10):
            yield b" " * 500

    streamed = await http.post("/graphql", content=chunks(), headers=JSON_HEADERS)
    assert streamed.status_code == 413
    small = await http.post("/graphql", json={"query": "{ __typename }"})
    assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}


async def test_the_default_body_limit_is_a_mebibyte(http):
    response = await http.post("/graphql", json={"query": "{ __typename }", "variables": {"x": "x" * (1 << 20)}})
    assert response.status_code == 413


# -- request ids -----------------------------------------------------------------------------

async def test_every_response_carries_a_request_id(http):
    seen = set()
    for method, path in (("get", "/healthz"), ("get", "/"), ("get", "/nowhere"), ("post", "/graphql"),
                         ("get", "/graphql?query={__typename}")):
        response = await getattr(http, method)(path, **({"json": {"query": "{ __typename }"}} if method == "post" else {}))
        seen.add(response.headers["x-request-id"])
    assert len(seen) == 5


async def test_a_sane_incoming_request_id_is_kept_and_another_replaced(http):
    kept = await http.get("/healthz", headers={"X-Request-Id": "lb-2026-11-20.abc:123"})
    assert kept.headers["x-request-id"] == "lb-2026-11-20.abc:123"
    for bad in ("short", "x" * 300, "has space in it", "inject\u00e9d-id-value"):
        replaced = await http.get("/healthz", headers={"X-Request-Id": bad.encode()})
        assert replaced.headers["x-request-id"] != bad and len(replaced.headers["x-request-id"]) == 32


# -- unexpected failures are masked --------------------------------------------------------------

LEAK = "SELECT id_number FROM person WHERE id_number = '652123199001011234'"


async def test_an_unexpected_error_in_a_resolver_is_masked_and_logged(gql, monkeypatch, caplog):
    from gridhub.resolvers.read import search

    async def broken(*args, **kwargs):
        raise RuntimeError(LEAK)

    monkeypatch.setattr(search, "search", broken)
    with caplog.at_level(logging.ERROR, logger="gridhub.errors"):
        response = await gql.post('{ search(text: "张") { __typename } }', **{"X-Request-Id": "trace-me-0001"})
    assert response.status_code == 200
    assert response.errors == [{"message": "Internal server error", "locations": [{"line": 1, "column": 3}],
                                "path": ["search"],
                                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "trace-me-0001"}}]
    assert LEAK not in response.http.text and "Traceback" not in response.http.text
    logged = [r for r in caplog.records if "trace-me-0001" in r.getMessage()]
    assert logged and logged[0].exc_info and LEAK in str(logged[0].exc_info[1])


async def test_an_unexpected_error_before_execution_is_masked(gql, monkeypatch):
    from gridhub.schema import limits

    def broken(*args, **kwargs):
        raise ValueError(LEAK)

    monkeypatch.setattr(limits.COSTS, "cost", broken)
    response = await gql.post("{ persons(first: 1) { totalCount } }")
    assert response.codes == ["INTERNAL_SERVER_ERROR"] and LEAK not in response.http.text
    assert response.errors[0]["extensions"]["requestId"] == response.http.headers["x-request-id"]


async def test_an_unexpected_error_outside_graphql_is_a_masked_500(http, monkeypatch):
    from gridhub.resolvers.identity import session

    async def broken(*args, **kwargs):
        raise ConnectionError(LEAK)

    monkeypatch.setattr(session, "authenticate", broken)
    response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 500 and LEAK not in response.text
    assert response.json() == {"errors": [{"message": "Internal server error", "extensions": {
        "code": "INTERNAL_SERVER_ERROR", "requestId": response.headers["x-request-id"]}}]}


async def test_an_unexpected_error_on_a_subscription_stream_is_masked(app, worker, monkeypatch, caplog):
    """Each result of a stream is classified before it is sent, not when the stream ends."""
    import uvicorn
    from websockets.asyncio.client import connect

    from gridhub.resolvers.runtime import event_bus

    async def broken(context, region_path):
        raise RuntimeError(LEAK)
        yield  # an async generator, like the real one

    monkeypatch.setattr(event_bus, "changes_seen_by", broken)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        async with connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"],
                           additional_headers={"X-Request-Id": "socket-trace-0001"}) as ws:
            assert ws.response.headers["x-request-id"] == "socket-trace-0001"
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": worker.token}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
            with caplog.at_level(logging.ERROR, logger="gridhub.errors"):
                await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                          "payload": {"query": "subscription { eventChanged { action } }"}}))
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["message"] for e in errors] == ["Internal server error"]
        assert errors[0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "socket-trace-0001"}
        assert LEAK not in json.dumps(message)
        assert any("socket-trace-0001" in r.getMessage() and r.exc_info for r in caplog.records)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


# -- the fuzzer's county ---------------------------------------------------------------------------

ROOT_CODE = "990000"
NEEDLES = ("%", "_", "\\", "'; DROP TABLE person; --", "100%", "a_b", "\\%", "'", '"', "--", "/*", "张_")
NAMES = ("百分之100%的人", "a_b先生", "ab先生", "反斜杠\\王", "'; DROP TABLE person; --", "张_三", "张三",
         "O'Brien", '引号"李', "注释--赵", "/*钱*/")


# The realm's users: `fuzzer` the grid leader, and three demo roles on the realm, which write
# as the demo county's holders of these roles would, where nothing they write is read by others.
FUZZERS = (("fuzzer", "grid_leader", "grid"), ("fuzzcounty", "county_centre", "root"),
           ("fuzzworker", "grid_worker", "grid"), ("fuzzadmin", "chief_policy_admin", "root"))


def id_number(seq: int) -> str:
    first17 = f"65010219800101{seq:03d}"  # 天山区, where the demo draws nobody from
    return first17 + validation.id_number_check_digit(first17)


@pytest.fixture(scope="module")
async def realm(app, sign_in):
    """A county of its own with a few rows of each kind, and its grid leader `fuzzer`."""
    root = await models.Region.create(code=ROOT_CODE, name="模糊测试县", tier=Tier.COUNTY,
                                      region_path=f"/{ROOT_CODE}/", depth=0)
    try:
        yield await _populate(app, sign_in, root)
    finally:
        await models.CasbinRule.filter(ptype="g", v0__in=[f[0] for f in FUZZERS]).delete()
        await bump_policy(app)
        stamp = datetime.now(timezone.utc)
        for model in Tortoise.apps["gridhub"].values():
            if "region_path" in model._meta.fields_map and "deleted_at" in model._meta.fields_map:
                await model.filter(region_path__startswith=root.region_path).update(deleted_at=stamp)
        await models.User.filter(username__in=[f[0] for f in FUZZERS]).update(is_active=False, deleted_at=stamp)


async def _populate(app, sign_in, root) -> dict:
    from gridhub.resolvers.identity.auth import hash_password

    everything = Scope.everything()
    parent = root
    for code, tier in ((f"{ROOT_CODE}100", Tier.TOWN), (f"{ROOT_CODE}100001", Tier.COMMUNITY),
                       (f"{ROOT_CODE}100001001", Tier.GRID)):
        parent = await mutations.create_row(everything, "region", {"code": code, "name": f"模糊{tier.value}",
                                                                    "tier": tier, "parent_id": parent.id})
    grid = parent
    persons = [await mutations.create_row(everything, "person", {"id_number": id_number(i), "name": name,
                                                                  "region_id": grid.id})
               for i, name in enumerate(NAMES)]
    rows = {
        "Region": [root.id, grid.id],
        "Person": [p.id for p in persons],
        "Household": [(await mutations.create_row(everything, "household", {"code": "H%_1", "region_id": grid.id})).id],
        "Place": [(await mutations.create_row(everything, "place", {"code": "P1", "name": "百分%广场", "kind": "house",
                                                                    "region_id": grid.id})).id],
        "Thing": [(await mutations.create_row(everything, "thing", {"code": "T_1", "name": "井盖_1", "kind": "manhole_cover",
                                                                    "region_id": grid.id})).id],
        "Organisation": [(await mutations.create_row(everything, "organisation", {
            "name": "反斜杠\\公司", "kind": "enterprise", "region_id": grid.id})).id],
        "Event": [(await mutations.create_row(everything, "event", {
            "title": "100% 漏水_", "kind": "hazard", "category": "safety/fire", "source": "patrol",
            "occurred_at": datetime(2026, 11, 20, tzinfo=timezone.utc), "region_id": grid.id})).id],
    }
    for username, role, region in FUZZERS:
        await models.User.create(username=username, display_name="模糊测试", password_hash=hash_password("demo"))
        await models.CasbinRule.create(ptype="g", v0=username, v1=role,
                                       v2=(grid if region == "grid" else root).region_path + "*")
    await bump_policy(app)
    return {"client": await sign_in("fuzzer"), "rows": rows, "grid": grid, "root": root,
            "writers": {role: await sign_in(username) for username, role, _ in FUZZERS}}


async def bump_policy(app) -> None:
    from tortoise.expressions import F

    await models.PolicyState.filter(id=1).update(version=F("version") + 1)
    await app.state.store.load()


# what the server's own background work writes at any moment, not a request: the hand-over
# worker's notices of events coming due (resolvers.domain.notices.sweep_due_soon), and deliveries of
# notices to webhooks, which it retries and prunes
BACKGROUND = {"notice": f"kind <> '{DUE_SOON}'", "webhook_delivery": None}


async def fingerprint() -> list:
    """Every table's row count, versions and latest change, in one statement: what any
    write, soft deletes included, changes."""
    parts = []
    for model in sorted(Tortoise.apps["gridhub"].values(), key=lambda m: m._meta.db_table):
        table, columns = model._meta.db_table, model._meta.fields_map
        if table in BACKGROUND and BACKGROUND[table] is None:
            continue
        where = f" WHERE {BACKGROUND[table]}" if table in BACKGROUND else ""
        version = "SUM(version)" if "version" in columns else "0"
        updated = "CAST(MAX(updated_at) AS VARCHAR(40))" if "updated_at" in columns else "''"
        parts.append(f"SELECT '{table}' AS t, COUNT(*) AS n, {version} AS v, {updated} AS u FROM {table}{where}")
    found = await connections.get("default").execute_query_dict(" UNION ALL ".join(parts))
    return sorted((r["t"], r["n"], r["v"], r["u"]) for r in found)


# -- generated input, from the schema's own types ------------------------------------------------

LONE = "a\ud800"
FAR = "9999-12-31T23:59:59-14:00"  # a valid year locally, past 9999 in UTC


def forged_cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


# what no database stores or no code computes (issue 17): lone surrogates, text past the
# boundary's limit and past SQLite's LIKE limit, cursors forged past 64 bits or year 9999
BEYOND = [LONE, "\udfff", "\ud83d", "x" * 10_001, "长" * 50_001, forged_cursor([2 ** 70]), forged_cursor([2 ** 64, 1]),
          forged_cursor([FAR, 1]), forged_cursor(["a\x00", 1]), forged_cursor([LONE, 1]),
          forged_cursor([1, [2 ** 70], "x", 2, 3, "rows", 0, 0])]

HOSTILE_TEXT = BEYOND + ["", " ", "'", "''", "'; DROP TABLE person; --", "\" OR 1=1 --", "%", "_", "\\", "\\'", "%_\\",
                "\x00", "a\x00b", "\u202eevil", "👨‍👩‍👧‍👦", "ﷺ", "Z̴̡̛a̵l̷g̶o̸", "\ud7ff", "\t\n\r", "null", "undefined",
                "safety/fire", "care/low_income", "/990000/", "*", "6521**********1234", "1" * 18,
                "99000019800101000X", "91350100M000100Y43", "13800138000", "2026-02-30", "-1", "1e309"]


def _credit_code(first17: str) -> str:
    return first17 + validation.credit_code_check_char(first17)


# well-formed values too, so that some writes get past validation into the database
VALID_TEXT = [id_number(900 + i) for i in range(5)] + [_credit_code("91350100M00010" + f"{i:03d}") for i in range(3)]


def text_values() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.sampled_from(VALID_TEXT), st.text(max_size=30),
                     st.integers(200, 20_000).map(lambda n: "长" * n))


INTS = st.one_of(st.integers(-3, 6), st.sampled_from([-(2 ** 31), 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 63]),
                 st.integers(-(2 ** 31), 2 ** 31 - 1))
FLOATS = st.one_of(st.floats(-200, 200), st.sampled_from([1e308, -1e308, 180.0, -90.0, 0.0, 180.0001]),
                   st.floats(allow_nan=True, allow_infinity=True))
MOMENTS = st.one_of(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
    lambda d: d.isoformat() + "Z"), st.sampled_from(["2026-11-20T08:00:00+08:00", "9999-12-31T23:59:59Z",
                                                     "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "now", "",
                                                     FAR, "0001-01-01T00:00:00+14:00", "9998-12-31T23:59:59Z",
                                                     "+10000-01-01T00:00:00Z", LONE]))
DATES = st.one_of(st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
                  st.sampled_from(["2026-02-30", "1880-01-01", "2999-01-01", "x", "9999-12-31", "0001-01-01"]))
JSONS = st.recursive(st.none() | st.booleans() | st.integers() | text_values(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                     max_leaves=8)


def id_values(rows: dict, demo_ids: list[str]) -> st.SearchStrategy:
    own = [gid(t, i) for t, ids in rows.items() for i in ids]
    crossed = [gid(t, i) for t in ("Person", "Place", "Region", "Event") for ids in rows.values() for i in ids[:1]]
    odd = [gid("Person", n) for n in ("0", "-1", "abc", "99999999999999999999999", "1.5", "")] + \
          [gid(t, 1) for t in ("AuditEntry", "User", "ServiceToken", "Nope", "")] + ["", "null", "=", "not base64!"]
    return st.one_of(st.sampled_from(own), st.sampled_from(demo_ids + crossed + odd), text_values())


def value_of(graphql_type, ids: st.SearchStrategy, depth: int = 0) -> st.SearchStrategy:
    """Values of a GraphQL input type, mostly well-typed (to reach past coercion), now and
    then null or of another type."""
    nullable = not isinstance(graphql_type, GraphQLNonNull)
    inner = graphql_type.of_type if not nullable else graphql_type
    if isinstance(inner, GraphQLList):
        strategy = st.lists(value_of(inner.of_type, ids, depth + 1), max_size=4)
    elif isinstance(inner, GraphQLEnumType):
        strategy = st.one_of(st.sampled_from(list(inner.values)), text_values())
    elif isinstance(inner, GraphQLInputObjectType):
        required = {n: value_of(f.type, ids, depth + 1) for n, f in inner.fields.items()
                    if isinstance(f.type, GraphQLNonNull)}
        optional = {n: value_of(f.type, ids, depth + 1) for n, f in inner.fields.items() if n not in required}
        strategy = st.fixed_dictionaries(required, optional=optional)
        if depth == 0:
            strategy = st.one_of(strategy, st.fixed_dictionaries({}, optional={**required, **optional}))
    else:
        assert isinstance(inner, GraphQLScalarType)
        strategy = {"String": text_values(), "ID": ids, "Int": INTS, "Float": FLOATS, "Boolean": st.booleans(),
                    "DateTime": MOMENTS, "Date": DATES, "JSON": JSONS}[inner.name]
    oddities = st.sampled_from([None, "x", 7, [], {}])
    return st.one_of(strategy, strategy, strategy, oddities) if nullable or depth == 0 else \
        st.one_of(strategy, strategy, strategy, strategy, oddities)


def operation_for(kind: str, name: str, field) -> str:
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in field.args)
    named = get_named_type(field.type)
    selection = " { __typename }" if not isinstance(named, GraphQLScalarType) and not isinstance(
        named, GraphQLEnumType) else ""
    call = f"{name}({passed})" if passed else name
    return f"{kind}{f'({declared})' if declared else ''} {{ {call}{selection} }}"


MUTATIONS = sorted(schema._schema.mutation_type.fields)


@pytest.fixture(scope="module")
async def demo_ids(gql) -> list[str]:
    data = await gql.query("{ persons(first: 2) { nodes { id } } events(first: 2) { nodes { id } } "
                           "regions(first: 2) { nodes { id } } places(first: 1) { nodes { id } } "
                           "departments { id } }")
    return [n["id"] for key in ("persons", "events", "regions", "places") for n in data[key]["nodes"]] + \
        [d["id"] for d in data["departments"][:3]]


_strategies: dict[tuple, st.SearchStrategy] = {}


def arguments_of(root: str, name: str, realm: dict, demo_ids: list[str]) -> st.SearchStrategy:
    """Variables for every argument of a root field (made once per field)."""
    key = (root, name)
    if key not in _strategies:
        field = getattr(schema._schema, f"{root}_type").fields[name]
        ids = id_values(realm["rows"], demo_ids)
        _strategies[key] = st.fixed_dictionaries({a: value_of(arg.type, ids) for a, arg in field.args.items()})
    return _strategies[key]


@pytest.mark.parametrize("name", MUTATIONS)
@PROPERTY
@given(data=st.data())
async def test_every_mutation_answers_generated_input_sanely_and_a_refusal_writes_nothing(realm, demo_ids, name,
                                                                                          data):
    variables = data.draw(arguments_of("mutation", name, realm, demo_ids))
    document = operation_for("mutation", name, schema._schema.mutation_type.fields[name])
    # after a refusal the database is as it was, so its fingerprint is the next one's "before"
    before = _unchanged.pop(name, None) or await fingerprint()
    response = await send(realm["client"], document, variables)
    assert_answered_sanely(response)
    event("answered: " + (",".join(sorted(set(response.codes))) or "ok"))  # see --hypothesis-show-statistics
    if response.errors:
        assert not (response.data or {}).get(name), response.json
        assert await fingerprint() == before, response.json
        _unchanged[name] = before


_unchanged: dict[str, list] = {}


FILTERED = sorted(name for name, field in schema._schema.query_type.fields.items()
                  if "filter" in field.args or name == "search")


@pytest.mark.parametrize("name", FILTERED)
@PROPERTY
@given(data=st.data())
async def test_every_filter_answers_generated_input_sanely(realm, demo_ids, name, data):
    field = schema._schema.query_type.fields[name]
    variables = data.draw(arguments_of("query", name, realm, demo_ids))
    selection = "{ totalCount nodes { id } }" if "filter" in field.args else "{ __typename }"
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    document = f"query({declared}) {{ {name}({', '.join(f'{a}: ${a}' for a in field.args)}) {selection} }}"
    assert_answered_sanely(await send(realm["client"], document, variables))


# -- every query and every mutation, as three demo roles -------------------------------------------

ROLES = ("county_centre", "grid_worker", "chief_policy_admin")
READERS = {"county_centre": "county", "grid_worker": "worker", "chief_policy_admin": "admin"}  # demo users
EVERY_FIELD = settings(PROPERTY, max_examples=EXAMPLES)
ROOT_FIELDS = [("query", n) for n in sorted(schema._schema.query_type.fields)] + \
    [("mutation", n) for n in sorted(schema._schema.mutation_type.fields)]


def selection_of(field) -> str:
    """`__typename`, and `id` and `totalCount` where the type has them: enough to run the
    resolvers and their SQL, without revealing (and auditing) sensitive values."""
    named = get_named_type(field.type)
    if isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
        return ""
    leaves = [n for n in ("id", "totalCount") if n in getattr(named, "fields", {})]
    return " { " + " ".join(["__typename", *leaves]) + " }"


@pytest.fixture(scope="module")
async def readers(sign_in) -> dict:
    return {role: await sign_in(user) for role, user in READERS.items()}


_field_strategies: dict[tuple, st.SearchStrategy] = {}


def variables_of(root: str, name: str, ids: st.SearchStrategy) -> st.SearchStrategy:
    key = (root, name, id(ids))
    if key not in _field_strategies:
        field = getattr(schema._schema, f"{root}_type").fields[name]
        _field_strategies[key] = st.fixed_dictionaries({a: value_of(arg.type, ids) for a, arg in field.args.items()})
    return _field_strategies[key]


@pytest.fixture(scope="module")
def id_strategies(realm, demo_ids) -> dict:
    """Queries may name any row; mutations only the realm's and odd ones, so that a write
    that gets through never lands where other tests read."""
    realm_only = st.one_of(st.sampled_from([gid(t, i) for t, ids in realm["rows"].items() for i in ids]),
                           text_values())
    return {"query": id_values(realm["rows"], demo_ids), "mutation": realm_only}


@pytest.mark.parametrize("root, name", ROOT_FIELDS, ids=[f"{r}.{n}" for r, n in ROOT_FIELDS])
@EVERY_FIELD
@given(data=st.data())
async def test_every_query_and_mutation_answers_hostile_variables_as_each_role_without_an_internal_error(
        realm, readers, id_strategies, root, name, data):
    field = getattr(schema._schema, f"{root}_type").fields[name]
    role = data.draw(st.sampled_from(ROLES), label="role")
    client = readers[role] if root == "query" else realm["writers"][role]
    variables = data.draw(variables_of(root, name, id_strategies[root]), label="variables")
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    call = f"{name}({', '.join(f'{a}: ${a}' for a in field.args)})" if field.args else name
    document = f"{root}{f'({declared})' if declared else ''} {{ {call}{selection_of(field)} }}"
    response = await send(client, document, variables)
    assert_answered_sanely(response)
    event(f"{role}: " + (",".join(sorted(set(response.codes))) or "ok"))


# -- injection: text filters and search match literally ----------------------------------------------

def matches(needle: str, *values: str | None) -> bool:
    return any(v is not None and needle.upper() in v.upper() for v in values)


@pytest.mark.parametrize("needle", NEEDLES)
async def test_text_filters_and_search_match_literally(realm, needle):
    client: GraphQLClient = realm["client"]
    persons = await models.Person.filter(region_path__startswith=realm["grid"].region_path, deleted_at=None)
    expected = sorted(p.name for p in persons if matches(needle, p.name))
    found = await client.query("query($t: String) { persons(first: 500, filter: {text: $t}) { nodes { name } } }",
                               t=needle)
    assert sorted(n["name"] for n in found["persons"]["nodes"]) == expected
    searched = await client.query('query($t: String!) { search(text: $t, kinds: [PERSON], first: 500) '
                                  '{ nodes { ... on Person { name } } } }', t=needle)
    assert sorted(n["name"] for n in searched["search"]["nodes"]) == expected
    # the other kinds too, through search's own columns
    for kind, model, columns in (("PLACE", models.Place, ("name", "address", "code")),
                                 ("THING", models.Thing, ("name", "code")),
                                 ("EVENT", models.Event, ("title", "description"))):
        rows = await model.filter(region_path__startswith=realm["grid"].region_path, deleted_at=None)
        want = sorted(r.id for r in rows if matches(needle, *(getattr(r, c) for c in columns)))
        got = await client.query(f'query($t: String!) {{ search(text: $t, kinds: [{kind}], first: 500) '
                                 f'{{ nodes {{ ... on Node {{ id }} }} }} }}', t=needle)
        assert sorted(int(base64.b64decode(n["id"]).decode().split(":")[1]) for n in got["search"]["nodes"]) == want
    assert await models.Person.all().count() > 0  # and the table is still there


async def test_nul_characters_are_refused_as_input_on_every_database(realm):
    client: GraphQLClient = realm["client"]
    for query, variables in (("query($t: String) { persons(filter: {text: $t}) { totalCount } }", {"t": "a\x00"}),
                             ('{ search(text: "\\u0000") { __typename } }', {}),
                             ("mutation($u: String!) { login(username: $u, password: \"x\") { token } }",
                              {"u": "fuzzer\x00"})):
        response = await client.post(query, variables)
        assert response.codes == ["BAD_USER_INPUT"] and response.data is None
        assert "NUL" in response.errors[0]["message"]


# -- the input boundary: issue 17's reproductions, each a BAD_USER_INPUT naming the field ---------

REFUSED = [  # (document, variables, the field the refusal names)
    ('query($t: String!) { search(text: $t) { __typename } }', {"t": LONE}, "$t"),
    ('{ search(text: "a\\u0000") { __typename } }', {}, "text"),  # (a lone surrogate does not parse)
    ("mutation($u: String!) { login(username: $u, password: \"x\") { token } }", {"u": LONE}, "$u"),
    ("query($t: String) { users(text: $t) { username } }", {"t": LONE}, "$t"),
    ("query($t: String) { users(text: $t) { username } }", {"t": "长" * 50_001}, "$t"),
    ("query($t: String) { persons(filter: {text: $t}) { totalCount } }", {"t": "x" * 60_000}, "$t"),
    ("query($f: AuditFilter) { auditTrail(filter: $f) { totalCount } }", {"f": {"actor": LONE}}, "$f.actor"),
    ("query($d: DateTime) { events(filter: {dueBefore: $d}) { totalCount } }", {"d": FAR}, "$d"),
    ('{ events(filter: {dueBefore: "9999-12-31T23:59:59-14:00"}) { totalCount } }', {}, "filter.dueBefore"),
    ("query($d: DateTime) { events(filter: {dueAfter: $d}) { totalCount } }", {"d": "0001-01-01T00:00:00+14:00"},
     "$d"),
    ("query($a: String) { persons(first: 1, after: $a) { totalCount } }", {"a": forged_cursor([2 ** 70])},
     "after"),
    ("query($a: String) { events(first: 1, after: $a, orderBy: [{field: OCCURRED_AT}]) { totalCount } }",
     {"a": forged_cursor([FAR, 1])}, "after"),
    ('{ changes(kinds: [], since: "2026-01-01T00:00:00Z") { nextSince } }', {}, "kinds"),
    ("mutation($i: PersonCreateInput!) { createPerson(input: $i) { id } }",
     {"i": {"name": LONE, "idNumber": "x", "regionId": "x"}}, "$i.name"),
]


@pytest.mark.parametrize("document, variables, field", REFUSED, ids=[f"{i}-{r[2]}" for i, r in enumerate(REFUSED)])
async def test_what_cannot_be_stored_or_computed_is_bad_user_input_naming_the_field(realm, document, variables,
                                                                                    field):
    response = await send(realm["client"], document, variables)
    assert response.status_code < 500 and response.codes == ["BAD_USER_INPUT"], response.json
    assert response.errors[0]["extensions"].get("field") == field, response.json


@pytest.fixture
async def grid_id(realm) -> str:
    return gid("Region", realm["grid"].id)


EXPLICIT_NULLS = [  # an explicit null where the column holds none: as if absent
    ("reportEvent", "EventCreateInput!", {"title": "空描述", "kind": "HAZARD", "category": "safety/fire", "source": "PATROL",
                                     "occurredAt": "2026-11-20T08:00:00Z", "description": None, "urgency": None,
                                     "attachments": None}, "description", ""),
    ("createPlace", "PlaceCreateInput!", {"code": "NULL-1", "name": "空地址", "kind": "HOUSE", "address": None,
                                          "usage": None}, "address", ""),
    ("createPerson", "PersonCreateInput!", {"name": "空民族", "idNumber": id_number(777), "ethnicity": None,
                                            "tags": None}, "ethnicity", "汉族"),
]


@pytest.mark.parametrize("mutation, input_type, fields, field, stored", EXPLICIT_NULLS,
                         ids=[n[0] for n in EXPLICIT_NULLS])
async def test_an_explicit_null_in_an_optional_field_is_as_if_absent(realm, grid_id, mutation, input_type, fields,
                                                                      field, stored):
    query = f"mutation($i: {input_type}) {{ {mutation}(input: $i) {{ id }} }}"
    created = (await realm["client"].post(query, {"i": {**fields, "regionId": grid_id}})).ok()[mutation]
    kind = {"reportEvent": models.Event, "createPlace": models.Place, "createPerson": models.Person}[mutation]
    row_id = int(base64.b64decode(created["id"]).decode().split(":")[1])
    assert getattr(await kind.get(id=row_id), field) == stored


async def test_an_explicit_null_clears_a_column_that_may_be_empty_and_leaves_others(realm, grid_id):
    client = realm["client"]
    person = (await client.post("mutation($i: PersonCreateInput!) { createPerson(input: $i) { id version } }",
                                {"i": {"name": "清空电话", "idNumber": id_number(778), "regionId": grid_id,
                                       "phone": "13800138000"}})).ok()["createPerson"]
    updated = (await client.post(
        "mutation($id: ID!, $v: Int!, $i: PersonUpdateInput!) { updatePerson(id: $id, version: $v, input: $i) "
        "{ version } }", {"id": person["id"], "v": person["version"], "i": {"phone": None, "name": None,
                                                                            "ethnicity": None}})).ok()
    assert updated["updatePerson"]["version"] == person["version"] + 1
    row = await models.Person.get(id=int(base64.b64decode(person["id"]).decode().split(":")[1]))
    assert (row.phone, row.name, row.ethnicity) == (None, "清空电话", "汉族")
