"""Limits on one request (issue 7.1): depth, aliases, tokens, page size and cost, checked
before anything executes; rate limits per caller with 429 and Retry-After."""

from __future__ import annotations


import pytest
from graphql import get_introspection_query, parse

from gridhub.resolvers.identity.rate_limit import LeasedWindow, MemoryCounters, RedisCounters, SlidingWindow
from gridhub.schema import schema
from gridhub.schema.limits import operation_cost

from .checks import is_sign_in
from .client import GraphQLClient
from .servers import redis_available

GRAPHQL_RESPONSE = "application/graphql-response+json"


def cost(query: str, variables: dict | None = None, *, default_page: int = 20, max_page: int = 500) -> int:
    return operation_cost(schema._schema, parse(query), None, variables, default_page, max_page)


# -- cost: page sizes multiply down each path to a leaf ----------------------------------

@pytest.mark.parametrize("query, variables, expected", [
    ("{ me { username } }", None, 1),
    # totalCount is one value, the nodes' names are 500
    ("{ persons(first: 500) { totalCount nodes { name } } }", None, 1 + 500),
    ("{ persons(first: 10) { edges { cursor node { name idNumber } } pageInfo { hasNextPage } } }", None,
     10 * 3 + 1),
    # without `first`, the default page; a variable's value, or its default
    ("{ persons { nodes { name } } }", None, 20),
    ("query($n: Int) { persons(first: $n) { nodes { name } } }", {"n": 7}, 7),
    ("query($n: Int = 9) { persons(first: $n) { nodes { name } } }", None, 9),
    # nested pages multiply; a list without a page size (household members) counts once
    ("{ regions(first: 10) { nodes { persons(first: 30) { nodes { name household { members { name } } } } } } }",
     None, 10 * 30 * 2),
    # above the maximum counts as the maximum (the resolver refuses it as BAD_USER_INPUT)
    ("{ persons(first: 100000) { nodes { name } } }", None, 500),
    ('{ nodes(ids: ["a", "b", "c"]) { id } }', None, 3),
    ("{ search(text: \"x\") { nodes { __typename } } }", None, 20),
    # a relation that is a connection is a page of its own (the default page without `first`)
    ("{ persons(first: 4) { nodes { name events(first: 3) { totalCount nodes { title } } } } }", None, 4 * (1 + 1 + 3)),
    # a fragment counts where it is spread, with the page size it is spread under
    ("{ persons(first: 4) { nodes { ...P } } } fragment P on Person { name events { nodes { title } } }", None,
     4 * (1 + 20)),
])
def test_cost_of_a_document(query, variables, expected):
    assert cost(query, variables) == expected


def test_costs_are_remembered_per_document_and_page_size_variables():
    from gridhub.schema.caches import CallerCache, digest
    from gridhub.schema.limits import CostCache

    costs, query = CostCache(CallerCache()), "query($n: Int, $after: String) { persons(first: $n, after: $after) { nodes { name } } }"
    document = parse(query)
    assert costs.cost(schema._schema, query, document, None, {"n": 7, "after": "a"}, 20, 500) == 7
    kept = len(costs.cache.signed_in)
    assert costs.cost(schema._schema, query, document, None, {"n": 7, "after": "b"}, 20, 500) == 7
    assert len(costs.cache.signed_in) == kept  # the cursor does not change the cost
    assert costs.cost(schema._schema, query, document, None, {"n": 9}, 20, 500) == 9
    assert len(costs.cache.signed_in) == kept + 1
    # keyed by the document's digest, never by its text
    assert all(query not in repr(key) and (key[0] if isinstance(key[0], bytes) else key[0][0]) == digest(query)
               for key in costs.cache.signed_in._items)


def test_a_fragment_bomb_is_measured_without_expanding_it():
    # 2**60 leaves: a measure that expanded the fragments would never return
    fragments = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}\n" for i in range(60))
    assert cost("{ ...F0 }\n" + fragments + "fragment F60 on Query { __typename }") == 2 ** 60


async def test_a_costly_query_is_refused_before_it_runs(gql, count_sql):
    query = "{ regions(first: 500) { nodes { persons(first: 500) { nodes { name } } } } }"
    with count_sql() as counter:
        refused = await gql.post(query)
    assert refused.codes == ["QUERY_TOO_COSTLY"] and refused.data is None
    assert refused.errors[0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 250_000, "limit": 50_000}
    # refused before any SQL but the sign-in's look-up of the caller
    assert counter.statements and all(is_sign_in(s) for s in counter.statements), counter.statements
    # the same shape with smaller pages is fine
    (await gql.post("{ regions(first: 5) { nodes { persons(first: 5) { nodes { name } } } } }")).ok()


async def test_variables_count_in_the_cost(gql):
    query = "query($a: Int, $b: Int) { regions(first: $a) { nodes { persons(first: $b) { nodes { name } } } } }"
    assert (await gql.post(query, {"a": 400, "b": 400})).codes == ["QUERY_TOO_COSTLY"]
    (await gql.post(query, {"a": 3, "b": 3})).ok()


async def test_asking_for_more_than_the_page_maximum_is_bad_input(gql):
    """No silent clamp: a caller asking for 501 rows must not believe it got them all."""
    refused = await gql.post("{ persons(first: 501) { totalCount } }")
    assert refused.codes == ["BAD_USER_INPUT"]
    assert refused.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first", "maximum": 500}
    assert (await gql.post('{ search(text: "张", first: 501) { nodes { __typename } } }')).codes == ["BAD_USER_INPUT"]
    assert (await gql.post("{ persons(first: -1) { totalCount } }")).codes == ["BAD_USER_INPUT"]


# -- depth, aliases, tokens -----------------------------------------------------------------

async def test_depth_is_limited(gql):
    deep = "{ regions { nodes { " + "children { " * 14 + "name" + " }" * 14 + " } } }"
    refused = await gql.post(deep)
    assert refused.codes == ["QUERY_TOO_DEEP"] and refused.data is None
    assert refused.errors[0]["extensions"] == {"code": "QUERY_TOO_DEEP", "limit": 15, "depth": 17}
    # fragments do not hide depth
    hidden = "{ regions { nodes { ...C } } } fragment C on Region { " + "children { " * 14 + "name" + " }" * 14 + " }"
    assert (await gql.post(hidden)).codes == ["QUERY_TOO_DEEP"]


async def test_graphiql_introspection_fits_the_limits(anonymous):
    query = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                    schema_description=True, input_value_deprecation=True)
    assert (await anonymous.post(query)).ok()["__schema"]["queryType"]["name"] == "Query"


async def test_aliases_are_limited_fragments_expanded(gql):
    many = "{ " + " ".join(f"a{i}: __typename" for i in range(51)) + " }"
    refused = await gql.post(many)
    assert refused.codes == ["TOO_MANY_ALIASES"]
    assert refused.errors[0]["extensions"] == {"code": "TOO_MANY_ALIASES", "limit": 50, "aliases": 51}
    # ten aliases in a fragment spread six times: sixty
    fragment = "fragment A on Query { " + " ".join(f"a{i}: __typename" for i in range(10)) + " }"
    spread = "{ " + " ".join("... on Query { ...A }" for _ in range(6)) + " } " + fragment
    assert (await gql.post(spread)).codes == ["TOO_MANY_ALIASES"]
    (await gql.post("{ " + " ".join(f"a{i}: __typename" for i in range(50)) + " }")).ok()


async def test_tokens_are_limited(gql):
    refused = await gql.post("{ " + "__typename " * 5001 + "}")
    assert refused.codes == ["TOO_MANY_TOKENS"]
    assert refused.errors[0]["extensions"] == {"code": "TOO_MANY_TOKENS", "limit": 5000}
    # comments are tokens too: a document of comments costs the parser as much
    assert (await gql.post("{ __typename }\n" + "#\n" * 6000)).codes == ["TOO_MANY_TOKENS"]


async def test_limits_come_from_the_settings(app_with, sign_in):
    token = (await sign_in("county")).token
    tight = GraphQLClient(await app_with(max_query_depth=3, max_query_cost=10, max_query_aliases=1), token)
    assert (await tight.post("{ regions { nodes { parent { name } } } }")).codes == ["QUERY_TOO_DEEP"]
    refused = await tight.post("{ persons(first: 11) { nodes { id } } }")
    assert refused.errors[0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 11, "limit": 10}
    assert (await tight.post("{ a: __typename b: __typename }")).codes == ["TOO_MANY_ALIASES"]
    (await tight.post("{ persons(first: 9) { totalCount } }")).ok()


# -- GraphQL over HTTP: application/graphql-response+json -----------------------------------

async def test_graphql_response_json_answers_request_errors_with_400_and_no_data(gql):
    for query in ("{ persons(first: 5) { totalCount }",  # parse error
                  "{ persons { nope } }",  # validation error
                  "{ regions(first: 500) { nodes { persons(first: 500) { nodes { name } } } } }"):  # limit
        response = await gql.post(query, Accept=GRAPHQL_RESPONSE)
        assert response.status_code == 400, response.json
        assert response.http.headers["content-type"] == GRAPHQL_RESPONSE
        assert "data" not in response.json and response.errors
    # variables that do not fit their types are a request error too
    bad_variable = await gql.post("query($n: Int) { persons(first: $n) { totalCount } }", {"n": "ten"},
                                  Accept=GRAPHQL_RESPONSE)
    assert bad_variable.status_code == 400 and "data" not in bad_variable.json
    # a field error is a 200 with data (null here, the field being refused)
    field_error = await gql.post("{ persons(first: 501) { totalCount } }", Accept=GRAPHQL_RESPONSE)
    assert field_error.status_code == 200 and "data" in field_error.json
    ok = await gql.post("{ persons(first: 1) { totalCount } }", Accept=f"{GRAPHQL_RESPONSE}, application/json;q=0.9")
    assert ok.status_code == 200 and ok.http.headers["content-type"] == GRAPHQL_RESPONSE and ok.data


async def test_plain_json_clients_keep_200_and_data_null(gql):
    for accept in (None, "application/json", "*/*", f"application/json, {GRAPHQL_RESPONSE};q=0.5"):
        response = await gql.post("{ persons { nope } }", **({"Accept": accept} if accept else {}))
        assert response.status_code == 200 and response.http.headers["content-type"] == "application/json"
        assert response.json["data"] is None and response.codes == ["GRAPHQL_VALIDATION_FAILED"]


# -- rate limits ----------------------------------------------------------------------------

class Clock:
    def __init__(self, at: float = 1_000_000.0):
        self.at = at

    def __call__(self) -> float:
        return self.at


async def test_sliding_window_counts_the_previous_slot_as_it_slides_out():
    clock = Clock(600.0)  # the start of a 60-second slot
    window = SlidingWindow(MemoryCounters(), "t", limit=4, seconds=60, clock=clock)
    assert all([(await window.hit("a")).allowed for _ in range(4)])
    refused = await window.hit("a")
    assert not refused.allowed and 1 <= refused.retry_after <= 120
    assert (await window.hit("b")).allowed  # callers are counted apart
    clock.at += 60  # next slot: the previous one (5 hits) weighs fully at its start
    assert not (await window.hit("a")).allowed
    clock.at += 55  # 55 s in: the previous slot weighs 5/60 of 5, plus this slot's 1 refused
    assert (await window.hit("a")).allowed
    clock.at += 200  # long quiet: nothing is remembered
    assert all([(await window.hit("a")).allowed for _ in range(4)])


async def test_retry_after_is_when_a_request_gets_through():
    clock = Clock(6000.0)
    window = SlidingWindow(MemoryCounters(), "t", limit=3, seconds=10, clock=clock)
    for _ in range(3):
        await window.hit("a")
    refused = await window.hit("a")
    assert not refused.allowed
    clock.at += refused.retry_after - 1
    assert not (await window.check("a")).allowed
    clock.at += 1
    assert (await window.check("a")).allowed


async def test_memory_counters_stay_bounded():
    counters = MemoryCounters(max_keys=100)
    for i in range(1000):
        await counters.add(f"ip:{i}", 1, 120)
    assert len(counters._slots) == 100


async def test_redis_counters_are_shared_between_processes():
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    import uuid

    one, two = RedisCounters("redis://127.0.0.1:6379/7"), RedisCounters("redis://127.0.0.1:6379/7")
    key = f"test-{uuid.uuid4().hex}"
    try:
        clock = Clock()
        first = SlidingWindow(one, key, limit=2, seconds=60, clock=clock)
        second = SlidingWindow(two, key, limit=2, seconds=60, clock=clock)
        assert (await first.hit("u")).allowed and (await second.hit("u")).allowed
        assert not (await first.hit("u")).allowed  # the third, wherever it arrives
        await second.forget("u")
        assert (await first.hit("u")).allowed
    finally:
        await one.close()
        await two.close()


def leased(limit: int, clock, *names: str) -> list:
    """LeasedWindows of one limit, each on counters of its own (a process each), one key."""
    import uuid

    key = f"test-leased-{uuid.uuid4().hex}"
    return [LeasedWindow(RedisCounters("redis://127.0.0.1:6379/7"), key, limit=limit, seconds=60, clock=clock)
            for _ in names]


async def test_one_process_admits_exactly_the_limit_with_few_round_trips():
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    clock = Clock(600.0)  # a slot's start: the previous slot is empty
    [window] = leased(40, clock, "A")
    try:
        verdicts = [(await window.hit("u")).allowed for _ in range(45)]
        assert verdicts == [True] * 40 + [False] * 5
        assert window.reservations <= 20  # 40 admissions: shares of a quarter of the room, then ones
        clock.at += 60 + 58  # two slots on: the refusals counted, and nothing since
        assert (await window.hit("u")).allowed
        [window] = leased(600, clock, "A")  # the default limit: a caller's 100 requests
        assert all([(await window.hit("u")).allowed for _ in range(100)])
        assert window.reservations <= 6  # not one round trip each
    finally:
        await window.counters.close()


async def test_two_processes_never_admit_more_than_the_limit_together():
    """A caller's requests alternating between two processes: at most the limit admitted,
    at least the limit less what one process may hold unused (a quarter of the room)."""
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    clock = Clock(1200.0)
    a, b = leased(40, clock, "A", "B")
    try:
        admitted = sum([(await w.hit("u")).allowed for _ in range(40) for w in (a, b)])
        assert 40 - 40 // LeasedWindow.SHARE <= admitted <= 40
        # one side busy, the other idle with its share: still never beyond the limit
        c, d = leased(40, clock, "C", "D")
        assert (await d.hit("u")).allowed  # d reserves one
        admitted = 1 + sum([(await c.hit("u")).allowed for _ in range(60)])
        assert 40 - 40 // LeasedWindow.SHARE <= admitted <= 40
        await c.counters.close()
        await d.counters.close()
    finally:
        await a.counters.close()
        await b.counters.close()


async def test_unused_shares_are_given_back_in_the_next_slot():
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    clock = Clock(1800.0)
    a, b = leased(40, clock, "A", "B")
    try:
        for _ in range(5):
            await a.hit("u")  # a holds an unused share now
        held = a.leases.get(a._key("u")).left
        assert held > 0
        clock.at += 60  # next slot: a's next reservation gives the share back to the slot before
        await a.hit("u")
        current, previous = await a.counters.peek(a._key("u"), 31)
        assert (current, previous) == (a.leases.get(a._key("u")).left + 1, 5)
        assert (await b.hit("u")).allowed
    finally:
        await a.counters.close()
        await b.counters.close()


async def test_concurrent_requests_give_a_share_back_once_and_reserve_within_the_limit():
    """One caller's requests arriving together (8 writers on one token) when the process's
    lease is from the slot before: the unused share is given back once, not once by each, and
    the reservations they make together stay within the window's room, so the caller is not
    refused far below its limit for the rest of the window (found by test_regrid_races on
    PostgreSQL + Redis: a caller at 1,000,000 a minute refused)."""
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    import asyncio

    clock = Clock(2400.0)
    [window] = leased(400, clock, "A")
    key = window._key("u")
    try:
        for _ in range(5):
            await window.hit("u")  # the process holds an unused share of slot 40
        assert window.leases.get(key).left > 0
        clock.at += 60  # slot 41: each request now reserves, giving the share back
        for _ in range(3):
            verdicts = await asyncio.gather(*(window.hit("u") for _ in range(8)))
            assert all(v.allowed for v in verdicts)
        current, previous = await window.counters.peek(key, 41)
        assert previous == 5  # what slot 40 admitted: its unused share given back exactly once
        admitted = 24
        lease = window.leases.get(key)
        # reserved in slot 41: what was admitted and what the process still holds, no more
        assert current == admitted + lease.left + lease.owed
        assert all([(await window.hit("u")).allowed for _ in range(300)])
    finally:
        await window.counters.close()


@pytest.mark.parametrize("kind", [SlidingWindow, LeasedWindow])
async def test_with_redis_down_each_process_counts_on_its_own(kind):
    from .servers import free_port

    counters = RedisCounters(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        window = kind(counters, "down", limit=6, seconds=60, clock=Clock(600.0))
        assert all([(await window.hit("u")).allowed for _ in range(6)])
        assert not (await window.hit("u")).allowed
    finally:
        await counters.close()


async def test_too_many_requests_answer_429_with_retry_after(app_with, sign_in):
    http = await app_with(rate_limit_requests=3, rate_limit_anonymous_requests=2)
    worker = GraphQLClient(http, (await sign_in("worker")).token)
    county = GraphQLClient(http, (await sign_in("county")).token)
    for _ in range(3):
        (await worker.post("{ me { username } }")).ok()
    refused = await worker.post("{ me { username } }")
    assert refused.status_code == 429
    assert refused.codes == ["RATE_LIMITED"] and "data" not in refused.json
    retry_after = int(refused.http.headers["retry-after"])
    assert 1 <= retry_after <= 120
    assert refused.errors[0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
    assert refused.http.headers["x-request-id"]
    # another user has a window of its own
    (await county.post("{ me { username } }")).ok()


async def test_anonymous_callers_are_limited_per_client_ip(app_with):
    http = await app_with(rate_limit_anonymous_requests=2)
    import httpx

    other_ip = httpx.AsyncClient(transport=httpx.ASGITransport(app=http._transport.app, client=("10.0.0.9", 4000)),
                                 base_url="http://testserver")
    try:
        here, there = GraphQLClient(http), GraphQLClient(other_ip)
        for _ in range(2):
            (await here.post("{ __typename }")).ok()
        assert (await here.post("{ __typename }")).status_code == 429
        (await there.post("{ __typename }")).ok()
    finally:
        await other_ip.aclose()


async def test_plain_http_routes_share_the_rate_limit(app_with, sign_in, anchors):
    """/export and /places/{id}/qr.svg count against the caller's limit like /graphql: a pull
    loop or a QR printer cannot outrun it."""
    http = await app_with(rate_limit_requests=3)
    county = GraphQLClient(http, (await sign_in("county")).token)
    headers = {"Authorization": f"Bearer {county.token}"}
    place = (await county.query("query($p: String) { places(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                                p=anchors["grid"]))["places"]["nodes"][0]["id"]
    assert (await http.get(f"/places/{place}/qr.svg", headers=headers)).status_code == 200
    assert (await http.get("/export/person?format=ndjson", headers=headers)).status_code == 200
    for path in (f"/places/{place}/qr.svg", "/export/person?format=ndjson"):
        refused = await http.get(path, headers=headers)
        assert refused.status_code == 429, path
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= int(refused.headers["retry-after"]) <= 120
    assert (await county.post("{ __typename }")).status_code == 429


# -- what the limits leave alone: pages, static files, sign-ins ------------------------------

async def test_graphiql_and_static_files_are_not_rate_limited(app_with):
    """The page and the console's files are no operations: reloading them spends nothing."""
    http = await app_with(rate_limit_anonymous_requests=1)
    for _ in range(5):
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert (await http.get("/admin/")).status_code == 200
    anonymous = GraphQLClient(http)
    (await anonymous.post("{ __typename }")).ok()  # the budget is whole
    assert (await anonymous.post("{ __typename }")).status_code == 429


LOGIN = 'mutation { login(username: "worker", password: "demo") { token } }'


async def test_sign_ins_do_not_spend_the_anonymous_budget(app_with):
    """An office behind one address signs in together: its sign-ins are the login throttle's
    (failures per user and address), not the anonymous budget its colleagues browse on."""
    http = await app_with(rate_limit_anonymous_requests=2, login_failures_per_user=2)
    office = GraphQLClient(http)
    for _ in range(5):
        assert (await office.post(LOGIN)).ok()["login"]["token"]
    for _ in range(2):
        (await office.post("{ __typename }")).ok()
    assert (await office.post("{ __typename }")).status_code == 429
    # still signing in, past the anonymous budget; failures meet their own throttle
    assert (await office.post(LOGIN)).ok()["login"]["token"]
    wrong = 'mutation { login(username: "leader", password: "wrong") { token } }'
    assert [(await office.post(wrong)).codes for _ in range(3)] == [["UNAUTHENTICATED"]] * 2 + [["RATE_LIMITED"]]
    # many sign-ins in one document are a load, not a sign-in: counted (and refused here)
    two = 'mutation { a: login(username: "worker", password: "demo") { token } ' \
          'b: login(username: "worker", password: "demo") { token } }'
    assert (await office.post(two)).status_code == 429


@pytest.mark.parametrize("query, operation, signs_in", [
    (LOGIN, None, True),
    ('mutation SignIn { login(username: "u", password: "p") { token } }', "SignIn", True),
    ('mutation SignIn { login(username: "u", password: "p") { token } } query Q { __typename }', "SignIn", True),
    ('mutation SignIn { login(username: "u", password: "p") { token } } query Q { __typename }', "Q", False),
    ('mutation SignIn { login(username: "u", password: "p") { token } } query Q { __typename }', None, False),
    ('mutation { a: login(username: "u", password: "p") { token } b: login(username: "u", password: "p") '
     '{ token } }', None, False),
    ('mutation { ...F } fragment F on Mutation { login(username: "u", password: "p") { token } }', None, False),
    ('{ login }', None, False),  # a query: no such field, but not a sign-in either
    ("mutation { login(", None, False),
    ("", None, False),
])
def test_what_counts_as_a_sign_in(query, operation, signs_in):
    from gridhub.schema.limits import only_signs_in

    assert only_signs_in(query, operation, 5000) is signs_in


# -- introspection ---------------------------------------------------------------------------

async def test_introspection_can_be_kept_to_signed_in_callers(app_with, sign_in):
    http = await app_with(introspection=False)
    anonymous = GraphQLClient(http)
    for query in ("{ __schema { queryType { name } } }", '{ __type(name: "Person") { name } }',
                  "query { ...F } fragment F on Query { __schema { types { name } } }"):
        refused = await anonymous.post(query)
        assert refused.codes == ["UNAUTHENTICATED"] and refused.data is None, query
    (await anonymous.post("{ __typename }")).ok()  # clients tell types apart with it
    assert (await anonymous.post(LOGIN)).ok()["login"]["token"]  # and signing in works
    signed_in = GraphQLClient(http, (await sign_in("worker")).token)
    full = get_introspection_query(descriptions=True)
    assert (await signed_in.post(full)).ok()["__schema"]["queryType"]["name"] == "Query"
    # on by default: GraphiQL works for anyone (the suite's app)
    default = GraphQLClient(await app_with())
    assert (await default.post(full)).ok()["__schema"]["queryType"]["name"] == "Query"
# -- memory bounded by bytes ------------------------------------------------------------------------

def test_the_lru_is_bounded_by_bytes_and_drops_the_least_recently_used():
    from gridhub.resolvers.runtime.lru import ByteLRU, approximate_size

    cache = ByteLRU(10_000)
    for i in range(10):
        cache.put(i, "x" * 1500)
    assert cache.bytes <= 10_000 and 0 not in cache and 9 in cache
    cache.get(5)  # used: kept while others go
    for i in range(10, 14):
        cache.put(i, "y" * 1500)
    assert 5 in cache and 6 not in cache
    cache.put("huge", "z" * 20_000)  # larger than the whole budget: not kept, nothing pushed out
    assert "huge" not in cache and 13 in cache
    assert approximate_size(["x" * 1000, {"k": "y" * 1000}]) > 2000


async def test_a_document_over_the_size_limit_is_refused_before_parsing(app_with, sign_in):
    from gridhub.schema import caches

    http = await app_with(max_document_bytes=10_000)
    county = GraphQLClient(http, (await sign_in("county")).token)
    before = len(caches.DOCUMENTS.signed_in) + len(caches.DOCUMENTS.anonymous)
    broken = "{ persons(first: 1) { totalCount } " + "#" * 10_000 + "\n"  # unbalanced: parsing would say so
    for client in (county, GraphQLClient(http)):
        refused = await client.post(broken)
        assert refused.status_code == 413 and refused.codes == ["DOCUMENT_TOO_LARGE"], refused.json
        assert refused.errors[0]["extensions"]["limit"] == 10_000
    assert len(caches.DOCUMENTS.signed_in) + len(caches.DOCUMENTS.anonymous) == before
    (await county.post("{ persons(first: 1) { totalCount } }")).ok()


async def test_the_default_document_limit_refuses_a_900_kb_document(gql):
    padded = "#" + "x" * 900_000 + "\n{ persons(first: 1) { totalCount } }"
    assert (await gql.post(padded)).codes == ["DOCUMENT_TOO_LARGE"]
    # and where no HTTP layer stands in front (a subscription's documents), the schema refuses it
    result = await schema.execute(padded)
    assert [e.extensions["code"] for e in result.errors] == ["DOCUMENT_TOO_LARGE"]


def padded(i: int, size: int) -> str:
    return f"# {i} " + "x" * size + "\n{ persons(first: 1) { totalCount } }"


async def test_caches_hold_at_most_their_bytes_and_anonymous_callers_their_small_budget(app, settings, app_with,
                                                                                         sign_in):
    from gridhub.schema import caches

    http = await app_with(cache_bytes=400_000, anonymous_cache_bytes=100_000)
    try:
        county, anonymous = GraphQLClient(http, (await sign_in("county")).token), GraphQLClient(http)
        for i in range(40):  # 40 distinct documents of 20 KB each way: 800 KB sent by each
            (await county.post(padded(i, 20_000))).ok()
            assert (await anonymous.post(padded(1000 + i, 20_000))).codes == ["UNAUTHENTICATED"]
        for cache in (caches.DOCUMENTS, caches.VALIDATIONS, caches.COSTS):
            assert cache.signed_in.bytes <= 400_000 and cache.anonymous.bytes <= 100_000
        assert caches.DOCUMENTS.signed_in.bytes > 100_000  # it did hold documents, up to its budget
        assert caches.PLANS.bytes <= 400_000
        # a stream of anonymous documents does not push out what signed-in callers use
        kept = set(caches.DOCUMENTS.signed_in._items)
        for i in range(40):
            await anonymous.post(padded(2000 + i, 20_000))
        assert set(caches.DOCUMENTS.signed_in._items) == kept
    finally:
        caches.configure(settings)  # the session's budgets again
