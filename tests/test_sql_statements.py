"""The number of SQL statements a request runs does not grow with the page size: every
relation level is one batched statement (N+1 guard, counted, not timed). Pages are in id
order, so the small page holds the demo's own rows (with every relation level filled), not
whatever other tests added last."""

import pytest

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
    await gql.query("{ __typename }")  # the token verified once (resolvers.auth), not inside a count
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
    await client.query("{ __typename }")  # the token verified once (resolvers.auth), not inside a count
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
