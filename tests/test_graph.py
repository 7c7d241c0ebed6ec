"""The graph over HTTP: connections, filters, order, relations both ways, node and search."""

import pytest

from gridhub import models
from gridhub.models.enums import EventKind

from .checks import every

PERSON_PAGE = """
query($first: Int, $after: String, $filter: PersonFilter, $orderBy: [PersonOrder!]) {
  persons(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name birthDate tags } }
  }
}"""


async def region_id(gql, path: str) -> str:
    data = await gql.query("query($p: String) { regions(filter: {regionPath: $p}, first: 1) { nodes { id path } } }",
                           p=path)
    assert data["regions"]["nodes"][0]["path"] == path
    return data["regions"]["nodes"][0]["id"]


async def test_the_readme_query_answers(gql, anchors):
    """Persons with their household members, residence, and region ancestors."""
    data = await gql.query("""
      query($region: ID) {
        persons(first: 5, filter: {region: $region}) {
          nodes {
            name idNumber
            household { code members { name relationToHead } }
            residence { name address kind }
            region { name tier ancestors { name tier } }
          }
        }
      }""", region=await region_id(gql, anchors["grid"]))
    nodes = data["persons"]["nodes"]
    assert nodes
    for person in nodes:
        assert [a["tier"] for a in person["region"]["ancestors"]][:3] == ["COUNTY", "TOWN", "COMMUNITY"]
        if person["household"]:
            assert person["name"] in [m["name"] for m in person["household"]["members"]]


async def test_pages_cover_every_row_once(gql, anchors):
    expected = await models.Person.filter(region_path__startswith=anchors["community"], deleted_at=None).count()
    filter_ = {"regionPath": anchors["community"]}
    seen, after = [], None
    while True:
        page = (await gql.query(PERSON_PAGE, first=7, after=after, filter=filter_))["persons"]
        assert page["totalCount"] == expected
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == expected


async def test_order_by_with_cursor(worker, anchors):
    """By birth date: as the grid worker, who sees its residents' birth dates."""
    gql = worker
    order = [{"field": "BIRTH_DATE", "direction": "DESC"}]
    filter_ = {"regionPath": anchors["grid"]}
    whole = (await gql.query(PERSON_PAGE, first=500, filter=filter_, orderBy=order))["persons"]["edges"]
    births = [e["node"]["birthDate"] for e in whole]
    assert births == sorted(births, reverse=True)
    first = (await gql.query(PERSON_PAGE, first=5, filter=filter_, orderBy=order))["persons"]
    rest = (await gql.query(PERSON_PAGE, first=500, after=first["pageInfo"]["endCursor"], filter=filter_,
                            orderBy=order))["persons"]["edges"]
    assert [e["node"]["id"] for e in first["edges"]] + [e["node"]["id"] for e in rest] == \
        [e["node"]["id"] for e in whole]


@pytest.mark.parametrize("variables, code, field", [
    ({"first": 100000}, "BAD_USER_INPUT", "first"),
    ({"first": -1}, "BAD_USER_INPUT", "first"),
    ({"after": "not-a-cursor"}, "BAD_USER_INPUT", "after"),
    ({"filter": {"regionPath": "no-slashes"}}, "BAD_USER_INPUT", "region"),
    ({"filter": {"tags": ["/care"]}}, "BAD_USER_INPUT", "tags"),
    ({"orderBy": [{"field": "NOPE"}]}, "BAD_USER_INPUT", None),
])
async def test_bad_list_arguments(gql, variables, code, field):
    response = await gql.post(PERSON_PAGE, variables)
    assert response.codes == [code], response.errors
    if field:
        assert response.errors[0]["extensions"]["field"] == field


async def test_tag_filter_matches_the_tag_subtree(gql):
    data = await gql.query(PERSON_PAGE, first=500, filter={"tags": ["care"]})
    persons = data["persons"]["edges"]
    assert persons and all(any(t.startswith("care/") for t in e["node"]["tags"]) for e in persons)
    # the tags of live persons: other tests delete the persons they made, whose tag rows stay
    expected = await models.PersonTag.filter(tag__startswith="care/", deleted_at=None, person__deleted_at=None
                                             ).distinct().values_list("person_id", flat=True)
    assert data["persons"]["totalCount"] == len(set(expected))


async def test_region_subtree_filter_counts_like_sql(gql, anchors):
    for key in ("county", "town", "community", "grid"):
        path = anchors[key]
        data = await gql.query(PERSON_PAGE, first=1, filter={"region": await region_id(gql, path)})
        assert data["persons"]["totalCount"] == await models.Person.filter(
            region_path__startswith=path, deleted_at=None).count()


async def test_kind_specific_filters(gql):
    # key persons' visits are closed events too, shown only where key tags are: left out here
    kinds = [k.name for k in EventKind if k is not EventKind.VISIT]
    data = await gql.query("""query($kinds: [EventKind!]) {
      closed: events(first: 500, filter: {status: [CLOSED], kind: $kinds}) { totalCount nodes { status } }
      safety: events(first: 500, filter: {category: ["safety"]}) { nodes { category } }
      hydrants: things(first: 500, filter: {kind: [HYDRANT]}) { nodes { kind } }
      floating: persons(first: 500, filter: {populationType: [FLOATING]}) { nodes { populationType } }
    }""", kinds=kinds)
    closed = models.Event.filter(status="closed", deleted_at=None).exclude(kind="visit")
    assert data["closed"]["totalCount"] == await closed.count()
    assert {n["status"] for n in data["closed"]["nodes"]} == {"CLOSED"}
    assert every(data["safety"]["nodes"], lambda n: n["category"].startswith("safety/"))
    assert {n["kind"] for n in data["hydrants"]["nodes"]} == {"HYDRANT"}
    assert {n["populationType"] for n in data["floating"]["nodes"]} == {"FLOATING"}


async def test_text_filter_and_updated_since(gql):
    person = await models.Person.filter(deleted_at=None).order_by("id").first()
    data = await gql.query(PERSON_PAGE, first=50, filter={"text": person.name[-1:]})
    assert person.name in [e["node"]["name"] for e in data["persons"]["edges"]] or \
        data["persons"]["totalCount"] > 50
    later = await gql.query(PERSON_PAGE, first=1, filter={"updatedSince": "2999-01-01T00:00:00Z"})
    assert later["persons"]["totalCount"] == 0


async def test_node_and_nodes(gql):
    data = await gql.query("{ persons(first: 2) { nodes { id name } } events(first: 1) { nodes { id title } } }")
    person_ids = [n["id"] for n in data["persons"]["nodes"]]
    event_id = data["events"]["nodes"][0]["id"]
    found = await gql.query("""query($a: ID!, $ids: [ID!]!) {
      node(id: $a) { __typename id ... on Event { title } }
      nodes(ids: $ids) { __typename id ... on Person { name } }
    }""", a=event_id, ids=[*person_ids, "UGVyc29uOjk5OTk5OTk="])  # Person:9999999
    assert found["node"]["title"] == data["events"]["nodes"][0]["title"]
    assert [n and n["name"] for n in found["nodes"]] == [n["name"] for n in data["persons"]["nodes"]] + [None]


@pytest.mark.parametrize("node_id, code", [
    ("UGVyc29uOjk5OTk5OTk=", "NOT_FOUND"),       # Person:9999999
    ("not-a-global-id", "BAD_USER_INPUT"),
    ("Qm9ndXM6MQ==", "BAD_USER_INPUT"),          # Bogus:1
])
async def test_node_errors(gql, node_id, code):
    response = await gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
    assert response.codes == [code], response.errors
    assert response.data == {"node": None}


async def test_relations_both_ways(gql):
    data = await gql.query("""{
      households(first: 3) { nodes { id code head { name } members { name household { code } } place { name } } }
      events(first: 20, filter: {status: [CLOSED]}) {
        nodes { id status place { name events(first: 500) { nodes { id } } } persons { name events(first: 500) { nodes { id } } }
                things { code events(first: 500) { nodes { id } } } log { action fromStatus toStatus at } region { tier } } }
      organisations(first: 5) { nodes { name members { nodes { role person { name memberships { organisation { name } } } } } } }
    }""")
    for h in data["households"]["nodes"]:
        assert all(m["household"]["code"] == h["code"] for m in h["members"])
        assert h["head"]["name"] in [m["name"] for m in h["members"]]
    for e in data["events"]["nodes"]:
        assert e["log"][-1]["toStatus"] == "CLOSED" and e["log"][0]["fromStatus"] is None
        assert e["region"]["tier"] in ("GRID", "MICRO_GRID")
        # each way back: the event is among its place's, its persons' and its things' events
        for holder in ([e["place"]] if e["place"] else []) + e["persons"] + e["things"]:
            assert e["id"] in [x["id"] for x in holder["events"]["nodes"]]
    for o in data["organisations"]["nodes"]:
        for m in o["members"]["nodes"]:
            assert o["name"] in [x["organisation"]["name"] for x in m["person"]["memberships"]]


async def test_residence_things_and_events(gql):
    data = await gql.query("""{ persons(first: 50) { nodes { id residence { id residents(first: 500) { nodes { id } }
                                 things { nodes { code } } events { nodes { title } } }
                                 residences { nodes { startedOn endedOn place { id } } } } } }""")
    with_residence = [p for p in data["persons"]["nodes"] if p["residence"]]
    assert with_residence
    for p in with_residence:
        current = [r for r in p["residences"]["nodes"] if r["endedOn"] is None]
        assert [r["place"]["id"] for r in current] in ([], [p["residence"]["id"]])
        assert p["id"] in [r["id"] for r in p["residence"]["residents"]["nodes"]]


async def test_region_tree(gql, anchors):
    data = await gql.query("""query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes {
        path parent { path children { path } } children { path tier }
        persons(first: 3) { totalCount nodes { region { path } } } } } }""", p=anchors["community"])
    community = data["regions"]["nodes"][0]
    assert community["path"] in [c["path"] for c in community["parent"]["children"]]
    assert every(community["children"], lambda c: c["path"].startswith(community["path"]))
    assert anchors["grid"] in [c["path"] for c in community["children"]]
    assert every(community["persons"]["nodes"], lambda p: p["region"]["path"].startswith(community["path"]))
    assert community["persons"]["totalCount"] == await models.Person.filter(
        region_path__startswith=anchors["community"], deleted_at=None).count()


async def test_search_returns_a_union(gql):
    event = await models.Event.all().order_by("id").first()
    data = await gql.query("""query($t: String!) { search(text: $t, first: 10) { nodes { __typename
        ... on Event { title } ... on Person { name } ... on Place { name } } } }""", t=event.title)
    assert {"__typename": "Event", "title": event.title} in data["search"]["nodes"]
    only = await gql.query('{ search(text: "社区", kinds: [PLACE, ORGANISATION], first: 30) { nodes { __typename } } }')
    assert only["search"]["nodes"] and {r["__typename"] for r in only["search"]["nodes"]} <= {"Place", "Organisation"}


SEARCH_PAGE = """query($t: String!, $k: [SearchKind!], $first: Int, $after: String) {
  search(text: $t, kinds: $k, first: $first, after: $after) { totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { __typename ... on Event { id } ... on Thing { id } ... on Organisation { id } } } } }"""


async def test_search_pages_through_every_match_across_kinds(gql):
    KINDS = ["ORGANISATION", "EVENT", "THING"]  # (the order of asking does not matter)
    """Paged 7 at a time, the search yields each match once, kind after kind, and as many as
    `totalCount` and one unpaged read of the same search say."""
    whole = (await gql.query(SEARCH_PAGE, t="村", k=KINDS, first=500))["search"]
    assert not whole["pageInfo"]["hasNextPage"] and whole["totalCount"] == len(whole["edges"]) > 7
    kinds = [e["node"]["__typename"] for e in whole["edges"]]
    assert kinds == sorted(kinds, key=["Event", "Thing", "Organisation"].index) and len(set(kinds)) == 3
    seen, after, pages = [], None, 0
    while True:
        page = (await gql.query(SEARCH_PAGE, t="村", k=KINDS, first=7, after=after))["search"]
        pages += 1
        assert page["totalCount"] == whole["totalCount"] and len(page["edges"]) <= 7
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == [e["node"]["id"] for e in whole["edges"]] and pages > 1
    assert (await gql.post(SEARCH_PAGE, {"t": "村", "after": "bm9wZQ=="})).codes == ["BAD_USER_INPUT"]


async def test_departments(gql):
    data = await gql.query("{ departments { code name } }")
    assert "public_security" in [d["code"] for d in data["departments"]]


async def test_healthz(http):
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


async def test_graphiql_in_a_browser(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()
