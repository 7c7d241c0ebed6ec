"""Trusted documents (issue 20, point 5) over HTTP: a manifest in either format, the admins'
mutation, the Automatic Persisted Queries protocol (hash only, hash with text, over GET and
POST), trusted-only mode refusing any other document, and registered documents parsed,
validated and planned once. Apollo Client's own persisted-queries link runs against a
served hub in tests/test_clients.py."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from gridhub.resolvers.identity.trusted_documents import ManifestError, read_manifest
from gridhub.schema import caches, compiled

from .client import GraphQLClient, GraphQLResponse

PERSONS = "query TrustedPersons { persons(first: 2) { edges { node { name } } } }"
TYPENAME = "{ __typename }"
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
REGISTER = ("mutation($body: String!, $name: String!) { registerTrustedDocument(body: $body, name: $name) "
            "{ sha256 name registeredBy created } }")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


async def post(http, body: dict, token: str | None = None) -> GraphQLResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return GraphQLResponse(await http.post("/graphql", json=body, headers=headers))


async def get(http, params: dict, token: str | None = None) -> GraphQLResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return GraphQLResponse(await http.get("/graphql", params=encoded, headers=headers))


def unique(text: str) -> str:
    """A document no other test has registered or sent (the registry is the database's)."""
    return f"{text} # {uuid.uuid4().hex}"


@pytest.fixture
def manifests(tmp_path):
    """`manifests(apollo=[...], codegen=[...])`: manifest files of these documents."""

    def write(kind: str, texts: list[str]) -> str:
        path = tmp_path / f"{kind}.json"
        if kind == "apollo":
            data = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
                {"id": sha(t), "name": f"op{i}", "type": "query", "body": t} for i, t in enumerate(texts)]}
        else:
            data = {sha(t): t for t in texts}
        path.write_text(json.dumps(data), encoding="utf-8")
        return str(path)

    return write


# -- the Automatic Persisted Queries protocol, any document allowed (demo mode) -----------

async def test_apq_hash_alone_is_not_found_then_hash_with_text_is_remembered(http, worker):
    text = unique(PERSONS)
    first = await post(http, {"extensions": persisted(text)}, worker.token)
    assert first.status_code == 200
    assert first.errors[0]["message"] == "PersistedQueryNotFound"  # what Apollo's link looks for
    assert first.codes == ["PERSISTED_QUERY_NOT_FOUND"]
    with_text = await post(http, {"query": text, "extensions": persisted(text)}, worker.token)
    assert len(with_text.ok()["persons"]["edges"]) == 2
    again = await post(http, {"extensions": persisted(text)}, worker.token)
    assert again.ok() == with_text.data


async def test_apq_over_get(http, worker):
    text = unique(PERSONS)
    assert (await get(http, {"extensions": persisted(text)}, worker.token)).codes == ["PERSISTED_QUERY_NOT_FOUND"]
    answered = await get(http, {"query": text, "extensions": persisted(text)}, worker.token)
    assert answered.ok()["persons"]
    by_hash = await get(http, {"extensions": persisted(text), "operationName": "TrustedPersons"}, worker.token)
    assert by_hash.ok() == answered.data


async def test_apq_hash_must_be_the_texts(http, worker):
    text = unique(PERSONS)
    wrong = await post(http, {"query": text, "extensions": persisted(text + " ")}, worker.token)
    assert wrong.codes == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert wrong.data is None
    # and nothing was remembered under the wrong hash
    assert (await post(http, {"extensions": persisted(text + " ")}, worker.token)).codes == \
        ["PERSISTED_QUERY_NOT_FOUND"]
    bad = await post(http, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "nope"}}}, worker.token)
    assert bad.codes == ["BAD_REQUEST"]


# -- the admins' mutation ------------------------------------------------------------------

async def test_policy_admin_registers_audited_and_found_by_hash(http, sign_in, worker):
    admin = await sign_in("admin")
    text = unique(PERSONS)
    registered = (await admin.post(REGISTER, {"body": text, "name": "TrustedPersons"})).ok()
    assert registered["registerTrustedDocument"] == {"sha256": sha(text), "name": "TrustedPersons",
                                                     "registeredBy": "admin", "created": True}
    again = (await admin.post(REGISTER, {"body": text, "name": "other"})).ok()["registerTrustedDocument"]
    assert again["created"] is False and again["name"] == "TrustedPersons"
    # by its hash alone, from the first request on, and planned once: the compiled path's template
    assert (await post(http, {"extensions": persisted(text)}, worker.token)).ok()["persons"]
    assert (caches.digest(text), "TrustedPersons") in compiled.TEMPLATES
    trail = (await admin.query('{ auditTrail(first: 5, filter: {action: "register_document"}) '
                               '{ nodes { actor objectKind objectId } } }'))["auditTrail"]["nodes"]
    assert {"actor": "admin", "objectKind": "document", "objectId": sha(text)} in trail
    assert sum(1 for n in trail if n["objectId"] == sha(text)) == 1  # the second registration changed nothing


@pytest.mark.parametrize("who", ["townadmin", "worker", "county"])
async def test_registering_needs_the_grant_at_the_county(http, sign_in, who):
    """A town's policy admin holds policy_admin below the county: a near miss."""
    client = await sign_in(who)
    refused = await client.post(REGISTER, {"body": unique(PERSONS), "name": ""})
    assert refused.codes == ["FORBIDDEN"]


async def test_registering_refuses_what_is_not_valid(sign_in):
    admin = await sign_in("admin")
    assert (await admin.post(REGISTER, {"body": "{ persons(", "name": ""})).codes == ["BAD_USER_INPUT"]
    assert (await admin.post(REGISTER, {"body": "{ noSuchField }", "name": ""})).codes == ["BAD_USER_INPUT"]
    assert (await GraphQLClient(admin.http).post(REGISTER, {"body": TYPENAME, "name": ""})).codes == \
        ["UNAUTHENTICATED"]


# -- trusted-only mode ----------------------------------------------------------------------

async def test_trusted_only_refuses_unregistered_documents(app_with, manifests, worker):
    listed = unique(PERSONS)
    http = await app_with(demo_mode=False, trusted_documents_only=True,
                          trusted_documents_file=manifests("apollo", [listed, TYPENAME]))
    refused = await post(http, {"query": unique(PERSONS)}, worker.token)
    assert refused.codes == ["DOCUMENT_NOT_REGISTERED"] and refused.data is None
    # the text of a listed one, its hash alone, over POST and GET
    assert (await post(http, {"query": listed}, worker.token)).ok()["persons"]
    assert (await post(http, {"extensions": persisted(listed)}, worker.token)).ok()["persons"]
    assert (await get(http, {"extensions": persisted(TYPENAME)}, worker.token)).ok() == {"__typename": "Query"}
    # APQ registers nothing here: a text with its hash is refused, and its hash stays unknown
    other = unique(TYPENAME)
    assert (await post(http, {"query": other, "extensions": persisted(other)}, worker.token)).codes == \
        ["DOCUMENT_NOT_REGISTERED"]
    assert (await post(http, {"extensions": persisted(other)}, worker.token)).codes == \
        ["PERSISTED_QUERY_NOT_FOUND"]
    # anonymous callers too: an unlisted sign-in is refused
    assert (await post(http, {"query": LOGIN, "variables": {"u": "worker", "p": "demo"}})).codes == \
        ["DOCUMENT_NOT_REGISTERED"]


async def test_trusted_only_answers_what_an_admin_registered_since(app_with, sign_in, worker):
    """Registered through another app (another process): found in the table on first use."""
    http = await app_with(demo_mode=False, trusted_documents_only=True)
    text = unique(PERSONS)
    assert (await post(http, {"query": text}, worker.token)).codes == ["DOCUMENT_NOT_REGISTERED"]
    (await (await sign_in("admin")).post(REGISTER, {"body": text, "name": "x"})).ok()
    assert (await post(http, {"query": text}, worker.token)).ok()["persons"]


async def test_demo_mode_answers_any_document_even_with_trusted_only(app_with, worker):
    http = await app_with(demo_mode=True, trusted_documents_only=True)
    assert (await post(http, {"query": unique(TYPENAME)}, worker.token)).ok() == {"__typename": "Query"}


# -- manifests ------------------------------------------------------------------------------

async def test_codegen_manifest_is_parsed_validated_and_planned_at_start(app_with, manifests, worker,
                                                                          monkeypatch):
    text = unique(PERSONS)
    http = await app_with(demo_mode=False, trusted_documents_only=True,
                          trusted_documents_file=manifests("codegen", [text]))
    key = caches.digest(text)
    assert any(k[0] == key for k in caches.DOCUMENTS.pinned)  # before any request
    assert any(k[0] == key and v == [] for k, v in caches.VALIDATIONS.pinned.items())
    assert compiled.TEMPLATES[(key, "TrustedPersons")] is not compiled._UNSUPPORTED
    assert compiled.TEMPLATES[(key, None)] is not compiled._UNSUPPORTED

    # and requests use them: nothing is parsed, validated or planned again
    def never(*args, **kwargs):
        raise AssertionError("done again for a registered document")

    import strawberry.schema.schema

    from gridhub.schema import limits

    for target in (caches, compiled):
        monkeypatch.setattr(target, "parse" if target is caches else "plan_operation", never)
    monkeypatch.setattr(strawberry.schema.schema, "validate_document", never)
    monkeypatch.setattr(limits, "validate_document", never)
    for name in ("TrustedPersons", None):
        answered = await post(http, {"query": text, "operationName": name}, worker.token)
        assert len(answered.ok()["persons"]["edges"]) == 2


def test_manifest_hashes_must_be_the_texts_sha256(manifests, tmp_path):
    good = read_manifest(manifests("codegen", [TYPENAME]))
    assert [(d.sha256, d.body) for d in good] == [(sha(TYPENAME), TYPENAME)]
    prefixed = tmp_path / "prefixed.json"
    prefixed.write_text(json.dumps({f"sha256:{sha(TYPENAME)}": TYPENAME}))
    assert read_manifest(prefixed)[0].sha256 == sha(TYPENAME)
    sha1 = tmp_path / "sha1.json"
    sha1.write_text(json.dumps({hashlib.sha1(TYPENAME.encode()).hexdigest(): TYPENAME}))
    with pytest.raises(ManifestError, match="not a SHA-256"):
        read_manifest(sha1)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({sha(TYPENAME + " "): TYPENAME}))
    with pytest.raises(ManifestError, match="not the SHA-256 of its text"):
        read_manifest(wrong)


def test_a_broken_manifest_stops_the_start(settings, tmp_path):
    from gridhub.app import create_app

    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2]")
    with pytest.raises(SystemExit, match="not a manifest"):
        create_app(settings.model_copy(update={"trusted_documents_file": str(broken)}))
