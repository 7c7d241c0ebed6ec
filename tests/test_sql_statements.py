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
      residence { name residents { name } households { code } }
      region { name parent { name } ancestors { name } }
      memberships { role organisation { name } }
    }
  }
}"""

NESTED_EVENTS = """query($first: Int) {
  events(first: $first, orderBy: [{field: ID}]) {
    nodes { title place { name residents { name } } persons { name household { code } }
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
    counts, rows = {}, {}
    for first in (10, 100):
        with count_sql() as counter:
            data = await gql.query(query, first=first)
        counts[first] = counter.count
        [(root, page)] = data.items()
        rows[first] = len(page["nodes"])
    # the larger page really holds more rows (the demo has 9 grids: 10 and 100 were the same page)
    assert 0 < rows[10] < rows[100], rows
    assert counts[10] == counts[100], counts
    assert counts[10] <= 25, counts
