"""Security (issue 7.5): tokens that must be refused, throttled sign-in, secrets no query
reaches, and an audit trail no mutation can change."""

from __future__ import annotations

import base64
import re
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType, GraphQLEnumType

from gridhub import models
from gridhub.resolvers.identity import auth
from gridhub.schema import schema

from .client import GraphQLClient

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"


def forged(secret: str, algorithm: str = "HS256", **claims) -> str:
    payload = {"sub": "county", "exp": datetime.now(timezone.utc) + timedelta(minutes=5), **claims}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm=algorithm)


def unsigned(claims: dict) -> str:
    """alg=none by hand, the way an attacker writes it (with and without the trailing dot)."""
    def part(value: dict) -> str:
        import json

        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# -- tokens ------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [
    lambda s: "Bearer " + forged(s, exp=None),                                   # no expiry
    lambda s: "Bearer " + forged(s, sub=None),                                   # no subject
    lambda s: "Bearer " + forged(s, exp=datetime.now(timezone.utc) - timedelta(hours=1)),  # expired
    lambda s: "Bearer " + forged(s, algorithm="HS512"),                          # right key, other algorithm
    lambda s: "Bearer " + forged(s).rsplit(".", 1)[0] + ".",                     # signature stripped
    lambda s: "Bearer " + unsigned({"sub": "county", "exp": 9999999999}),        # alg none, by hand
    lambda s: "Bearer " + unsigned({"sub": "county", "exp": 9999999999})[:-1],
    lambda s: "Bearer " + forged("guessable"),                                   # a guessed key
    lambda s: "Bearer ",                                                         # no token
    lambda s: "Basic Y291bnR5OmRlbW8=",                                          # another scheme
    lambda s: "Bearer " + "A" * 10000,                                           # junk
], ids=["no-exp", "no-sub", "expired", "hs512", "stripped", "none", "none-no-dot", "guessed-key", "empty",
        "basic", "junk"])
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_tokens_that_are_refused(anonymous, settings, authorization):
    response = await anonymous.post("{ me { username } }", Authorization=authorization(settings.jwt_secret))
    assert response.codes == ["UNAUTHENTICATED"] and response.data is None


async def test_a_disabled_user_is_refused_with_a_valid_token_and_at_login(anonymous, settings):
    user = await models.User.create(username="leaver", display_name="调离人员",
                                    password_hash=auth.hash_password("pw-of-leaver"))
    token = forged(settings.jwt_secret, sub="leaver")
    assert (await anonymous.as_token(token).post("{ me { username } }")).ok()["me"]["username"] == "leaver"
    await models.User.filter(id=user.id).update(is_active=False)
    assert (await anonymous.as_token(token).post("{ me { username } }")).codes == ["UNAUTHENTICATED"]
    assert (await anonymous.post(LOGIN, {"u": "leaver", "p": "pw-of-leaver"})).codes == ["UNAUTHENTICATED"]


async def test_a_verified_token_is_trusted_until_its_principals_change(anonymous, settings, sign_in, count_sql):
    """The second request with a token neither verifies it nor loads its user again (one read
    of the principal version instead); a change to users or tokens made anywhere, here
    straight in the database, bumps that version, and the next request looks again."""
    worker = await sign_in("worker")
    await worker.query("{ __typename }")
    with count_sql() as counter:
        await worker.query("{ __typename }")
    assert [s for s in counter.statements if "principal_version" in s], counter.statements
    assert not [s for s in counter.statements if "app_user" in s], counter.statements
    user = await models.User.create(username="mover", display_name="调动人员",
                                    password_hash=auth.hash_password("pw-of-mover"))
    token = forged(settings.jwt_secret, sub="mover")
    assert (await anonymous.as_token(token).post("{ me { username } }")).ok()["me"]["username"] == "mover"
    await models.User.filter(id=user.id).update(deleted_at=datetime.now(timezone.utc))
    assert (await anonymous.as_token(token).post("{ me { username } }")).codes == ["UNAUTHENTICATED"]


async def test_a_revoked_service_token_is_refused_on_the_next_request(sign_in, anonymous):
    admin = await sign_in("admin")
    made = (await admin.query('mutation { createServiceToken(username: "civil", name: "撤销测试") '
                              '{ token serviceToken { id } } }'))["createServiceToken"]
    client = anonymous.as_token(made["token"])
    for _ in range(2):  # verified, then trusted
        assert (await client.post("{ me { username } }")).ok()["me"]["username"] == "civil"
    await models.ServiceToken.filter(id=made["serviceToken"]["id"]).update(revoked_at=datetime.now(timezone.utc))
    assert (await client.post("{ me { username } }")).codes == ["UNAUTHENTICATED"]


# -- throttled sign-in -----------------------------------------------------------------------------

@pytest.fixture
def password_checks(monkeypatch) -> list:
    """Each username whose password was checked."""
    checked, real = [], auth.verify_password

    def counting(password, stored):
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", counting)
    return checked


async def test_repeated_failures_throttle_a_username_without_checking_the_password(app_with, password_checks):
    client = GraphQLClient(await app_with(login_failures_per_user=3, login_failures_per_ip=100))
    for _ in range(3):
        assert (await client.post(LOGIN, {"u": "worker", "p": "guess"})).codes == ["UNAUTHENTICATED"]
    checks = len(password_checks)
    refused = await client.post(LOGIN, {"u": "worker", "p": "demo"})  # the right one, too late
    assert refused.codes == ["RATE_LIMITED"] and refused.data is None
    assert refused.errors[0]["extensions"]["retryAfter"] >= 1
    assert len(password_checks) == checks  # refused before any check: a guess is never confirmed
    # other usernames are not affected
    (await client.post(LOGIN, {"u": "county", "p": "demo"})).ok()


async def test_a_success_forgets_the_failures(app_with):
    client = GraphQLClient(await app_with(login_failures_per_user=3, login_failures_per_ip=100))
    for _ in range(3):
        for _ in range(2):
            assert (await client.post(LOGIN, {"u": "leader", "p": "guess"})).codes == ["UNAUTHENTICATED"]
        (await client.post(LOGIN, {"u": "leader", "p": "demo"})).ok()


async def test_failures_from_one_address_throttle_it_for_every_username(app_with):
    client = GraphQLClient(await app_with(login_failures_per_user=100, login_failures_per_ip=4))
    for name in ("nobody1", "nobody2", "worker", "town"):
        assert (await client.post(LOGIN, {"u": name, "p": "guess"})).codes == ["UNAUTHENTICATED"]
    assert (await client.post(LOGIN, {"u": "county", "p": "demo"})).codes == ["RATE_LIMITED"]


# -- X-Forwarded-For: believed from trusted proxies only ---------------------------------------------

def peer(http, address: str) -> GraphQLClient:
    """A client of the same app whose TCP peer is `address`."""
    import httpx

    return GraphQLClient(httpx.AsyncClient(transport=httpx.ASGITransport(app=http._transport.app,
                                                                         client=(address, 40000)),
                                           base_url="http://testserver"))


async def failures_until_throttled(client: GraphQLClient, forwarded_for) -> int:
    """Failed sign-ins (each under a new username, so only the address counts) until
    RATE_LIMITED; `forwarded_for(i)` is the header sent with the i-th."""
    for i in range(10):
        answer = await client.post(LOGIN, {"u": f"nobody{i}", "p": "guess"}, **{"X-Forwarded-For": forwarded_for(i)})
        if answer.codes == ["RATE_LIMITED"]:
            return i
        assert answer.codes == ["UNAUTHENTICATED"], answer.json
    return 10


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(app_with):
    http = await app_with(login_failures_per_ip=3, login_failures_per_user=100, trusted_proxies="10.1.0.0/16")
    caller = peer(http, "10.9.9.9")
    try:  # a new claimed address per guess: still one address, throttled after 3
        assert await failures_until_throttled(caller, lambda i: f"203.0.113.{i}") == 3
    finally:
        await caller.http.aclose()


async def test_forwarded_for_is_believed_from_a_trusted_proxy(app_with):
    http = await app_with(login_failures_per_ip=3, login_failures_per_user=100,
                          trusted_proxies="10.1.0.0/16, 192.0.2.1")
    proxy = peer(http, "10.1.0.5")
    try:  # each client behind the proxy counted on its own: never throttled
        assert await failures_until_throttled(proxy, lambda i: f"203.0.113.{i}") == 10
        # the last untrusted hop counts (what the trusted proxy saw), not what the caller wrote before it
        assert await failures_until_throttled(proxy, lambda i: f"198.51.100.{i}, 203.0.113.50, 192.0.2.1") == 3
    finally:
        await proxy.http.aclose()


async def test_no_proxy_is_trusted_by_default(app_with):
    http = await app_with(login_failures_per_ip=3, login_failures_per_user=100)
    loopback = peer(http, "127.0.0.1")
    try:
        assert await failures_until_throttled(loopback, lambda i: f"203.0.113.{i}") == 3
    finally:
        await loopback.http.aclose()


def test_gridhub_serve_ignores_forwarded_for_from_loopback(tmp_path):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told not to: `gridhub serve`
    must leave it to the app's setting (none trusted)."""
    import httpx

    from .servers import Server, base_env, gridhub

    env = {**base_env(f"sqlite://{tmp_path}/hub.sqlite3"), "LOGIN_FAILURES_PER_IP": "3",
           "FORWARDED_ALLOW_IPS": "*"}  # uvicorn's own knob: must not re-enable it
    gridhub("migrate", env=env)
    server = Server("proxy", env, tmp_path)
    try:
        server.wait_healthy()
        codes = []
        for i in range(4):
            answer = httpx.post(f"{server.base}/graphql", json={"query": LOGIN, "variables": {"u": f"n{i}", "p": "x"}},
                                headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=10).json()
            codes.append(answer["errors"][0]["extensions"]["code"])
        assert codes == ["UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"], codes
    finally:
        server.stop()


# -- secrets no query reaches --------------------------------------------------------------------

SECRET_NAMES = re.compile(r"password|hash|secret|salt|digest", re.I)


async def test_no_field_of_the_schema_exposes_a_hash_or_password(anonymous):
    types = (await anonymous.query("{ __schema { types { name kind fields { name } } } }"))["__schema"]["types"]
    exposed = [f"{t['name']}.{f['name']}" for t in types if not t["name"].startswith("__")
               for f in t["fields"] or () if SECRET_NAMES.search(f["name"])]
    assert exposed == []


async def test_what_users_and_tokens_answer_holds_no_hash(sign_in):
    admin = await sign_in("admin")
    made = (await admin.query('mutation { createServiceToken(username: "civil", name: "民政同步") '
                              '{ token serviceToken { id name prefix createdBy createdAt lastUsedAt revokedAt } } }'))
    answers = [made, await admin.query('{ serviceTokens(username: "civil") '
                                       '{ id name prefix createdBy createdAt lastUsedAt revokedAt } }'),
               await admin.query("{ me { username displayName department { code name } "
                                 "roles { role domain username } } }"),
               await admin.query('{ auditTrail(first: 500) { nodes { actor action objectKind objectId '
                                 'field regionPath detail } } }')]
    if "users" in schema._schema.query_type.fields:  # the policy console's list of accounts
        answers.append(await admin.query("{ users { username displayName isActive roles { role domain } } }"))
    text = repr(answers)
    secrets = [h for h in await models.User.all().values_list("password_hash", flat=True) if h]
    secrets += await models.ServiceToken.all().values_list("token_hash", flat=True)
    assert secrets and not [s for s in secrets if s in text]
    assert "scrypt$" not in text
    # the token itself is shown once, at creation, and only its prefix afterwards
    token = made["createServiceToken"]["token"]
    assert token not in repr(answers[1:])
    await admin.query("mutation($id: Int!) { revokeServiceToken(id: $id) { id } }",
                      id=made["createServiceToken"]["serviceToken"]["id"])


# -- the audit trail, append-only through the API ---------------------------------------------------

def required_value(graphql_type, audit_id: str):
    """The least value of a required argument: an audit entry's id for every ID."""
    if isinstance(graphql_type, GraphQLNonNull):
        return required_value(graphql_type.of_type, audit_id)
    if isinstance(graphql_type, GraphQLList):
        return [required_value(graphql_type.of_type, audit_id)]
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {name: required_value(f.type, audit_id) for name, f in graphql_type.fields.items()
                if isinstance(f.type, GraphQLNonNull) and f.default_value is None}
    assert isinstance(graphql_type, GraphQLScalarType)
    return {"ID": audit_id, "Int": 1, "Float": 1.0, "Boolean": False, "String": "x", "Date": "2026-01-01",
            "DateTime": "2026-01-01T00:00:00Z", "JSON": {}}[graphql_type.name]


async def audit_rows() -> list[tuple]:
    return [tuple(r.values()) for r in await models.AuditEntry.all().order_by("id").values()]


async def test_no_mutation_changes_or_deletes_an_audit_entry(sign_in):
    mutation_names = list(schema._schema.mutation_type.fields)
    assert not [n for n in mutation_names if "audit" in n.lower()]
    admin = await sign_in("admin")
    await admin.query('mutation { createServiceToken(username: "police", name: "审计测试") { token } }')
    before = await audit_rows()
    assert before
    audit_id = base64.b64encode(f"AuditEntry:{before[0][0]}".encode()).decode()
    tried = 0
    for name, field in schema._schema.mutation_type.fields.items():
        if name == "login" or not any(isinstance(a.type, GraphQLNonNull) and
                                      "ID" in str(a.type) for a in field.args.values()):
            continue
        arguments = {a: required_value(arg.type, audit_id) for a, arg in field.args.items()
                     if isinstance(arg.type, GraphQLNonNull)}
        declared = ", ".join(f"${a}: {field.args[a].type}" for a in arguments)
        passed = ", ".join(f"{a}: ${a}" for a in arguments)
        response = await admin.post(f"mutation({declared}) {{ {name}({passed}) {{ __typename }} }}", arguments)
        assert response.errors and response.data in (None, {name: None}), (name, response.json)
        assert set(response.codes) <= {"BAD_USER_INPUT", "NOT_FOUND", "FORBIDDEN"}, (name, response.json)
        tried += 1
    assert tried >= 20
    after = await audit_rows()
    assert after[:len(before)] == before  # nothing changed or went; entries may only be added


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET actor = 'nobody' WHERE id = (SELECT MIN(id) FROM audit_entry)",
    "DELETE FROM audit_entry WHERE id = (SELECT MIN(id) FROM audit_entry)",
])
async def test_the_database_refuses_to_change_or_delete_an_audit_entry(sign_in, statement):
    """Not only the API: the table itself is append-only (migration 0009), whoever writes SQL."""
    from tortoise import connections

    await (await sign_in("admin")).query('mutation { createServiceToken(username: "police", name: "审计库") { token } }')
    before = await audit_rows()
    with pytest.raises(Exception, match="append-only"):  # asyncpg's RaiseError, SQLite's via Tortoise
        await connections.get("default").execute_query(statement)
    assert (await audit_rows())[:len(before)] == before


def test_the_verified_tokens_are_bounded_and_dropped_when_their_principals_change():
    tokens = auth.VerifiedTokens(max_entries=2)
    later = time.time() + 3600
    for n in range(3):
        tokens.put(("secret", f"t{n}"), auth.Verified(user=None, version=7, expires=later))
    assert tokens.get(("secret", "t0"), 7) is None  # the least recently used went past the bound
    assert tokens.get(("secret", "t1"), 7) is not None and tokens.get(("secret", "t2"), 7) is not None
    assert tokens.get(("secret", "t1"), 8) is None  # a user disabled or a token revoked since
    assert tokens.get(("secret", "t1"), 7) is None  # and it is gone, not kept for the old version
