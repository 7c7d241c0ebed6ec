"""Access control over HTTP: sign-in, scoped reads, masking with audited reads, scoped
writes, and policy administration with delegation."""

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from gridhub import models
from gridhub.resolvers.write.validation import id_number_check_digit

from .audit import revealed_since
from .checks import every

PERSONS = """query($first: Int, $filter: PersonFilter) {
  persons(first: $first, filter: $filter) { totalCount nodes { id idNumber phone tags region { path } } }
}"""


async def region_id(gql, path):
    data = await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }", p=path)
    return data["regions"]["nodes"][0]["id"]


async def person_in(path: str) -> models.Person:
    return await models.Person.filter(region_path__startswith=path, deleted_at=None).order_by("id").first()


def global_id(type_name: str, row_id: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


# -- sign-in --------------------------------------------------------------------------

async def test_without_a_token_only_login_and_introspection(anonymous):
    refused = await anonymous.post("{ persons(first: 1) { totalCount } }")
    assert refused.codes == ["UNAUTHENTICATED"] and refused.data is None
    assert (await anonymous.post("mutation { deletePerson(id: \"UGVyc29uOjE=\") { id } }")).codes == ["UNAUTHENTICATED"]
    schema = await anonymous.query("{ __schema { queryType { name } } }")
    assert schema["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize("username, password", [("worker", "wrong"), ("nobody", "demo"), ("worker", "")])
async def test_wrong_credentials(anonymous, username, password):
    response = await anonymous.post("mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                                    {"u": username, "p": password})
    assert response.codes == ["UNAUTHENTICATED"]
    assert response.errors[0]["message"] == "wrong username or password"


def forged(secret: str, **claims) -> str:
    payload = {"sub": "county", "exp": datetime.now(timezone.utc) + timedelta(minutes=5), **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


@pytest.mark.parametrize("make_token", [
    lambda s: forged(s, exp=datetime.now(timezone.utc) - timedelta(seconds=1)),     # expired
    lambda s: forged("another-secret-of-at-least-32-bytes!!"),                      # wrong key
    lambda s: forged(s)[:-3] + "AAA",                                               # tampered
    lambda s: jwt.encode({"sub": "county", "exp": 9999999999}, None, algorithm="none"),  # alg none
    lambda s: forged(s, sub="ghost"),                                               # no such user
    lambda s: "ghs_not-a-real-service-token",
], ids=["expired", "wrong-key", "tampered", "alg-none", "unknown-user", "bad-service-token"])
async def test_bad_tokens_are_refused(anonymous, settings, make_token):
    response = await anonymous.as_token(make_token(settings.jwt_secret)).post("{ me { username } }")
    assert response.codes == ["UNAUTHENTICATED"]


async def test_me(sign_in, anchors):
    data = await (await sign_in("police")).query(
        "{ me { username department { code } roles { role domain region { path } } } }")
    assert data["me"]["username"] == "police"
    assert data["me"]["department"] == {"code": "public_security"}
    assert data["me"]["roles"] == [{"role": "dept.public_security", "domain": anchors["county"] + "*",
                                    "region": {"path": anchors["county"]}}]


# -- scoped reads ---------------------------------------------------------------------

async def test_worker_sees_exactly_its_grid(worker, anchors):
    data = (await worker.query(PERSONS, first=500))["persons"]
    expected = await models.Person.filter(region_path__startswith=anchors["grid"], deleted_at=None).count()
    assert data["totalCount"] == expected == len(data["nodes"])
    assert every(data["nodes"], lambda p: p["region"]["path"].startswith(anchors["grid"]))


async def test_node_of_the_sibling_grid_gives_no_data(worker, anchors):
    sibling = await person_in(anchors["sibling_grid"])
    response = await worker.post("query($id: ID!) { node(id: $id) { id } }", {"id": global_id("Person", sibling.id)})
    assert response.codes == ["NOT_FOUND"] and response.data == {"node": None}
    own = await person_in(anchors["grid"])
    assert (await worker.query("query($id: ID!) { node(id: $id) { id } }", id=global_id("Person", own.id)))["node"]


async def test_relations_do_not_leak_out_of_scope(worker, anchors):
    """An event of the grid may name a place or person elsewhere; the worker sees null there."""
    data = await worker.query("""{ events(first: 200) { nodes { region { path } place { region { path } }
                                   persons { region { path } } } } }""")
    for event in data["events"]["nodes"]:
        assert event["region"]["path"].startswith(anchors["grid"])
        for related in [event["place"], *event["persons"]]:
            assert related is None or related["region"]["path"].startswith(anchors["grid"])


async def test_ancestors_are_visible_but_not_their_rows(worker, anchors):
    data = await worker.query("""{ regions(first: 50) { nodes { path } } }""")
    paths = {n["path"] for n in data["regions"]["nodes"]}
    assert {anchors["county"], anchors["town"], anchors["community"], anchors["grid"]} <= paths
    assert anchors["sibling_grid"] not in paths
    county = await worker.query("query($p: String) { persons(filter: {regionPath: $p}) { totalCount } }",
                                p=anchors["county"])
    assert county["persons"]["totalCount"] == await models.Person.filter(
        region_path__startswith=anchors["grid"], deleted_at=None).count()


async def test_town_sees_sensitive_fields_masked_and_no_key_tags(sign_in, anchors):
    town = await sign_in("town")
    data = (await town.query(PERSONS, first=200, filter={"regionPath": anchors["town"]}))["persons"]
    assert data["totalCount"] == await models.Person.filter(region_path__startswith=anchors["town"],
                                                           deleted_at=None).count()
    for p in data["nodes"]:
        assert "*" * 8 in p["idNumber"] and len(p["idNumber"]) == 18
        assert p["phone"] is None or "****" in p["phone"]
        assert not any(t.startswith("key/") for t in p["tags"])
    forbidden = await town.post(PERSONS, {"first": 5, "filter": {"tags": ["key/drug"]}})
    assert forbidden.codes == ["FORBIDDEN"] and forbidden.errors[0]["extensions"]["field"] == "tags"


async def test_police_reads_key_persons_unmasked_and_it_is_audited(sign_in):
    police = await sign_in("police")
    data = (await police.query(PERSONS, first=500))["persons"]
    key_people = await models.PersonTag.filter(tag__startswith="key/", deleted_at=None, person__deleted_at=None
                                               ).distinct().values_list("person_id", flat=True)
    assert data["totalCount"] == len(set(key_people)) > 0
    for p in data["nodes"]:
        assert "*" not in p["idNumber"] and any(t.startswith("key/") for t in p["tags"])
    read = await revealed_since("police", 0, "id_number")
    assert {global_id("Person", i) for i in read} >= {p["id"] for p in data["nodes"]}


async def test_civil_lists_only_persons_with_care_tags(sign_in):
    civil = await sign_in("civil")
    data = (await civil.query(PERSONS, first=500))["persons"]
    cared = set(await models.PersonTag.filter(tag__startswith="care/", deleted_at=None, person__deleted_at=None
                                              ).values_list("person_id", flat=True))
    assert data["totalCount"] == len(cared) > 0
    assert all(any(t.startswith("care/") for t in p["tags"]) for p in data["nodes"])
    assert all(not t.startswith("key/") for p in data["nodes"] for t in p["tags"])
    # of the places, only the homes of the persons in need (place:home_of/care/*)
    homes = set(await models.Person.filter(id__in=cared, residence_id__not_isnull=True).values_list(
        "residence_id", flat=True))
    places = await civil.query("{ places(first: 1) { totalCount } }")
    assert places["places"]["totalCount"] == len(await models.Place.filter(id__in=homes, deleted_at=None)) > 0


# -- scoped writes --------------------------------------------------------------------

def new_id_number(seq: int) -> str:
    body = f"34182319910101{seq:03d}"
    return body + id_number_check_digit(body)


CREATE = "mutation($input: PersonCreateInput!) { createPerson(input: $input) { id version } }"


async def test_writes_outside_ones_subtree_are_forbidden_and_write_nothing(worker, gql, anchors):
    before = await models.Person.all().count()
    sibling = await region_id(gql, anchors["sibling_grid"])
    response = await worker.post(CREATE, {"input": {"idNumber": new_id_number(801), "name": "越界",
                                                    "regionId": sibling}})
    assert response.codes == ["FORBIDDEN"]
    assert await models.Person.all().count() == before

    own = (await worker.query(CREATE, input={"idNumber": new_id_number(802), "name": "本格",
                                             "regionId": await region_id(gql, anchors["grid"])}))["createPerson"]
    move = await worker.post("mutation($id: ID!, $r: ID!) { updatePerson(id: $id, version: 1, input: {regionId: $r}) { id } }",
                             {"id": own["id"], "r": sibling})
    assert move.codes == ["FORBIDDEN"]
    row = await models.Person.get(name="本格")
    assert row.region_path == anchors["grid"] and row.version == 1


async def test_read_only_tiers_cannot_write(sign_in, anchors):
    town = await sign_in("town")
    person = await person_in(anchors["grid"])
    response = await town.post("mutation($id: ID!) { updatePerson(id: $id, version: 1, input: {name: \"改\"}) { id } }",
                               {"id": global_id("Person", person.id)})
    assert response.codes == ["FORBIDDEN"]
    assert (await models.Person.get(id=person.id)).name == person.name


# -- administration -------------------------------------------------------------------

GRANT = "mutation($u: String!, $r: String!, $g: ID!) { grantRole(username: $u, role: $r, region: $g) { role domain } }"
REVOKE = "mutation($u: String!, $r: String!, $g: ID!) { revokeRole(username: $u, role: $r, region: $g) { role } }"


async def test_a_grant_takes_effect_on_the_next_request_and_is_audited(sign_in, worker, gql, anchors):
    admin = await sign_in("admin")
    sibling_path = anchors["sibling_grid"]
    sibling = await region_id(gql, sibling_path)
    probe = "query($p: String) { persons(filter: {regionPath: $p}) { totalCount } }"
    assert (await worker.query(probe, p=sibling_path))["persons"]["totalCount"] == 0
    version = (await models.PolicyState.get(id=1)).version

    granted = await admin.query(GRANT, u="worker", r="grid_worker", g=sibling)
    assert granted["grantRole"] == {"role": "grid_worker", "domain": sibling_path + "*"}
    assert (await worker.query(probe, p=sibling_path))["persons"]["totalCount"] == await models.Person.filter(
        region_path__startswith=sibling_path).count()
    assert (await models.PolicyState.get(id=1)).version == version + 1

    await admin.query(REVOKE, u="worker", r="grid_worker", g=sibling)
    assert (await worker.query(probe, p=sibling_path))["persons"]["totalCount"] == 0
    trail = await (await sign_in("auditor")).query(
        '{ auditTrail(first: 10, filter: {actor: "admin", objectKind: "policy"}) { nodes { action objectId regionPath } } }')
    actions = [(n["action"], n["objectId"]) for n in trail["auditTrail"]["nodes"]]
    assert ("revoke", f"g, worker, grid_worker, {sibling_path}*") in actions
    assert ("grant", f"g, worker, grid_worker, {sibling_path}*") in actions


@pytest.mark.parametrize("who, role, where, code", [
    ("townadmin", "grid_worker", "county", "FORBIDDEN"),      # above its node
    ("townadmin", "grid_worker", "town2", "FORBIDDEN"),       # the other town
    ("worker", "grid_worker", "grid", "FORBIDDEN"),           # not an admin at all
    ("admin", "no_such role", "grid", "BAD_USER_INPUT"),
])
async def test_delegation_limits(sign_in, gql, anchors, who, role, where, code):
    client = await sign_in(who)
    response = await client.post(GRANT, {"u": "worker", "r": role, "g": await region_id(gql, anchors[where])})
    assert response.codes == [code], response.errors


async def test_townadmin_grants_inside_its_town(sign_in, gql, anchors):
    townadmin = await sign_in("townadmin")
    grid = await region_id(gql, anchors["sibling_grid"])
    assert (await townadmin.query(GRANT, u="leader", r="grid_leader", g=grid))["grantRole"]["role"] == "grid_leader"
    await townadmin.query(REVOKE, u="leader", r="grid_leader", g=grid)


async def test_policy_rules_explain_and_edit(sign_in, gql, anchors):
    admin = await sign_in("admin")
    rules = (await admin.query('{ policyRules(role: "dept.civil_affairs") { object action effect } }'))["policyRules"]
    assert {"object": "person:care/*", "action": "read", "effect": "allow"} in rules
    assert (await (await sign_in("worker")).post("{ policyRules { role } }")).codes == ["FORBIDDEN"]

    grid = await region_id(gql, anchors["grid"])
    explain = """query($g: ID!) { explainAccess(username: "worker", action: "export", object: "person", region: $g) {
                  allowed rule } }"""
    assert (await admin.query(explain, g=grid))["explainAccess"] == {"allowed": False, "rule": None}
    rule = {"role": "grid_worker", "domain": "*", "object": "person", "action": "export", "effect": "allow"}
    await admin.query("mutation($r: PolicyRuleInput!) { addPolicyRule(rule: $r) { role } }", r=rule)
    assert (await admin.query(explain, g=grid))["explainAccess"] == {
        "allowed": True, "rule": ["grid_worker", "*", "person", "export", "allow"]}
    townadmin = await sign_in("townadmin")
    refused = await townadmin.post("mutation($r: PolicyRuleInput!) { removePolicyRule(rule: $r) { role } }", {"r": rule})
    assert refused.codes == ["FORBIDDEN"]  # a town admin cannot change a county-wide rule
    await admin.query("mutation($r: PolicyRuleInput!) { removePolicyRule(rule: $r) { role } }", r=rule)
    assert (await admin.query(explain, g=grid))["explainAccess"]["allowed"] is False


async def test_role_grants_are_scoped_to_the_admins_subtree(sign_in, anchors):
    everything = (await (await sign_in("admin")).query("{ roleGrants { username role domain } }"))["roleGrants"]
    town_only = (await (await sign_in("townadmin")).query("{ roleGrants { username role domain } }"))["roleGrants"]
    assert {"username": "police", "role": "dept.public_security", "domain": anchors["county"] + "*"} in everything
    assert town_only and all(g["domain"].startswith(anchors["town"]) for g in town_only)
    assert {g["username"] for g in town_only} >= {"town", "worker", "leader", "community", "townadmin"}


async def test_service_tokens(sign_in, anonymous):
    admin = await sign_in("admin")
    created = (await admin.query('mutation { createServiceToken(username: "police", name: "公安数据同步") '
                                 '{ token serviceToken { id prefix revokedAt } } }'))["createServiceToken"]
    token = created["token"]
    assert token.startswith("ghs_") and created["serviceToken"]["prefix"] == token[:12]
    assert await models.ServiceToken.filter(token_hash=token).count() == 0  # only a hash is kept
    system = anonymous.as_token(token)
    assert (await system.query("{ me { username } }"))["me"]["username"] == "police"
    listed = (await admin.query('{ serviceTokens(username: "police") { id name lastUsedAt } }'))["serviceTokens"]
    assert any(t["id"] == created["serviceToken"]["id"] and t["lastUsedAt"] for t in listed)
    assert (await (await sign_in("townadmin")).post('{ serviceTokens(username: "police") { id } }')).codes == ["FORBIDDEN"]
    await admin.query("mutation($id: Int!) { revokeServiceToken(id: $id) { revokedAt } }", id=created["serviceToken"]["id"])
    assert (await system.post("{ me { username } }")).codes == ["UNAUTHENTICATED"]


async def test_audit_trail_is_for_auditors(sign_in):
    worker_view = await (await sign_in("worker")).query("{ auditTrail(first: 5) { totalCount } }")
    assert worker_view["auditTrail"]["totalCount"] == 0
    auditor_view = await (await sign_in("auditor")).query("{ auditTrail(first: 5) { totalCount nodes { actor } } }")
    assert auditor_view["auditTrail"]["totalCount"] > 0


# -- escalation attempts --------------------------------------------------------------

RULE = "mutation($r: PolicyRuleInput!) { addPolicyRule(rule: $r) { role } }"
UNRULE = "mutation($r: PolicyRuleInput!) { removePolicyRule(rule: $r) { role } }"


@pytest.mark.parametrize("rule, code", [
    # a town admin giving its own role a field it does not hold
    ({"role": "policy_admin", "domain": "{town}*", "object": "person.id_number", "action": "read"}, "FORBIDDEN"),
    # … or shaping a role it may not grant
    ({"role": "dept.public_security", "domain": "{town}*", "object": "region", "action": "read"}, "FORBIDDEN"),
    # a wildcard object would mean different things to the enforcer and the compiler
    ({"role": "grid_worker", "domain": "{town}*", "object": "*", "action": "read"}, "BAD_USER_INPUT"),
])
async def test_a_town_admin_cannot_widen_its_own_powers(sign_in, anchors, rule, code):
    townadmin = await sign_in("townadmin")
    rule = {**rule, "domain": rule["domain"].format(town=anchors["town"])}
    response = await townadmin.post(RULE, {"r": rule})
    assert response.codes == [code], response.errors


@pytest.mark.parametrize("role", ["dept.public_security", "county_centre", "chief_policy_admin"])
async def test_a_town_admin_grants_no_county_or_department_roles(sign_in, gql, anchors, role):
    townadmin = await sign_in("townadmin")
    response = await townadmin.post(GRANT, {"u": "worker", "r": role, "g": await region_id(gql, anchors["town"])})
    assert response.codes == ["FORBIDDEN"]


async def test_an_edit_keeps_the_key_tags_the_editor_cannot_see(sign_in, anchors):
    admin, community = await sign_in("admin"), await sign_in("community")
    rule = {"role": "community_centre", "domain": "*", "object": "person", "action": "update", "effect": "allow"}
    key_person = await models.Person.filter(
        id__in=await models.PersonTag.filter(tag__startswith="key/", region_path__startswith=anchors["community"])
        .values_list("person_id", flat=True)).first()
    key_tags = set(await models.PersonTag.filter(person_id=key_person.id, tag__startswith="key/")
                   .values_list("tag", flat=True))
    await admin.query(RULE, r=rule)
    try:
        update = """mutation($id: ID!, $v: Int!, $t: [String!]) { updatePerson(id: $id, version: $v, input: {tags: $t}) {
                    tags } }"""
        person_id = global_id("Person", key_person.id)
        refused = await community.post(update, {"id": person_id, "v": key_person.version, "t": ["key/drug"]})
        assert refused.codes == ["FORBIDDEN"]
        done = await community.query(update, id=person_id, v=key_person.version, t=["role/volunteer"])
        assert done["updatePerson"]["tags"] == ["role/volunteer"]  # what the editor may see
        stored = set(await models.PersonTag.filter(person_id=key_person.id).values_list("tag", flat=True))
        assert stored == key_tags | {"role/volunteer"}
    finally:
        await admin.query(UNRULE, r=rule)


async def test_an_admin_grants_a_role_only_if_it_may_hand_out_every_right_of_it(sign_in, gql, anchors):
    """The chief admin lets the town admin grant public security's role in its town, but not
    hand out identity numbers there: the grant is refused, naming the right it may not give."""
    admin, townadmin = await sign_in("admin"), await sign_in("townadmin")
    town = anchors["town"]
    rules = [{"role": "policy_admin", "domain": town + "*", "object": "role:dept.public_security",
              "action": "grant", "effect": "allow"},
             {"role": "policy_admin", "domain": town + "*", "object": "person.id_number",
              "action": "delegate", "effect": "deny"}]
    for rule in rules:
        await admin.query(RULE, r=rule)
    try:
        response = await townadmin.post(GRANT, {"u": "leader", "r": "dept.public_security",
                                                "g": await region_id(gql, town)})
        assert response.codes == ["FORBIDDEN"]
        assert response.errors[0]["extensions"]["reasons"] == [
            f"townadmin may not hand out at {town}: person.id_number read"]
    finally:
        for rule in rules:
            await admin.query(UNRULE, r=rule)
    assert await models.CasbinRule.filter(v0="policy_admin", v1=town + "*").count() == 0


@pytest.mark.parametrize("who", ["townadmin", "admin"])
async def test_no_admin_gives_an_admin_role_the_data(sign_in, anchors, who):
    """Separation of duties binds the chief admin too: policy admins read no person by being admins."""
    rule = {"role": "policy_admin", "domain": anchors["town"] + "*", "object": "person", "action": "read",
            "effect": "allow"}
    response = await (await sign_in(who)).post(RULE, {"r": rule})
    assert response.codes == ["FORBIDDEN"]
    assert any("separation of duties" in r for r in response.errors[0]["extensions"]["reasons"])
    assert (await (await sign_in("townadmin")).query("{ persons { totalCount } }"))["persons"]["totalCount"] == 0


async def test_migration_0011_brings_the_delegation_lines_to_an_older_database(app, sign_in, gql, anchors):
    """A database from before 0011 has no `delegate` lines, so no grant passes the new bound;
    the migration adds them, once, and the town admin grants again."""
    import importlib
    from types import SimpleNamespace

    from tortoise import connections
    from tortoise.expressions import F

    migration = importlib.import_module("gridhub.models.migrations.0011_privacy_bounds")
    townadmin = await sign_in("townadmin")
    sibling = await region_id(gql, anchors["sibling_grid"])
    lines = [(r, o, a) for r, o, a, _ in migration.LINES]
    try:
        for role, obj, action in lines:
            await models.CasbinRule.filter(ptype="p", v0=role, v1="*", v2=obj, v3=action).delete()
        await models.PolicyState.filter(id=1).update(version=F("version") + 1)
        await app.state.store.refresh()
        refused = await townadmin.post(GRANT, {"u": "leader", "r": "grid_leader", "g": sibling})
        assert refused.codes == ["FORBIDDEN"] and "may not hand out" in refused.errors[0]["message"]
    finally:
        editor = SimpleNamespace(client=connections.get("default"))
        for _ in range(2):  # twice: the second run finds everything there
            await migration.forward(None, editor)
        await app.state.store.refresh()
    for role, obj, action in lines:
        assert await models.CasbinRule.filter(ptype="p", v0=role, v1="*", v2=obj, v3=action).count() == 1
    assert (await townadmin.query(GRANT, u="leader", r="grid_leader", g=sibling))["grantRole"]["role"] == "grid_leader"
    await townadmin.query(REVOKE, u="leader", r="grid_leader", g=sibling)
