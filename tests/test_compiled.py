"""The compiled read path answers plain reads in one statement per root field, exactly as
the resolvers would, audits what it reveals, and leaves everything else to the resolvers."""

from __future__ import annotations

import contextlib
import json
import random

import orjson
import pytest
import strawberry.schema.schema as strawberry_schema

from .audit import audit_mark, audit_rows
from .checks import is_sign_in
from .test_mutations import grid_id
from .test_registers import gb11643, registered  # noqa: F401 (a fixture)

ROLES = ("admin", "townadmin", "county", "town", "community", "leader", "worker", "police", "civil", "auditor")

PERSONS = """query($first: Int, $after: String, $filter: PersonFilter, $orderBy: [PersonOrder!]) {
  persons(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    __typename totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name gender birthDate idNumber phone tags createdAt relationToHead
                          region { id name tier path } household { code head { name idNumber } }
                          residence { name kind } } }
  }
}"""

EVENTS = """{ events(first: 12) { totalCount nodes { __typename id title status kind occurredAt dueAt
  dueSoonAt closedAt reporter { name phone tags } place { name landlord { idNumber } } } } }"""

MANY_ROOTS = """{ a: regions(first: 3) { nodes { name parent { name } } }
  households(first: 4) { edges { node { code head { name } place { name } } } }
  things(first: 2, orderBy: [{field: NAME, direction: DESC}]) { nodes { name status kind } }
  organisations(first: 2) { totalCount nodes { name kind } } }"""

# bench/run's Q1, as the grid worker reads it
Q1 = """query($grid: ID!) { persons(first: 50, filter: {region: $grid}) { nodes {
  name idNumber tags household { code members { name relationToHead } } residence { name address } } } }"""

# bench/peer's Q4, as the police read it: 500 key persons unmasked
Q4 = """{ persons(first: 500, filter: {tags: ["key"]}) { nodes { name idNumber phone tags } } }"""

LISTS = """{ places(first: 6, orderBy: [{field: CODE, direction: DESC}]) { nodes { name
    residents(first: 3) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { name idNumber tags } } }
    households { nodes { code members { name phone } } }
    things { nodes { code events { nodes { title status } } } }
    events(first: 4) { __typename totalCount pageInfo { hasNextPage endCursor }
      nodes { title status occurredAt persons { name idNumber } things { name owner { name } } } }
    organisations { nodes { name things { totalCount nodes { code } } } } } }
  regions(first: 4) { nodes { name children { name path children { code } } } }
  events(first: 8) { nodes { title persons { name events(first: 1) { pageInfo { hasNextPage } nodes { title } } }
    things { name events { nodes { title } } } log { actor action fromStatus toStatus note at } } }
  persons(first: 12, orderBy: [{field: NAME}]) { nodes { name
    residences { totalCount edges { cursor node { __typename startedOn endedOn note place { name } person { name }
      landlord { name idNumber } } } }
    memberships { role startedOn endedOn organisation { name members(first: 2) { totalCount
      pageInfo { hasNextPage } nodes { role } } } person { name phone } } } } }"""

NOT_COMPILED = [
    "{ events(first: 3) { nodes { title log { action attachments } } } }",
    "{ events(first: 3) { nodes { title light } } }",
    "{ persons(first: 3) { nodes { ...P } } } fragment P on Person { name }",
    "{ departments { name } }",
    # visits are gated per person on the key-tag grant: the resolvers serve them
    "{ persons(first: 3, filter: {tags: [\"key\"]}) { nodes { name visits { nodes { title } } } } }",
    "{ persons(first: -1) { nodes { name } } }",
    "{ persons(first: 2, after: \"bad\") { nodes { name } } }",
]


@contextlib.contextmanager
def read_path(settings, compiled: bool):
    saved = settings.compiled_reads
    settings.compiled_reads = compiled
    try:
        yield
    finally:
        settings.compiled_reads = saved


async def both_paths(settings, client, query: str, variables: dict | None = None):
    with read_path(settings, True):
        compiled = await client.post(query, variables)
    with read_path(settings, False):
        reference = await client.post(query, variables)
    return compiled, reference


def data_text(response) -> str:
    """The raw JSON text of `data`, as sent: compared byte for byte."""
    text = response.http.text
    start = text.find('"data"')
    return text[start:] if start >= 0 else ""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("query", [PERSONS, EVENTS, MANY_ROOTS, LISTS], ids=["persons", "events", "many_roots",
                                                                           "lists"])
async def test_both_paths_answer_the_same_bytes(settings, sign_in, role, query, caplog):
    client = await sign_in(role)
    compiled, reference = await both_paths(settings, client, query)
    assert reference.errors == compiled.errors
    assert data_text(compiled) == data_text(reference)
    # the compiled statement answered: a failed one falls back to the resolvers, whose bytes
    # would pass the comparison above whatever the statement rendered
    assert "compiled read failed" not in caplog.text


async def test_one_statement_per_root_field(settings, gql, count_sql):
    with read_path(settings, False):
        with count_sql() as fixed:
            await gql.query("{ departments { code } }")  # the per-request statements (none read)
        with count_sql() as resolvers:
            await gql.query(MANY_ROOTS)
    with read_path(settings, True):
        with count_sql() as compiled:
            await gql.query(MANY_ROOTS)
    base = fixed.count - 1
    assert compiled.count == base + 4, compiled.statements
    assert resolvers.count > compiled.count


async def test_bench_q1_compiles_to_one_statement(settings, sign_in, count_sql):
    worker = await sign_in("worker")
    grid = (await worker.post("{ me { roles { region { id } } } }")).data["me"]["roles"][0]["region"]["id"]
    with read_path(settings, False):
        with count_sql() as resolvers:
            reference = await worker.post(Q1, {"grid": grid})
    with read_path(settings, True):
        with count_sql() as compiled:
            answer = await worker.post(Q1, {"grid": grid})
    assert not reference.errors and reference.data["persons"]["nodes"]
    assert any(p["household"] and p["household"]["members"] for p in reference.data["persons"]["nodes"])
    assert data_text(answer) == data_text(reference)
    # one statement answers; besides it only the sign-in, the lookup of the `region` filter's
    # region (the resolvers make it too) and the audit written after
    ours = [s for s in compiled.statements if s.startswith("WITH gh_page")]
    others = [s[:200] for s in compiled.statements
              if not s.startswith(("WITH gh_page", "INSERT")) and not is_sign_in(s)
              and ' FROM "region" ' not in s]
    assert len(ours) == 1 and not others, others
    assert resolvers.count > compiled.count


@pytest.mark.parametrize("role", ["admin", "police", "civil", "worker"])
async def test_compiled_lists_audit_what_they_reveal(settings, sign_in, count_sql, role):
    client = await sign_in(role)
    mark = await audit_mark()
    with read_path(settings, False):
        (await client.post(LISTS)).ok()
    reference = await audit_rows(role, mark)
    mark = await audit_mark()
    with read_path(settings, True):
        with count_sql() as compiled:
            (await client.post(LISTS)).ok()
    # the grid worker reads its places' residents whole: for it the trail must be non-empty,
    # or "equal on both paths" would prove nothing (the others may or may not reach a value)
    assert reference or role != "worker", reference
    assert await audit_rows(role, mark) == reference
    ours = [s for s in compiled.statements if s.startswith("WITH gh_page")]
    others = [s[:200] for s in compiled.statements
              if not s.startswith(("WITH gh_page", "INSERT")) and not is_sign_in(s)]
    assert len(ours) == 4 and not others, others


async def test_lists_nested_too_deep_for_sqlite_fall_back_quietly(settings, gql, count_sql, caplog):
    """PostgreSQL compiles a list of persons with their tags inside a list inside a page;
    SQLite's parser overflows on it, so the resolvers answer (once tried, then remembered)."""
    query = ("{ places(first: 5) { edges { cursor node { id events { nodes { id kind occurredAt "
             "persons { idNumber updatedAt tags } things { version } } } } } } }")
    for _ in range(2):
        with count_sql() as compiled:
            answer, reference = await both_paths(settings, gql, query)
        assert data_text(answer) == data_text(reference)
    assert "compiled read failed" not in caplog.text
    tried = [s for s in compiled.statements if s.startswith("WITH gh_page")]
    assert len(tried) == (1 if settings.database_url.startswith("postgres") else 0)


def compiled_statements(counter) -> list[str]:
    return [s for s in counter.statements if s.startswith("WITH gh_page")]


@pytest.mark.parametrize("query", NOT_COMPILED)
async def test_what_is_not_compiled_falls_back(settings, gql, count_sql, query):
    with read_path(settings, True):
        with count_sql() as counter:
            compiled = await gql.post(query)
    with read_path(settings, False):
        reference = await gql.post(query)
    assert compiled.json == reference.json
    # the resolvers answered: no compiled statement was even tried
    assert not compiled_statements(counter), counter.statements
    assert counter.statements  # the counter did see this request's statements (sign-in at least)


async def test_the_fallback_check_sees_a_compiled_statement(settings, gql, count_sql):
    """The control of the test above: a plain read of the same shape is compiled."""
    with read_path(settings, True):
        with count_sql() as counter:
            (await gql.post("{ events(first: 3) { nodes { title log { action } } } }")).ok()
    assert len(compiled_statements(counter)) == 1, counter.statements


async def test_relation_connections_compile(settings, gql, count_sql):
    """The control of the visits above: a relation connection of the same shape is compiled."""
    with read_path(settings, True):
        with count_sql() as counter:
            (await gql.post("{ persons(first: 3) { nodes { name events(first: 2) { nodes { title } } } } }")).ok()
    assert len(compiled_statements(counter)) == 1, counter.statements


# the planner compiles relations MAX_DEPTH levels below a root node (3) and refuses one level
# more, through each kind of relation, so the resolvers answer it: (relation, as deep as
# compiled, one level deeper)
DEPTHS = [
    ("to-one",
     "{ persons(first: 3) { nodes { name region { code parent { code parent { code } } } } } }",
     "{ persons(first: 3) { nodes { name region { code parent { code parent { code parent { code } } } } } } }"),
    ("to-many",
     "{ events(first: 3) { nodes { title region { code parent { code children { code } } } } } }",
     "{ events(first: 3) { nodes { title place { name region { code parent { code children { code } } } } } } }"),
    ("page",
     "{ events(first: 3) { nodes { title place { name parent { name residents(first: 2) { nodes { name } } } } } } }",
     "{ events(first: 3) { nodes { title place { name parent { name parent { name "
     "residents(first: 2) { nodes { name } } } } } } } }"),
]


@pytest.mark.parametrize("relation,deepest,deeper", DEPTHS, ids=[r for r, _, _ in DEPTHS])
def test_the_planner_stops_one_level_beyond_its_depth(relation, deepest, deeper):
    from graphql import parse

    from gridhub.resolvers.read.sqlread.plan import Unsupported
    from gridhub.schema import schema
    from gridhub.schema.plan import plan_operation

    assert plan_operation(schema._schema, parse(deepest), None).roots
    with pytest.raises(Unsupported, match="nested too deep"):
        plan_operation(schema._schema, parse(deeper), None)


@pytest.mark.parametrize("relation,deepest,deeper", DEPTHS, ids=[r for r, _, _ in DEPTHS])
async def test_relations_nested_too_deep_are_answered_by_the_resolvers(settings, gql, count_sql, relation,
                                                                        deepest, deeper):
    """Over HTTP: as deep as the planner goes is one compiled statement, a level deeper none;
    either way the same bytes as the resolvers'."""
    for query, statements in ((deepest, 1), (deeper, 0)):
        with count_sql() as counter:
            compiled, reference = await both_paths(settings, gql, query)
        assert not reference.errors and data_text(compiled) == data_text(reference), query
        assert len(compiled_statements(counter)) == statements, query


NESTED_PAGES = """query($n: Int, $after: String) {
  places(first: 6, filter: {kind: [BUILDING, HOUSE, RENTAL_HOUSE]}, orderBy: [{field: ID}]) { nodes { name
    residents(first: $n, after: $after) { totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { name idNumber residences(first: 1) { totalCount pageInfo { hasNextPage endCursor }
                                                                 nodes { startedOn } } } } } } } }"""


@pytest.mark.parametrize("role", ["county", "community", "worker"])
async def test_relation_pages_on_both_paths(settings, sign_in, count_sql, role):
    """Nested relation pages with page sizes and cursors as variables: the same bytes on both
    paths, the compiled one in one statement."""
    client = await sign_in(role)
    with read_path(settings, False):
        first = (await client.post(NESTED_PAGES, {"n": 2})).ok()["places"]["nodes"]
    busy = [p for p in first if p["residents"]["pageInfo"]["hasNextPage"]]
    assert busy, "some place has more than two residents"
    after = busy[0]["residents"]["pageInfo"]["endCursor"]
    for variables in ({"n": 2}, {"n": 0}, {"n": 2, "after": after}, {}, {"n": 500}):
        with count_sql() as counter:
            compiled, reference = await both_paths(settings, client, NESTED_PAGES, variables)
        assert not reference.errors and data_text(compiled) == data_text(reference), variables
        assert len(compiled_statements(counter)) == 1, variables
    # the cursor continues that place's residents where its first page ended
    with read_path(settings, True):
        rest = (await client.post(NESTED_PAGES, {"n": 500, "after": after})).ok()["places"]["nodes"]
        whole = (await client.post(NESTED_PAGES, {"n": 500})).ok()["places"]["nodes"]
    index = first.index(busy[0])
    names = [e["node"]["name"] for e in whole[index]["residents"]["edges"]]
    assert [e["node"]["name"] for e in busy[0]["residents"]["edges"]] == names[:2]
    assert [e["node"]["name"] for e in rest[index]["residents"]["edges"]] == names[2:]
    assert whole[index]["residents"]["totalCount"] == len(names)


AFTER_A_CURSOR = """query($after: String) {
  places(first: 6, filter: {kind: [BUILDING, HOUSE, RENTAL_HOUSE]}, orderBy: [{field: ID}]) { nodes { name
    residents(first: 2, after: $after) { pageInfo { endCursor } nodes { name idNumber } } } } }"""


@pytest.mark.parametrize("role", ["county", "worker"])
async def test_a_relation_page_after_a_cursor_shows_and_audits_the_rows_after_it(settings, sign_in, role):
    """`nodes` (not `edges`) of a relation page after a cursor: the rows after it, the same
    bytes on both paths, and the audit names those rows only, not the ones before the cursor."""
    client = await sign_in(role)
    with read_path(settings, False):
        first = (await client.post(AFTER_A_CURSOR)).ok()["places"]["nodes"]
    busy = [p for p in first if p["residents"]["pageInfo"]["endCursor"] and len(p["residents"]["nodes"]) == 2]
    assert busy, "some place has residents"
    variables = {"after": busy[0]["residents"]["pageInfo"]["endCursor"]}
    mark = await audit_mark()
    with read_path(settings, False):
        reference = await client.post(AFTER_A_CURSOR, variables)
    audited = await audit_rows(role, mark)
    mark = await audit_mark()
    with read_path(settings, True):
        compiled = await client.post(AFTER_A_CURSOR, variables)
    assert not reference.errors and data_text(compiled) == data_text(reference)
    shown = reference.ok()["places"]["nodes"][first.index(busy[0])]["residents"]["nodes"]
    assert shown != busy[0]["residents"]["nodes"]  # the page after the cursor, not the first
    assert audited or role != "worker", audited  # the worker reads its residents unmasked
    assert await audit_rows(role, mark) == audited


async def test_pages_and_filters_with_variables(settings, sign_in, anchors):
    client = await sign_in("police")  # granted the identity number (and so birth dates) county-wide
    with read_path(settings, False):
        first = await client.post(PERSONS, {"first": 5, "orderBy": [{"field": "BIRTH_DATE", "direction": "DESC"}]})
    after = first.data["persons"]["pageInfo"]["endCursor"]
    variables = [
        {"first": 5, "after": after, "orderBy": [{"field": "BIRTH_DATE", "direction": "DESC"}]},
        {"first": 0},
        {"first": 7, "filter": {"regionPath": anchors["community"], "gender": ["FEMALE"], "text": "张"}},
        {"first": 3, "filter": {"tags": ["care"]}, "orderBy": [{"field": "NAME"}]},
        {"first": 3, "filter": {"tags": ["key"]}},
    ]
    for v in variables:
        compiled, reference = await both_paths(settings, client, PERSONS, v)
        assert compiled.errors == reference.errors
        assert data_text(compiled) == data_text(reference), v


@pytest.mark.parametrize("role", ["admin", "police", "civil", "worker"])
async def test_compiled_reads_audit_what_they_reveal(settings, sign_in, role):
    client = await sign_in(role)
    mark = await audit_mark()
    with read_path(settings, False):
        (await client.post(PERSONS + "", {"first": 30})).ok()
        (await client.post(EVENTS)).ok()
    reference = await audit_rows(role, mark)
    mark = await audit_mark()
    with read_path(settings, True):
        (await client.post(PERSONS, {"first": 30})).ok()
        (await client.post(EVENTS)).ok()
    assert reference or role == "admin"  # the policy admin reads no person unmasked
    assert await audit_rows(role, mark) == reference


# (role, document, variables; "grid": the role's grid) whose whole responses are compared
ANSWERS = {
    "Q1": ("worker", Q1, {"grid": "grid"}),
    "Q4": ("police", Q4, {}),
    "persons": ("police", PERSONS, {"first": 30, "filter": {"tags": ["care"]}}),
    "events": ("county", EVENTS, {}),
    "many_roots": ("admin", MANY_ROOTS, {}),
    "lists": ("worker", LISTS, {}),
}
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def own_grid(client) -> str:
    return (await client.post("{ me { roles { region { id } } } }")).data["me"]["roles"][0]["region"]["id"]


async def sent(client, how: str, query: str, variables: dict):
    """What the server sent, as bytes with its status and type: over POST (JSON, or GraphQL over
    HTTP's media type) or GET."""
    headers = {"Authorization": f"Bearer {client.token}"}
    if how == "get":
        reply = await client.http.get("/graphql", params={"query": query, "variables": json.dumps(variables)},
                                      headers=headers)
    else:
        if how == "post-graphql-response":
            headers["Accept"] = GRAPHQL_RESPONSE
        reply = await client.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return reply.status_code, reply.headers.get("content-type"), reply.content


@pytest.mark.parametrize("how", ["post", "post-graphql-response", "get"])
@pytest.mark.parametrize("name", list(ANSWERS))
async def test_both_paths_send_the_same_response_bytes(settings, sign_in, count_sql, name, how):
    """The compiled answer is the database's JSON spliced into the response: the bytes sent,
    not only `data`, are the resolvers' (bench/peer's Q1 and Q4 among them)."""
    role, query, variables = ANSWERS[name]
    client = await sign_in(role)
    if "grid" in variables:
        variables = {**variables, "grid": await own_grid(client)}
    with read_path(settings, False):
        reference = await sent(client, how, query, variables)
    with read_path(settings, True):
        with count_sql() as counter:
            compiled = await sent(client, how, query, variables)
    assert compiled == reference
    assert reference[0] == 200 and b'"errors"' not in reference[2] and len(reference[2]) > 200, reference
    assert compiled_statements(counter), "the compiled path answered"


async def test_the_compiled_answer_is_neither_parsed_nor_executed(settings, sign_in, count_sql, monkeypatch):
    """Point 2 of issue 20: the database's JSON goes into the response unparsed, and
    graphql-core's execution does not run. Every JSON parse in the process is watched (orjson
    and the standard library's); only the test client's own parse of the answer may hold it."""
    worker = await sign_in("worker")
    variables = {"grid": await own_grid(worker)}
    parsed: list[bytes] = []

    def watched(loads):
        def spy(text, *args, **kwargs):
            parsed.append(text.encode() if isinstance(text, str) else bytes(text))
            return loads(text, *args, **kwargs)
        return spy

    executed = []
    execute = strawberry_schema.execute

    def watched_execute(*args, **kwargs):
        executed.append(args[1])
        return execute(*args, **kwargs)

    monkeypatch.setattr(orjson, "loads", watched(orjson.loads))
    monkeypatch.setattr(json, "loads", watched(json.loads))
    monkeypatch.setattr(strawberry_schema, "execute", watched_execute)
    for compiled in (False, True):
        parsed.clear()
        executed.clear()
        with read_path(settings, compiled):
            with count_sql() as counter:
                answer = await worker.post(Q1, variables)
        assert answer.ok()["persons"]["nodes"]
        # the watch sees parses: the client's of the whole answer, at least
        assert answer.http.content in parsed
        of_rows = [text[:80] for text in parsed if b'"nodes"' in text and text != answer.http.content]
        assert not of_rows, of_rows
        if compiled:
            assert compiled_statements(counter) and not executed
        else:  # the control: the resolvers' answer is graphql-core's execution
            assert not compiled_statements(counter) and executed


# every character class a JSON encoder might write its own way: quotes, backslashes, the
# control characters (short escapes and \u00xx), DEL, non-ASCII, astral, U+2028/9
AWKWARD = "引\"号\\斜\t制\n表\r\b\f\x01\x1f\x7f é中😀\u2028\u2029 </script>"


async def test_awkward_strings_are_escaped_as_the_encoder_escapes_them(settings, worker, anchors, registered):
    """The database's string escapes must be orjson's, byte for byte, since its text is sent
    as it is."""
    name = f"编码{random.SystemRandom().randrange(10**6)}{AWKWARD}"
    registered.append(name)
    # born 1985-05-01: a random day digit here once made 1985-05-00, refused as BAD_USER_INPUT
    number = gb11643(f"34022319850501{random.SystemRandom().randrange(10**3):03d}")
    created = await worker.post("mutation($input: PersonCreateInput!) { createPerson(input: $input) { id } }",
                                {"input": {"name": name, "idNumber": number, "regionId": await grid_id(worker, anchors),
                                           "registeredAddress": AWKWARD, "employer": AWKWARD}})
    assert not created.errors, created.errors
    query = """query($text: String) { persons(first: 3, filter: {text: $text}) {
      nodes { name registeredAddress employer } } }"""
    with read_path(settings, False):
        reference = await sent(worker, "post", query, {"text": name[:8]})
    with read_path(settings, True):
        compiled = await sent(worker, "post", query, {"text": name[:8]})
    assert compiled == reference
    assert orjson.loads(reference[2])["data"]["persons"]["nodes"][0]["name"] == name


# what a value written into the statement's text must not break out of (render.bind): quotes,
# backslashes before a quote, the placeholder characters, LIKE's wildcards and escape, comments
HOSTILE = ["O'Brien", "a\\'b", "\\", "?", "$1", "50%_off", "a\\%b", "--x", "/*y*/", "'; DROP TABLE person; --"]


@pytest.mark.parametrize("text", HOSTILE)
async def test_a_filter_value_written_into_the_statement_matches_only_itself(settings, worker, anchors, registered,
                                                                              count_sql, text):
    """The compiled statement carries the caller's filter as a literal on PostgreSQL: whatever
    the text, it must find the one person whose name holds it, as the resolvers do, and no
    other."""
    name = f"字面{random.SystemRandom().randrange(10**9)}{text}尾"
    registered.append(name)
    number = gb11643(f"34022319850501{random.SystemRandom().randrange(1000):03d}")
    grid = await grid_id(worker, anchors)
    created = await worker.post("mutation($input: PersonCreateInput!) { createPerson(input: $input) { id } }",
                                {"input": {"name": name, "idNumber": number, "regionId": grid}})
    assert not created.errors, created.errors
    query = "query($text: String) { persons(first: 5, filter: {text: $text}) { totalCount nodes { name } } }"
    for probe, expected in ((name[2:], [name]), (text + "尾" + text, [])):
        with read_path(settings, False):
            reference = await sent(worker, "post", query, {"text": probe})
        with read_path(settings, True):
            with count_sql() as counter:
                compiled = await sent(worker, "post", query, {"text": probe})
        assert compiled == reference
        assert compiled_statements(counter), "the compiled path answered"
        found = orjson.loads(compiled[2])["data"]["persons"]
        assert [n["name"] for n in found["nodes"]] == expected and found["totalCount"] == len(expected)


def test_postgres_statements_carry_their_values_as_literals():
    """A generic plan cannot see a `LIKE $n` prefix (render.bind): texts and integers are
    written in; who reads, lists, and what text cannot hold stay parameters, numbered in order."""
    from gridhub.resolvers.read.sqlread.dialect import Sql
    from gridhub.resolvers.read.sqlread.render import ACTOR, Frag, bind

    frag = Frag("a LIKE ? AND b = ? AND c = ANY(?) AND d = ? AND e = ? AND f = ? OR g = ?",
                ["/3/0010/%", ACTOR, [1, 2], "x\x00", -7, True, 2**70])
    assert bind(Sql("postgres"), frag) == Frag(
        "a LIKE E'/3/0010/%' AND b = $1 AND c = ANY($2) AND d = $3 AND e = (-7) AND f = TRUE OR g = $4",
        [ACTOR, [1, 2], "x\x00", 2**70])
    assert bind(Sql("sqlite"), frag) is frag


def test_converted_arguments_are_kept_apart_by_every_variable_value():
    """A plan keeps its fields' converted arguments by the variables' JSON (schema/compiled.py,
    Arguments): values that convert differently must never share a key — NaN and null of a
    JSON scalar, integers past 64 bits, 1 and 1.0 — while no variables and `{}` are one."""
    from gridhub.resolvers.read.sqlread.plan import Plan
    from gridhub.schema.compiled import Arguments

    plan = Plan(roots=[])
    raws = [{"x": None}, {"x": float("nan")}, {"x": float("inf")}, {"x": 2**70}, {"x": 2**70 + 1},
            {"x": 1}, {"x": 1.0}, {"b": 1, "a": 2}, {"a": 2, "b": 1}, {}, None]
    keys = [Arguments(None, plan, None, raw).key for raw in raws]
    assert None not in keys
    assert len(set(keys)) == len(raws) - 2  # the same variables in another order; {} and none
