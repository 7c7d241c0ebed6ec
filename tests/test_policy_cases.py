"""Policy cases as data (tests/policy_cases.csv), each run against the real enforcer and the
compiled scope, and the read cases again over HTTP against the demo county."""

import csv
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from strawberry.relay import from_base64

from gridhub import models
from gridhub.policies.compiler import ancestor_paths, compile_scope
from gridhub.policies.predicate import FALSE
from gridhub.policies.sensitivity import is_key_tag, mask_of
from gridhub.policies.scope import ACTIONS
from gridhub.resolvers.kinds import LISTED

ANCHORS = ("county", "town", "town2", "community", "grid", "sibling_grid")
DATA_KINDS = {k.name: k.model for k in LISTED.values() if k.name != "region"}
PERSON_FIELDS = ("id_number", "phone", "key_tags", "political_status", "religion")


def load_cases() -> list[dict]:
    path = Path(__file__).with_name("policy_cases.csv")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]
    cases = [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]
    for c in cases:
        assert c["expect"] in ("allow", "deny", "mask", "invalid", "conflict", "elsewhere") and c["why"], c
        c["id"] = f"{c['who']}-{c['action']}-{c['object']}@{c['where']}"
        c["id"] += f"-to-{c['grantee']}" if c["grantee"] else f"={c['value']}" if c["value"] else ""
        c["kind"] = c["object"].split(":")[0].split(".")[0]
    assert len({c["id"] for c in cases}) == len(cases), "duplicate case"
    return cases


ALL_CASES = load_cases()
# decided beyond the enforcer, over HTTP: comparisons on values, grants by delegation, conflicts
INPUT_CASES = [c for c in ALL_CASES if c["action"] in ("filter", "order", "group")]
GRANT_CASES = [c for c in ALL_CASES if c["grantee"]]
REGISTER_CASES = [c for c in ALL_CASES if c["action"] == "create" and "." in c["object"]]
CASES = [c for c in ALL_CASES if c not in INPUT_CASES + GRANT_CASES + REGISTER_CASES]
# Over HTTP: reads of a data kind or of a person field at an anchor (facet objects are left
# to the enforcer: the same rows may be visible through another facet, e.g. key persons with
# a care tag are listed to the police, who hold no person:care/* rule).
HTTP_CASES = [c for c in CASES if c["action"] == "read" and c["where"] in ANCHORS and ":" not in c["object"]
              and c["kind"] in DATA_KINDS and (c["kind"] == c["object"] or c["kind"] == "person")]


def place(where: str, anchors: dict) -> str:
    derived = {"grid_prefix_trap": anchors["grid"][:-1] + "0/", "grid_child": anchors["grid"] + "001/",
               "parent_community": anchors["community"],
               "other_town_grid": anchors["town2"] + "999999999999/001/"}
    return anchors.get(where) or derived[where]


async def who_facts(username: str) -> dict:
    return {"department_id": (await models.User.get(username=username)).department_id}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
async def test_enforcer(app, anchors, case):
    store, who, obj, action = app.state.store, case["who"], case["object"], case["action"]
    path = place(case["where"], anchors)
    allowed = store.allows(who, path, obj, action)
    assert allowed == (case["expect"] == "allow"), case["why"]
    if case["expect"] == "mask":
        assert store.allows(who, path, case["via"] or case["kind"], "read"), "the rows themselves are readable"

    # The compiled scope must agree on kind-level objects and fields. Skipped: facets (a row in
    # memory cannot answer a tag semi-join, and `person:key/*` is not a row kind) and role:
    # objects (the compiler leaves grants to the enforcer, one grant at a time).
    scoped_kinds = (*LISTED, "policy", "user", "audit", "staff", "scorecard", "membership", "joint_unit",
                    "service_post", "volunteer_activity")
    if ":" in obj or action not in ACTIONS or case["kind"] not in scoped_kinds:
        return
    scope = compile_scope(store, who, await who_facts(who))
    row = SimpleNamespace(region_path=path, handling_department_id=None, category="")  # in no facet
    try:
        in_scope = scope.where(obj, action).matches(row)
    except NotImplementedError:  # the caller reads this kind through a person-tag facet: see HTTP
        return
    if obj == "region" and action == "read":  # the scope also shows the path down to one's nodes
        allowed = allowed or any(path in ancestor_paths(d) for _, d in store.grants_of(who))
    assert in_scope == allowed


async def home_tags() -> dict[int, list[str]]:
    """place id -> the tags of the live persons whose residence it is now."""
    found: dict[int, list[str]] = {}
    residents = dict(await models.Person.filter(deleted_at=None, residence_id__not_isnull=True).values_list(
        "id", "residence_id"))
    for person_id, tag in await models.PersonTag.filter(deleted_at=None).values_list("person_id", "tag"):
        if person_id in residents:
            found.setdefault(residents[person_id], []).append(tag)
    return found


COLUMN_FACETS = {"thing": ("kind", "status"), "place": ("kind",), "organisation": ("kind",)}


def enforcer_reads(store, who: str, kind: str, row, tags: list[str], facts: dict) -> bool:
    """The oracle: the enforcer asked about one row, at the row's own region. `tags`: a
    person's, or for a place those of the persons living there now (`home_tags`)."""
    at = row.region_path
    return ((store.allows(who, at, kind, "read") and not (kind == "event" and category_denied(store, who, row, at)))
            or (kind == "person" and any(store.allows(who, at, f"person:{t}", "read") for t in tags))
            # the home of a person of one's business (place:home_of/key/*)
            or (kind == "place" and any(store.allows(who, at, f"place:home_of/{t}", "read") for t in tags))
            # a column's facet (thing:kind/hydrant, organisation:kind/enterprise, place:kind/shop)
            or any(store.allows(who, at, f"{kind}:{column}/{getattr(row, column).value}", "read")
                   for column in COLUMN_FACETS.get(kind, ()))
            or (kind == "event" and store.allows(who, at, f"event:category/{row.category}", "read"))
            or (kind == "event" and row.handling_department_id is not None
                and row.handling_department_id == facts["department_id"]
                and store.allows(who, at, "event:assigned", "read")))


def category_denied(store, who: str, row, at: str) -> bool:
    """A deny rule on the event's category facet (event:category/service/key_visit)."""
    allowed, rule = store.explain(who, at, f"event:category/{row.category}", "read")
    return not allowed and bool(rule) and rule[-1] == "deny"


async def fetch(client, kind: str, path: str) -> dict:
    """Every row listed, page by page: {totalCount, nodes}."""
    fields = "id idNumber birthDate gender phone tags politicalStatus religion" if kind == "person" else "id"
    nodes, after = [], None
    while True:
        data = (await client.query(f"""query($path: String, $after: String) {{
          list: {kind}s(first: 500, after: $after, filter: {{regionPath: $path}}) {{
            totalCount nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }}
        }}""", path=path, after=after))["list"]
        nodes += data["nodes"]
        if not data["pageInfo"]["hasNextPage"]:
            return {"totalCount": data["totalCount"], "nodes": nodes}
        after = data["pageInfo"]["endCursor"]


@pytest.mark.parametrize("case", HTTP_CASES, ids=[c["id"] for c in HTTP_CASES])
async def test_over_http(app, anchors, sign_in, case):
    store, who, kind, expect = app.state.store, case["who"], case["kind"], case["expect"]
    path, facts = anchors[case["where"]], await who_facts(who)
    rows = await DATA_KINDS[kind].filter(region_path__startswith=path, deleted_at=None)
    tags: dict[int, list[str]] = {}
    if kind == "person":
        for person_id, tag in await models.PersonTag.filter(
                person_id__in=[r.id for r in rows], deleted_at=None).values_list("person_id", "tag"):
            tags.setdefault(person_id, []).append(tag)
    elif kind == "place":
        tags = await home_tags()

    def readable(row) -> bool:
        return enforcer_reads(store, who, kind, row, tags.get(row.id, []), facts)

    def denied_category(row, at: str) -> bool:
        return kind == "event" and category_denied(store, who, row, at)

    listed = await fetch(await sign_in(who), kind, path)
    nodes = {int(from_base64(n["id"])[1]): n for n in listed["nodes"]}
    assert listed["totalCount"] == len(nodes) == len(listed["nodes"])
    assert set(nodes) == {r.id for r in rows if readable(r)}  # the list narrows, never errs
    if expect == "deny":
        assert len(nodes) < len(rows), "denied at this node: not every row under it is listed"
    else:
        assert nodes, "rows are listed there"
    if expect == "allow" and not case["via"] and case["object"] == kind:  # all but a facet denied
        assert listed["totalCount"] == len([r for r in rows if not denied_category(r, r.region_path)])
    if case["via"]:  # a facet reader: every row listed is in its facet
        prefix = case["via"].split(":")[1].rstrip("*")
        assert all(any(t.startswith(prefix) for t in n["tags"]) for n in nodes.values())
    if kind != "person":
        return

    # Sensitive fields: whole where the enforcer grants the field at the row's region, masked
    # elsewhere; the case's own field is whole (allow) or masked (mask) on every row listed.
    field = case["object"].partition(".")[2]
    for row in (r for r in rows if r.id in nodes):
        node, all_tags = nodes[row.id], tags.get(row.id, [])
        # the identity number carries the birth date and the gender: they follow its grant
        got = {"id_number": (node["idNumber"], node["birthDate"], node["gender"]), "phone": node["phone"],
               "key_tags": sorted(node["tags"]), "political_status": node["politicalStatus"],
               "religion": node["religion"]}
        whole_or_masked = {
            "id_number": ((row.id_number, row.birth_date.isoformat(), row.gender.name),
                          (mask_of("person", "id_number").python(row.id_number), None, None)),
            "phone": (row.phone, mask_of("person", "phone").python(row.phone)),
            "key_tags": (sorted(all_tags), sorted(t for t in all_tags if not is_key_tag(t))),
            # special categories: whole or withheld (null)
            "political_status": (row.political_status and row.political_status.name, None),
            "religion": (row.religion and row.religion.name, None)}
        for f in PERSON_FIELDS:
            whole = store.allows(who, row.region_path, f"person.{f}", "read")
            assert got[f] == whole_or_masked[f][0 if whole else 1], (f, row.id)
        if field and expect != "deny":
            assert got[field] == whole_or_masked[field][0 if expect == "allow" else 1], (field, row.id)
    shown = list(nodes.values())
    if expect == "mask":  # what a masked field looks like: 340223***********6 (a passport: G*******9), 138****5678, no key/…
        assert {"id_number": all(re.fullmatch(r"\d{6}\*{11}[\dX]|[0-9A-Z]\*{5,}[0-9A-Z]", n["idNumber"])
                                 and n["birthDate"] is None
                                 and n["gender"] is None for n in shown),
                "phone": all(n["phone"] is None or "****" in n["phone"] for n in shown),
                "key_tags": not any(is_key_tag(t) for n in shown for t in n["tags"]),
                "political_status": all(n["politicalStatus"] is None for n in shown),
                "religion": all(n["religion"] is None for n in shown)}[field]
    elif expect == "allow" and field == "id_number":
        assert all(len(n["idNumber"]) >= 8 and "*" not in n["idNumber"] for n in shown)


# -- beyond the enforcer: comparisons, delegation, the register ---------------------------

CODES = {"allow": None, "deny": "FORBIDDEN", "invalid": "BAD_USER_INPUT"}
STATUSES = {"allow": 200, "deny": 403, "invalid": 400}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@pytest.mark.parametrize("case", INPUT_CASES, ids=[c["id"] for c in INPUT_CASES])
async def test_comparing_on_values(app, http, anchors, sign_in, case):
    """Filtering, ordering or grouping on a masked or derived value is refused without its
    grant, and what names no tag or region exactly is invalid: on GraphQL and on /export."""
    client = await sign_in(case["who"])
    field = case["object"].partition(".")[2]
    at = anchors[case["where"]]
    if case["action"] == "group":
        region = (await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) "
                                     "{ nodes { id } } }", p=at))["regions"]["nodes"][0]["id"]
        response = await client.post("query($r: ID!) { personStats(region: $r, groupBy: [GENDER]) { total } }",
                                     {"r": region})
        assert response.codes == ([] if case["expect"] == "allow" else [CODES[case["expect"]]]), response.errors
        return
    value = case["value"]
    for name, path in anchors.items():
        value = value.replace("{" + name + "}", path)
    filter_ = {"regionPath": at} if field != "region_path" else {}
    if case["action"] == "filter":
        filter_[camel(field) if field != "region_path" else "regionPath"] = json.loads(value)
    order = [{"field": field.upper(), "direction": "ASC"}] if case["action"] == "order" else None
    response = await client.post("query($f: PersonFilter, $o: [PersonOrder!]) { persons(first: 5, filter: $f, "
                                 "orderBy: $o) { totalCount nodes { id } } }", {"f": filter_, "o": order})
    expected = CODES[case["expect"]]
    assert response.codes == ([expected] if expected else []), response.errors
    if expected:
        assert response.data is None or response.data.get("persons") is None
    scope = compile_scope(app.state.store, case["who"], await who_facts(case["who"]))
    if case["action"] != "filter" or scope.where("person", "export") == FALSE:  # /export takes filters only
        return
    params = {"filter": json.dumps(filter_)}
    exported = await http.get("/export/person", params=params, headers={"Authorization": f"Bearer {client.token}"})
    assert exported.status_code == STATUSES[case["expect"]], exported.text


GRANT = "mutation($u: String!, $r: String!, $g: ID!) { grantRole(username: $u, role: $r, region: $g) { role } }"
REVOKE = "mutation($u: String!, $r: String!, $g: ID!) { revokeRole(username: $u, role: $r, region: $g) { role } }"
EXPLAIN = """query($a: String!, $o: String!, $g: ID!, $to: String) {
  explainAccess(username: $a, action: "grant", object: $o, region: $g, grantee: $to) { allowed reasons } }"""


@pytest.mark.parametrize("case", GRANT_CASES, ids=[c["id"] for c in GRANT_CASES])
async def test_delegation(app, anchors, sign_in, case):
    """A grant through grantRole as the case's admin: refused with its reasons (which
    explainAccess, asked by the chief admin, gives too), or done and undone."""
    admin, role = await sign_in(case["who"]), case["object"].removeprefix("role:")
    region = (await (await sign_in("admin")).query(
        "query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
        p=anchors[case["where"]]))["regions"]["nodes"][0]["id"]
    version = app.state.store.version
    explained = (await (await sign_in("admin")).query(EXPLAIN, a=case["who"], o=case["object"], g=region,
                                                      to=case["grantee"]))["explainAccess"]
    response = await admin.post(GRANT, {"u": case["grantee"], "r": role, "g": region})
    if case["expect"] == "allow":
        assert response.errors == [] and explained == {"allowed": True, "reasons": []}
        await admin.query(REVOKE, u=case["grantee"], r=role, g=region)
        return
    assert response.codes == ["FORBIDDEN"], response.errors
    assert response.errors[0]["extensions"]["reasons"] == explained["reasons"] and explained["allowed"] is False
    assert app.state.store.version == version, "a refused grant changes nothing"


async def _holder(kind: str, column: str, at: str, outside: str | None):
    """A row under `at` (and not under `outside`) holding a value of `column`."""
    model = DATA_KINDS[kind]
    found = model.filter(region_path__startswith=at, deleted_at=None, **{f"{column}__isnull": False})
    if outside:
        found = found.exclude(region_path__startswith=outside)
    holder = await found.first()
    assert holder is not None, f"the demo holds a {kind} with a {column} under {at}"
    return holder


@pytest.mark.parametrize("case", REGISTER_CASES, ids=[c["id"] for c in REGISTER_CASES])
async def test_the_register_is_no_oracle(app, anchors, sign_in, case):
    """Registering a person whose identity number is held at `where`, in the caller's own grid."""
    client, (kind, _, column) = await sign_in(case["who"]), case["object"].partition(".")
    holder = await _holder(kind, column, anchors[case["where"]],
                           anchors["grid"] if case["expect"] == "elsewhere" else None)
    own_grid = (await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) "
                                   "{ nodes { id } } }", p=anchors["grid"]))["regions"]["nodes"][0]["id"]
    mark = (await models.AuditEntry.all().order_by("-id").first()).id
    before = await DATA_KINDS[kind].all().count()
    new = {"person": {"name": "测试迁入"}, "organisation": {"name": "测试单位", "kind": "ENTERPRISE"}}[kind]
    response = await client.post(f"mutation($i: {kind.title()}CreateInput!) {{ create{kind.title()}(input: $i) {{ id }} }}",
                                 {"i": {**new, camel(column): getattr(holder, column), "regionId": own_grid}})
    assert response.codes == ["CONFLICT"], response.errors
    extensions = response.errors[0]["extensions"]
    lookups = await models.AuditEntry.filter(id__gt=mark, action="lookup_sensitive", actor=case["who"])
    if case["expect"] == "conflict":
        assert "reason" not in extensions and extensions["field"] == camel(column) and not lookups
    else:
        assert extensions == {"code": "CONFLICT", "field": camel(column), "reason": "REGISTERED_ELSEWHERE"}
        message = response.errors[0]["message"]
        assert holder.name not in message and holder.region_path not in message and "registered elsewhere" in message
        assert [(e.object_id, e.field, e.region_path, e.detail["tried"]) for e in lookups] == [
            (str(holder.id), column, holder.region_path, getattr(holder, column))]
    assert await DATA_KINDS[kind].all().count() == before
