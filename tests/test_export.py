"""Department pulls over HTTP (issue #6): `/export/{kind}` holds exactly what the caller's
GraphQL gives it, refuses as GraphQL does, audits every export, and its incremental pulls
carry the upserts and tombstones of updates, deletions, moves and facet exits; the
`changes` feed says the same in GraphQL."""

from __future__ import annotations

import csv
import io
import json

import pytest

from gridhub import models
from gridhub.resolvers.identity.auth import hash_password
from gridhub.resolvers.domain.users import bootstrap_grant
from gridhub.resolvers.write.validation import id_number_check_digit

from .audit import audit_mark, revealed_since
from .client import GraphQLClient
from .test_compiled import read_path

PERSON_FIELDS = ("id createdAt updatedAt deletedAt version name gender birthDate birthYear ethnicity idType "
                 "nationality registeredAddress populationType relationToHead idNumber phone tags formerNames nativePlace "
                 "maritalStatus politicalStatus education religion occupation employer lastCareVisitAt careVisitDueAt "
                 "region { id path } household { id } "
                 "residence { id }")
PERSONS = """query($first: Int, $after: String, $filter: PersonFilter) {
  persons(first: $first, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor } nodes { %s } } }
""" % PERSON_FIELDS


class Pulled:
    """An NDJSON export read back: rows by id, tombstones, the trailer, every cursor."""

    def __init__(self, response):
        assert response.status_code == 200, response.text
        self.response = response
        self.lines = [json.loads(line) for line in response.text.splitlines()]
        self.rows = [line["row"] for line in self.lines if "row" in line]
        self.tombstones = [line["tombstone"] for line in self.lines if "tombstone" in line]
        self.end = self.lines[-1].get("@end")
        self.cursors = [line["cursor"] for line in self.lines if "cursor" in line]

    @property
    def row_ids(self) -> list[str]:
        return [r["id"] for r in self.rows]

    @property
    def gone_ids(self) -> list[str]:
        return [t["id"] for t in self.tombstones]


async def export(http, token: str | None, kind: str = "person", **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.get(f"/export/{kind}", params=params, headers=headers)


async def pull(http, client: GraphQLClient, kind: str = "person", **params) -> Pulled:
    return Pulled(await export(http, client.token, kind, **params))


async def graphql_persons(client: GraphQLClient, filter: dict | None = None) -> list[dict]:
    nodes, after = [], None
    while True:
        page = (await client.query(PERSONS, first=500, after=after, filter=filter))["persons"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def by_id(rows: list[dict]) -> dict[str, dict]:
    found = {r["id"]: r for r in rows}
    assert len(found) == len(rows), "an id twice"
    return found


# -- the export is what GraphQL gives -----------------------------------------------------

@pytest.mark.parametrize("compiled", [True, False], ids=["compiled-path", "resolver-path"])
async def test_civil_exports_exactly_the_persons_graphql_gives_it(http, sign_in, settings, compiled):
    civil = await sign_in("civil")
    with read_path(settings, compiled):
        exported = await pull(http, civil)
    expected = await graphql_persons(civil)
    assert expected and by_id(exported.rows) == by_id(expected)
    assert exported.row_ids == sorted(exported.row_ids, key=lambda i: int(_row_id(i)))  # by id
    assert exported.end == {"rows": len(expected), "tombstones": 0, "nextSince": exported.end["nextSince"]}
    assert exported.response.headers["X-Gridhub-Until"] == exported.end["nextSince"]
    # civil affairs holds identity numbers and phones of the persons in need, unmasked
    assert all("*" not in r["idNumber"] for r in exported.rows)
    assert all(any(t.startswith("care/") for t in r["tags"]) for r in exported.rows)


async def test_the_export_is_read_and_exportable(http, sign_in, gql, anchors):
    """What the county centre exports of a town: the rows of `persons` with the same filter,
    sensitive fields masked as its GraphQL masks them."""
    county = await sign_in("county")
    filter = {"regionPath": anchors["town"], "populationType": ["FLOATING", "REGISTERED"], "text": "李"}
    exported = await pull(http, county, filter=json.dumps(filter))
    expected = await graphql_persons(county, filter)
    assert expected and by_id(exported.rows) == by_id(expected)
    assert all("*" in r["idNumber"] for r in exported.rows)
    assert not any(t.startswith("key/") for r in exported.rows for t in r["tags"])


async def test_a_pull_is_one_statement_per_batch_on_the_compiled_path(http, sign_in, settings, count_sql):
    civil = await sign_in("civil")
    saved = settings.export_batch_size
    settings.export_batch_size = 10
    try:
        with count_sql() as counter:
            exported = await pull(http, civil)
    finally:
        settings.export_batch_size = saved
    batches = max(1, -(-len(exported.rows) // 10))  # a page reads one row more to know another follows
    pages = [s for s in counter.statements if s.startswith("WITH gh_page")]
    assert len(pages) == batches, counter.statements


async def test_csv_holds_the_same_values(http, sign_in):
    civil = await sign_in("civil")
    ndjson = await pull(http, civil)
    response = await export(http, civil.token, format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["op"] for r in table] == ["upsert"] * len(ndjson.rows) + ["end"]
    for row, line in zip(table, ndjson.rows):
        assert row["id"] == line["id"] and row["idNumber"] == line["idNumber"]
        assert row["region.path"] == line["region"]["path"] and json.loads(row["tags"]) == line["tags"]
        assert row["phone"] == (line["phone"] or "") and row["relationToHead"] == (line["relationToHead"] or "")
    assert table[-1]["updatedAt"] == response.headers["X-Gridhub-Until"]


# -- who may export what ------------------------------------------------------------------

ACCESS = [  # user, kind, HTTP status (policies/default_policy.csv)
    ("county", "person", 200), ("county", "event", 200), ("county", "place", 403), ("county", "household", 403),
    ("police", "person", 200), ("police", "event", 403),
    ("civil", "person", 200), ("civil", "thing", 403),
    ("worker", "person", 403), ("community", "person", 403), ("town", "event", 403),
    ("admin", "person", 403), ("auditor", "event", 403),
]


@pytest.mark.parametrize("user, kind, status", ACCESS)
async def test_who_may_export_what(http, sign_in, user, kind, status):
    response = await export(http, (await sign_in(user)).token, kind)
    assert response.status_code == status, response.text
    if status == 200:  # every exportable kind streams to its end (events on the resolver path)
        exported = Pulled(response)
        assert exported.rows and exported.end["rows"] == len(exported.rows)
    if status == 403:
        assert response.json() == {"errors": [{"message": f"you may not export {kind}",
                                               "extensions": {"code": "FORBIDDEN"}}]}


@pytest.mark.parametrize("token", [None, "ghs_not-a-token", "not.a.jwt"])
async def test_unauthenticated(http, token):
    response = await export(http, token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("params, status", [
    ({"format": "xml"}, 400),
    ({"filter": "{not json"}, 400),
    ({"filter": "[1]"}, 400),
    ({"filter": '{"gender": ["NOBODY"]}'}, 400),
    ({"filter": '{"colour": "red"}'}, 400),
    ({"filter": '{"updatedSince": "2026-01-01T00:00:00Z"}'}, 400),
    ({"filter": '{"tags": ["key"]}'}, 403),  # civil may not filter by what it may not see
    ({"updated_since": "yesterday"}, 400),
    ({"since": "2026-01-01T00:00:00Z"}, 400),
    ({"cursor": "garbage"}, 400),
])
async def test_bad_requests(http, sign_in, params, status):
    response = await export(http, (await sign_in("civil")).token, **params)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == {400: "BAD_USER_INPUT", 403: "FORBIDDEN"}[status]


async def test_no_such_kind(http, sign_in):
    response = await export(http, (await sign_in("civil")).token, "spaceship")
    assert response.status_code == 404 and response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# -- service tokens and the audit trail ---------------------------------------------------

async def test_a_service_token_pulls_and_every_export_is_audited(http, sign_in, anonymous):
    admin = await sign_in("admin")
    token = (await admin.query('mutation { createServiceToken(username: "civil", name: "民政数据同步") { token } }'))[
        "createServiceToken"]["token"]
    filter = {"tags": ["care/disabled"]}
    mark = await audit_mark()
    exported = await pull(http, anonymous.as_token(token), filter=json.dumps(filter))
    assert exported.rows and all("care/disabled" in r["tags"] for r in exported.rows)
    trail = (await admin.query("""{ auditTrail(first: 1, filter: {action: "export"}) {
        nodes { actor action objectKind regionPath detail } } }"""))["auditTrail"]["nodes"]
    entry = trail[0]
    assert (entry["actor"], entry["action"], entry["objectKind"]) == ("civil", "export", "person")
    assert entry["detail"]["filter"] == filter and entry["detail"]["rows"] == len(exported.rows)
    assert entry["detail"]["complete"] and entry["detail"]["token"] == token[:12]
    # unmasked identity numbers were read: the sensitive reads of this export (since the mark,
    # not any earlier GraphQL read of civil's) are in the trail as for GraphQL, one per row
    assert await revealed_since("civil", mark, "id_number") == {_row_id(r["id"]) for r in exported.rows}
    # the county's auditor sees the export (it is filed under the county)
    auditor = await sign_in("auditor")
    seen = (await auditor.query('{ auditTrail(first: 5, filter: {action: "export"}) { nodes { actor } } }'))
    assert {"actor": "civil"} in seen["auditTrail"]["nodes"]


def _row_id(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


# -- incremental pulls ------------------------------------------------------------------

CREATE = "mutation($input: PersonCreateInput!) { createPerson(input: $input) { id version } }"
UPDATE = """mutation($id: ID!, $version: Int!, $input: PersonUpdateInput!) {
  updatePerson(id: $id, version: $version, input: $input) { id version } }"""
DELETE = "mutation($id: ID!, $version: Int) { deletePerson(id: $id, version: $version) { id } }"
CHANGES = """query($since: DateTime!, $first: Int, $after: String) {
  changes(kinds: [PERSON], since: $since, first: $first, after: $after) {
    nextSince pageInfo { hasNextPage endCursor }
    edges { cursor node { __typename ... on Person { id name } ... on Tombstone { kind id at } } } } }"""


def id_number(seq: int) -> str:
    body = f"34182319850505{seq:03d}"
    return body + id_number_check_digit(body)


async def region_ids(client: GraphQLClient, path: str, tier: str | None = None) -> list[str]:
    data = await client.query("""query($p: String, $t: [Tier!]) {
        regions(first: 50, filter: {regionPath: $p, tier: $t}) { nodes { id path } } }""",
                              p=path, t=[tier] if tier else None)
    return [n["id"] for n in data["regions"]["nodes"]]


GRANT = "mutation($u: String!, $r: String!, $g: ID!) { grantRole(username: $u, role: $r, region: $g) { role } }"
REVOKE = "mutation($u: String!, $r: String!, $g: ID!) { revokeRole(username: $u, role: $r, region: $g) { role } }"


@pytest.fixture
async def scratch(app, sign_in):
    """Users and persons of one test, removed afterwards (rows, tags, moves, grants), so the
    suite's other tests count the demo county as it was."""
    admin = await sign_in("admin")
    made = {"persons": [], "grants": []}

    async def user(username: str, role: str, region: str, department: str | None = None, *,
                   operator: bool = False) -> GraphQLClient:
        """A user holding `role` at `region`, granted by the chief admin as an admin would
        (or by the operator, `gridhub user grant`, for a grant no admin may make)."""
        department_id = (await models.Department.get(code=department)).id if department else None
        await models.User.get_or_create(username=username, defaults={
            "password_hash": hash_password("demo"), "department_id": department_id})
        if operator:
            path = (await models.Region.get(id=_row_id(region))).region_path
            await bootstrap_grant(app.state.store, "operator", username, role, path)
        else:
            await admin.query(GRANT, u=username, r=role, g=region)
        made["grants"].append((username, role, region))
        return await sign_in(username)

    def person(created: dict) -> dict:
        made["persons"].append(_row_id(created["id"]))
        return created

    yield user, person
    for username, role, region in made["grants"]:
        await admin.query(REVOKE, u=username, r=role, g=region)
    await models.RegionMove.filter(kind="person", row_id__in=made["persons"]).delete()
    await models.Person.filter(id__in=made["persons"]).delete()  # their tags go with them


@pytest.fixture
def no_settle(settings):
    """Pulls end their window now: the test's own changes are all committed already."""
    saved = settings.export_settle_seconds
    settings.export_settle_seconds = 0
    yield
    settings.export_settle_seconds = saved


async def test_incremental_pulls_carry_updates_deletions_moves_and_facet_exits(http, sign_in, anchors, no_settle,
                                                                               scratch):
    new_user, made = scratch
    admin = await sign_in("admin")
    county_id = (await region_ids(admin, anchors["county"], "COUNTY"))[0]
    town_id = (await region_ids(admin, anchors["town"], "TOWN"))[0]
    grid = (await region_ids(admin, anchors["grid"], "GRID"))[0]
    elsewhere = await region_ids(admin, anchors["town2"], "GRID")
    # a county-wide writer: no admin grants a grid worker at the county (delegation's tiers)
    editor = await new_user("sync_editor", "grid_worker", county_id, operator=True)
    town_civil = await new_user("town_civil", "dept.civil_affairs", town_id, "civil_affairs")
    civil = await sign_in("civil")

    async def person(seq: int, name: str, region: str, tags: list[str]) -> dict:
        return made((await editor.query(CREATE, input={"idNumber": id_number(seq), "name": name, "regionId": region,
                                                       "tags": tags}))["createPerson"])

    a = await person(1, "甲", grid, ["care/low_income"])       # renamed
    b = await person(2, "乙", grid, ["care/low_income"])       # deleted
    c = await person(3, "丙", grid, ["care/elderly_alone"])    # moves to another town
    d = await person(4, "丁", grid, ["care/low_income"])       # loses its care tag
    e = await person(5, "戊", grid, ["care/disabled"])         # untouched
    f = await person(6, "己", elsewhere[0], ["care/low_income"])   # loses its tag outside the town
    g = await person(7, "庚", elsewhere[0], ["care/low_income"])   # moves into the town

    first = await pull(http, town_civil)
    assert {a["id"], b["id"], c["id"], d["id"], e["id"]} <= set(first.row_ids)
    assert f["id"] not in first.row_ids and g["id"] not in first.row_ids
    county_first = await pull(http, civil)
    since = first.end["nextSince"]
    county_since = county_first.end["nextSince"]

    await editor.query(UPDATE, id=a["id"], version=a["version"], input={"name": "甲改"})
    await editor.query(DELETE, id=b["id"], version=b["version"])
    await editor.query(UPDATE, id=c["id"], version=c["version"], input={"regionId": elsewhere[1]})
    await editor.query(UPDATE, id=d["id"], version=d["version"], input={"tags": ["role/volunteer"]})
    await editor.query(UPDATE, id=f["id"], version=f["version"], input={"tags": []})
    await editor.query(UPDATE, id=g["id"], version=g["version"], input={"regionId": grid})

    town = await pull(http, town_civil, updated_since=since)
    assert set(town.row_ids) == {a["id"], g["id"]}
    assert {r["name"] for r in town.rows} == {"甲改", "庚"}
    assert sorted(town.gone_ids) == sorted([b["id"], c["id"], d["id"]])  # not f: never in its town
    assert all(t["kind"] == "person" for t in town.tombstones)
    assert town.end["rows"] == 2 and town.end["tombstones"] == 3
    # upserts in order of change, then tombstones in order of change
    assert town.row_ids == [a["id"], g["id"]] and town.gone_ids == [b["id"], c["id"], d["id"]]

    county = await pull(http, civil, updated_since=county_since)
    assert set(county.row_ids) == {a["id"], c["id"], g["id"]}  # c moved within the county
    assert sorted(county.gone_ids) == sorted([b["id"], d["id"], f["id"]])

    # nothing changed since: an empty pull
    again = await pull(http, town_civil, updated_since=town.end["nextSince"])
    assert again.rows == [] and again.tombstones == [] and again.end["tombstones"] == 0

    # resumed after any line, a pull goes on with the next one and its totals are the pull's
    for cut in range(len(town.cursors)):
        rest = await pull(http, town_civil, updated_since=since, cursor=town.cursors[cut])
        assert rest.lines[:-1] == town.lines[cut + 1:-1]
        assert rest.end == town.end

    # the same changes through GraphQL, a page of two at a time
    nodes, after, windows = [], None, set()
    while True:
        page = (await town_civil.query(CHANGES, since=since, first=2, after=after))["changes"]
        nodes += [edge["node"] for edge in page["edges"]]
        windows.add(page["nextSince"])  # fixed by the first page for the whole pull
        assert len(windows) == 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["id"] for n in nodes if n["__typename"] == "Person"] == town.row_ids
    assert [n["id"] for n in nodes if n["__typename"] == "Tombstone"] == town.gone_ids
    assert {n["kind"] for n in nodes if n["__typename"] == "Tombstone"} == {"PERSON"}
    # pulls through GraphQL are exports too, in the trail under the town
    entries = await models.AuditEntry.filter(actor="town_civil", action="export").order_by("id")
    via_changes = [x for x in entries if x.detail.get("via") == "changes"]
    assert sum(x.detail["rows"] for x in via_changes) == 2 and sum(x.detail["tombstones"] for x in via_changes) == 3
    assert {x.region_path for x in entries} == {anchors["town"]}


async def test_a_cursor_is_for_its_own_pull(http, sign_in, no_settle):
    civil = await sign_in("civil")
    since = "2020-01-01T00:00:00+00:00"
    first = await pull(http, civil, updated_since=since)
    assert first.end is not None
    full = await pull(http, civil)
    cursor = full.cursors[0]
    other_filter = await export(http, civil.token, cursor=cursor, filter='{"tags": ["care/disabled"]}')
    assert other_filter.status_code == 400
    other_window = await export(http, civil.token, cursor=cursor, updated_since=since)
    assert other_window.status_code == 400
    other_kind = await export(http, (await sign_in("county")).token, "event", cursor=cursor)
    assert other_kind.status_code == 400
    other_caller = await export(http, (await sign_in("police")).token, cursor=cursor)
    assert other_caller.status_code == 409  # another scope: resuming would leave gaps
    changes = await civil.post(CHANGES, {"since": since, "after": cursor})
    assert changes.codes == ["BAD_USER_INPUT"]


async def test_changes_are_refused_without_export(sign_in):
    answer = await (await sign_in("worker")).post(CHANGES, {"since": "2020-01-01T00:00:00Z"})
    assert answer.codes == ["FORBIDDEN"]


def test_region_reach_relaxes_every_condition_but_the_region():
    """Facets drop out (TRUE where they allow, FALSE where they deny), regions stay."""
    from gridhub.policies.predicate import TRUE, Compare, InSubquery, StartsWith, and_, not_, or_, relax

    town, grid = StartsWith("region_path", "/1/2/"), StartsWith("region_path", "/1/2/3/")
    tagged = InSubquery("id", models.PersonTag, "person_id", Compare("tag", "eq", "care"))
    region = lambda leaf: leaf.column == "region_path"  # noqa: E731
    assert relax(and_(town, tagged), region) == town
    assert relax(or_(and_(town, tagged), Compare("kind", "eq", "x")), region) == TRUE
    # a deny of a facet in a grid denies nothing for sure: the reach keeps the whole town
    assert relax(and_(town, not_(and_(grid, tagged))), region) == town
    # a deny of a whole grid is kept
    assert relax(and_(town, not_(grid)), region) == and_(town, not_(grid))


def test_the_pull_scope_is_read_and_export_and_hashes_apart():
    """Plans and cached answers are keyed by the scope's hash: the narrowed scope of a pull
    must never share them with the caller's plain one."""
    from gridhub.policies.predicate import StartsWith, and_
    from gridhub.policies.scope import Scope

    read, export_ = StartsWith("region_path", "/1/"), StartsWith("region_path", "/1/2/")
    plain = Scope(rules={("person", "read"): read, ("person", "export"): export_, ("event", "read"): read})
    pulled = plain.requiring("export", ("person",))
    assert pulled.where("person", "read") == and_(read, export_)
    assert pulled.where("event", "read") == read and pulled.where("person", "export") == export_
    assert pulled.hash != plain.hash and pulled.requiring("export", ("person",)).hash == pulled.hash
    assert Scope.everything().requiring("export", ("person",)).hash != Scope.everything().hash
