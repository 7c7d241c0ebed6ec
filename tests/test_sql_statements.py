"""The number of SQL statements a request runs does not grow with the page size: every
relation level is one batched statement (N+1 guard, counted, not timed). Pages are in id
order, so the small page holds the demo's own rows (with every relation level filled), not
whatever other tests added last."""

import os

import pytest
from graphql import GraphQLNonNull, get_named_type, is_leaf_type

from gridhub.resolvers.kinds import LISTED
from gridhub.resolvers.runtime.names import camel
from gridhub.resolvers.relations import Via, relations_of
from gridhub.schema import schema
from gridhub.schema.plan import PAGED, TO_MANY, TO_ONE

from .test_compiled import compiled_statements, read_path

NESTED_PERSONS = """query($first: Int) {
  persons(first: $first) {
    totalCount
    nodes {
      name tags
      household { code head { name } members { name tags residence { name } } }
      residence { name residents { nodes { name } } households { nodes { code } } }
      region { name parent { name } ancestors { name } }
      memberships { role organisation { name } }
    }
  }
}"""

NESTED_EVENTS = """query($first: Int) {
  events(first: $first, orderBy: [{field: ID}]) {
    nodes { title place { name residents { nodes { name } } } persons { name household { code } }
            things { code owner { name } } log { action } handlingDepartment { name } }
  }
}"""

NESTED_REGIONS = """query($first: Int) {
  regions(first: $first, filter: {tier: [GRID, COMMUNITY]}) {
    nodes { name children { name }
            persons(first: 3) { totalCount nodes { name household { code } } }
            events(first: 2, filter: {status: [CLOSED]}) { nodes { title } } }
  }
}"""


async def test_the_to_do_list_and_notices_do_not_grow_with_page_size(sign_in, count_sql):
    """myQueue is at most four keyset pages (one per urgency) and a count; notices one page,
    a count and one read-mark lookup; their relations batched."""
    community = await sign_in("community")
    queue = """query($first: Int) { myQueue(first: $first) { totalCount
      nodes { title region { name } handlingDepartment { name } log { action } } } }"""
    told = """query($first: Int) { notices(first: $first) { totalCount
      nodes { kind read event { title } region { name } department { name } } } }"""
    for query, exact in ((queue, False), (told, True)):
        counts = {}
        for first in (1, 100):
            with count_sql() as counter:
                await community.query(query, first=first)
            counts[first] = counter.count
        # a queue's page reaches into as many urgencies as it needs (four at most): bounded, not equal
        assert max(counts.values()) <= 12 and (counts[1] == counts[100] or not exact), (query, counts)


@pytest.mark.parametrize("query", [NESTED_PERSONS, NESTED_EVENTS, NESTED_REGIONS],
                         ids=["persons", "events", "regions"])
async def test_statements_do_not_grow_with_page_size(gql, count_sql, query):
    await gql.query("{ __typename }")  # the token verified once (resolvers.identity.auth), not inside a count
    counts, rows = {}, {}
    for first in (10, 100):
        with count_sql() as counter:
            data = await gql.query(query, first=first)
        counts[first] = counter.count
        [(root, page)] = data.items()
        rows[first] = len(page["nodes"])
    # the larger page really holds more rows (the demo has 9 grids: 10 and 100 were the same page)
    assert 0 < rows[10] < rows[100], rows
    # never more on the larger page; one fewer where the larger page already holds every
    # household member whose tags the smaller one had to read (the loaders' cache)
    assert counts[100] <= counts[10] <= counts[100] + 1, counts
    assert counts[10] <= 25, counts


# Each relation connection (resolvers.relations, visits) and `search`, under a page of its
# parents: (who asks, query, the key of the parents' page). Parents come in id order and
# each is asked for a small page of the relation, so that a page of 100 parents holds more
# relation rows than one of 10.
RELATION_PAGES = {
    "Person.events": ("county", "persons(first: $first, filter: {tags: [\"care\"]}, orderBy: [{field: ID}])",
                      "events(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { title status } }"),
    "Person.residences": ("county", "persons(first: $first, orderBy: [{field: ID}])",
                          "residences(first: 2) { totalCount edges { cursor node { startedOn place { name } } } }"),
    "Person.visits": ("police", "persons(first: $first, filter: {tags: [\"key\"]}, orderBy: [{field: ID}])",
                      "visits(first: 2) { totalCount nodes { title occurredAt } }"),
    "Place.residents": ("county", "places(first: $first, filter: {kind: [BUILDING, HOUSE, RENTAL_HOUSE]}, "
                                 "orderBy: [{field: ID}])",
                        "residents(first: 2) { totalCount nodes { name household { code } } }"),
    "Place.households": ("county", "places(first: $first, filter: {kind: [BUILDING, HOUSE, RENTAL_HOUSE]}, "
                                  "orderBy: [{field: ID}])",
                         "households(first: 2) { totalCount nodes { code } }"),
    "Place.things": ("county", "places(first: $first, orderBy: [{field: ID}])",
                     "things(first: 2) { totalCount nodes { code } }"),
    "Place.events": ("county", "places(first: $first, orderBy: [{field: ID}])",
                     "events(first: 2) { totalCount nodes { title } }"),
    "Place.organisations": ("county", "places(first: $first, filter: {kind: [OFFICE, FACTORY]}, "
                                      "orderBy: [{field: ID}])",
                            "organisations(first: 2) { totalCount nodes { name } }"),
    # the place tree: buildings' units, rooms rented under them, residents of everything under them
    "Place.children": ("county", "places(first: $first, filter: {kind: [COMPOUND, BUILDING, UNIT]}, "
                                 "orderBy: [{field: ID}])", "children(first: 2) { totalCount nodes { name } }"),
    "Place.rentals": ("county", "places(first: $first, filter: {kind: [COMPOUND, BUILDING]}, orderBy: [{field: ID}])",
                      "rentals(first: 2) { totalCount nodes { name } }"),
    "Place.residents(deep)": ("county", "places(first: $first, filter: {kind: [COMPOUND, BUILDING, UNIT]}, "
                                        "orderBy: [{field: ID}])",
                              "residents(first: 2, deep: true) { totalCount nodes { name } }"),
    "Organisation.members": ("county", "organisations(first: $first, filter: {kind: [PARTY_BRANCH, PARTY_GROUP, "
                                       "VOLUNTEER_TEAM, ENTERPRISE, SELF_EMPLOYED, PROPERTY_MANAGEMENT, SCHOOL]}, orderBy: [{field: ID}])",
                             "members(first: 2) { totalCount nodes { role person { name } } }"),
    "Organisation.things": ("county", "organisations(first: $first, orderBy: [{field: ID}])",
                            "things(first: 2) { totalCount nodes { code } }"),
    "Thing.events": ("county", "things(first: $first, orderBy: [{field: ID}])",
                     "events(first: 2) { totalCount nodes { title } }"),
}


def _relation_rows(page: dict, key: str) -> int:
    return sum(len(n[key].get("nodes", n[key].get("edges"))) for n in page["nodes"])


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
@pytest.mark.parametrize("relation", sorted(RELATION_PAGES))
async def test_relation_connections_do_not_grow_with_page_size(settings, sign_in, count_sql, relation, compiled):
    role, parents, selection = RELATION_PAGES[relation]
    key = selection.split("(")[0]
    query = f"query($first: Int) {{ {parents} {{ nodes {{ id {selection} }} }} }}"
    client = await sign_in(role)
    await client.query("{ __typename }")  # the token verified once (resolvers.identity.auth), not inside a count
    saved, settings.compiled_reads = settings.compiled_reads, compiled
    try:
        counts, rows, related = {}, {}, {}
        for first in (10, 100):
            with count_sql() as counter:
                data = await client.query(query, first=first)
            counts[first] = counter.count
            [(root, page)] = data.items()
            rows[first], related[first] = len(page["nodes"]), _relation_rows(page, key)
    finally:
        settings.compiled_reads = saved
    assert 0 < rows[10] < rows[100] and 0 < related[10] < related[100], (rows, related)
    assert counts[10] == counts[100], counts
    assert counts[10] <= 12, counts


async def test_search_statements_do_not_grow_with_page_size(gql, count_sql):
    # one kind: search reads kind after kind until the page is full, a statement each
    query = """query($first: Int) { search(text: "村", kinds: [THING], first: $first) { totalCount
      pageInfo { hasNextPage } nodes { __typename ... on Thing { code place { name } } } } }"""
    counts, rows = {}, {}
    for first in (5, 20):
        with count_sql() as counter:
            data = await gql.query(query, first=first)
        counts[first], rows[first] = counter.count, len(data["search"]["nodes"])
    assert 0 < rows[5] < rows[20], rows
    assert counts[5] == counts[20], counts


# -- every root list with every relation of its kind, made from the catalog -------------------
# A kind listed in resolvers/kinds.py with a root field, or a relation added to
# resolvers/relations.py, is covered here without an edit: the query is built from them.

SMALL, LARGE = 10, 100
PLANNED_RELATIONS = set(TO_ONE) | set(TO_MANY) | set(PAGED)


def _leaf(type_name: str) -> str:
    """A field to ask of a relation's target: its id, or a row's first non-null scalar."""
    fields = schema._schema.type_map[type_name].fields
    if "id" in fields:
        return "id"
    return next(name for name, f in fields.items()
                if isinstance(f.type, GraphQLNonNull) and is_leaf_type(get_named_type(f.type)) and not f.args)


def root_page_query(kind: str, compiled: bool) -> tuple[str, list[str]]:
    """A page of `kind`'s root list in id order with each of its relations (a page of two of
    each paged one, and of its `deep` variant), and the keys of the relation fields asked. For
    the compiled path, the relations its planner reads (schema/plan.py: relations to kinds it
    does not read, departments and the seed programmes, leave the whole request to the
    resolvers, which the other case counts)."""
    node_type = schema._schema.type_map[LISTED[kind].node_type]
    selections, asked = [], []
    for name, relation in relations_of(kind).items():
        if compiled and (kind, name) not in PLANNED_RELATIONS:
            continue
        field = camel(name)
        assert field in node_type.fields, f"{kind}.{name}: no field {field} on {node_type.name}"
        target = get_named_type(node_type.fields[field].type).name
        if isinstance(relation, Via):
            leaf = _leaf(get_named_type(schema._schema.type_map[target].fields["nodes"].type).name)
            selections.append(f"{field}(first: 2) {{ totalCount nodes {{ {leaf} }} }}")
            asked.append(field)
            if relation.deep is not None:
                selections.append(f"{field}Deep: {field}(first: 2, deep: true) {{ totalCount nodes {{ {leaf} }} }}")
                asked.append(f"{field}Deep")
        else:
            selections.append(f"{field} {{ {_leaf(target)} }}")
            asked.append(field)
    query = (f"query($first: Int) {{ {LISTED[kind].root_field}(first: $first, orderBy: [{{field: ID}}]) "
             f"{{ nodes {{ id {' '.join(selections)} }} }} }}")
    return query, asked


def _related(nodes: list[dict], asked: list[str]) -> int:
    """How many relation rows a page holds: targets found, list items, page items."""
    count = 0
    for node in nodes:
        for field in asked:
            value = node[field]
            count += len(value["nodes"]) if isinstance(value, dict) and "nodes" in value else \
                len(value) if isinstance(value, list) else value is not None
    return count


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
@pytest.mark.parametrize("kind", sorted(LISTED))
async def test_each_root_list_with_its_relations_does_not_grow_with_page_size(settings, sign_in, count_sql,
                                                                               kind, compiled):
    """Issue 19, point 6: for every root field, a page with all its relations runs as many
    statements for 10 rows as for 100 (every relation a batch, or the one compiled statement)."""
    query, asked = root_page_query(kind, compiled)
    assert asked, f"{kind} has no relations: the test would count nothing"
    client = await sign_in("county")  # reads every kind county-wide
    await client.query("{ __typename }")  # the token verified once (resolvers.identity.auth), not inside a count
    counts, rows, related, ours = {}, {}, {}, {}
    with read_path(settings, compiled):
        for first in (SMALL, LARGE):
            with count_sql() as counter:
                data = await client.query(query, first=first)
            [page] = data.values()
            counts[first], rows[first], related[first] = counter.count, len(page["nodes"]), \
                _related(page["nodes"], asked)
            ours[first] = len(compiled_statements(counter))
    # the larger page really holds more rows, and more related rows to load
    assert 0 < rows[SMALL] < rows[LARGE] and 0 < related[SMALL] < related[LARGE], (rows, related)
    assert counts[SMALL] == counts[LARGE], counts
    # on the compiled path one statement answers the page (the fallback would be the resolvers')
    assert ours == ({SMALL: 1, LARGE: 1} if compiled else {SMALL: 0, LARGE: 0}), ours


async def test_a_released_connection_costs_no_round_trip(app, monkeypatch):
    """asyncpg's pool sends `… RESET ALL;` on every release, a round trip after each statement
    outside a transaction; the hub's pooled connections keep no session state
    (models/postgres_engine.py) and send none."""
    import asyncpg
    from tortoise import connections

    client = connections.get("default")
    if client.capabilities.dialect != "postgres":
        pytest.skip("asyncpg's pool is PostgreSQL's")
    sent: list[str] = []
    execute = asyncpg.Connection.execute

    async def watched(self, query, *args, **kwargs):
        sent.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", watched)
    for _ in range(3):
        assert await client.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]
    async with client._in_transaction() as transaction:
        await transaction.execute_query("SELECT 1")
    assert not [q for q in sent if "RESET ALL" in q or "UNLISTEN" in q], sent


def test_migration_0025_adds_the_live_rows_keys_and_takes_them_back(tmp_path):
    """The indexes a compiled page finds its ids by (PostgreSQL's; SQLite needs none), there
    at the head and gone when migrated back to 0024."""
    from .migrating import run
    from .servers import scratch_database

    live = ("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'idx_%_live_%' ORDER BY indexname"
            if os.environ.get("DATABASE_URL", "").startswith("postgres") else
            "SELECT name AS indexname FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%_live_%'")
    for url in scratch_database(tmp_path, "gh_live_keys"):
        head, back = run(url, [("migrate", None), ("query", live),
                               ("migrate", "gridhub.0024_memberships_rejoin"), ("query", live)])
        expected = sorted([f"idx_{t}_live_id" for t in ("region", "person", "household", "place", "event",
                                                          "thing", "organisation")] + ["idx_event_live_occurred"])
        assert [r["indexname"] for r in head] == (expected if url.startswith("postgres") else [])
        assert back == []
