"""Browsers on other origins (CORS, for the origins an operator lists) and compressed answers
(gzip from a size on, streamed exports included), over HTTP against the app."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from gridhub.settings import Settings

ORIGIN = "https://screen.example.org"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}
QUERY = {"query": "{ __typename }"}


# -- CORS -------------------------------------------------------------------------------------

async def test_no_origin_is_allowed_by_default(http):
    assert Settings().cors_allowed_origins == []
    preflight = await http.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 400  # the browser refuses the call
    assert "access-control-allow-origin" not in preflight.headers
    answer = await http.post("/graphql", json=QUERY, headers={"Origin": ORIGIN})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


async def test_a_listed_origin_may_call_with_its_token(app_with, sign_in):
    http = await app_with(cors_allowed_origins=[ORIGIN, "https://other.example.org"])
    preflight = await http.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert "access-control-allow-credentials" not in preflight.headers  # not configured
    assert preflight.headers["x-request-id"]

    token = (await sign_in("worker")).token
    answer = await http.post("/graphql", json={"query": "{ me { username } }"},
                             headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"})
    assert answer.json() == {"data": {"me": {"username": "worker"}}}
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed

    elsewhere = await http.options("/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example.net"})
    assert elsewhere.status_code == 400 and "access-control-allow-origin" not in elsewhere.headers
    answer = await http.post("/graphql", json=QUERY, headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in answer.headers


async def test_credentials_where_configured(app_with):
    http = await app_with(cors_allowed_origins=[ORIGIN], cors_allow_credentials=True)
    preflight = await http.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-allow-origin"] == ORIGIN  # never `*` with credentials
    answer = await http.post("/graphql", json=QUERY, headers={"Origin": ORIGIN, "Cookie": "a=b"})
    assert answer.headers["access-control-allow-credentials"] == "true"


def test_origins_are_listed_comma_separated(monkeypatch):
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", " https://a.example.org, https://b.example.org/ ")
    assert Settings().cors_allowed_origins == ["https://a.example.org", "https://b.example.org"]
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "")
    assert Settings().cors_allowed_origins == []


# -- compression ----------------------------------------------------------------------------

PERSONS = {"query": "{ persons(first: 200) { nodes { id name idNumber tags } } }"}


async def test_large_answers_are_gzipped_when_asked(http, sign_in):
    headers = {"Authorization": f"Bearer {(await sign_in('county')).token}"}
    plain = await http.post("/graphql", json=PERSONS, headers={**headers, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) > Settings().gzip_minimum_bytes
    packed = await http.post("/graphql", json=PERSONS, headers={**headers, "Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and "accept-encoding" in packed.headers["vary"].lower()
    assert packed.json() == plain.json()
    assert packed.num_bytes_downloaded < len(plain.content) / 3, (packed.num_bytes_downloaded, len(plain.content))


async def test_small_answers_are_not(http):
    small = await http.post("/graphql", json=QUERY, headers={"Accept-Encoding": "gzip"})
    assert small.json() == {"data": {"__typename": "Query"}} and "content-encoding" not in small.headers


async def test_the_threshold_is_a_setting(app_with):
    http = await app_with(gzip_minimum_bytes=10)
    small = await http.post("/graphql", json=QUERY, headers={"Accept-Encoding": "gzip"})
    assert small.headers["content-encoding"] == "gzip"


async def exported(app, token: str, accept_encoding: str) -> tuple[dict, list[bytes]]:
    """GET /export/person straight through the ASGI app: the response headers and each body
    message as sent (httpx's in-process transport would join them)."""
    start, bodies = {}, []
    requested = False

    async def receive():
        nonlocal requested
        if requested:  # the client stays connected: starlette listens for a disconnect meanwhile
            await asyncio.Event().wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            start.update({k.decode().lower(): v.decode() for k, v in message["headers"]})
            start["status"] = message["status"]
        elif message["type"] == "http.response.body":
            bodies.append(message.get("body", b""))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/export/person", "raw_path": b"/export/person", "query_string": b"", "root_path": "",
             "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
             "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode()),
                         (b"accept-encoding", accept_encoding.encode())]}
    await app(scope, receive, send)
    return start, bodies


async def test_exports_stream_gzipped_when_asked(app_with, sign_in):
    http = await app_with(export_batch_size=50)
    app = http._transport.app
    token = (await sign_in("county")).token
    headers, plain = await exported(app, token, "identity")
    assert headers["status"] == 200 and "content-encoding" not in headers
    headers, packed = await exported(app, token, "gzip")
    assert headers["status"] == 200 and headers["content-encoding"] == "gzip"
    assert len([chunk for chunk in packed if chunk]) > 3  # still a stream, batch by batch
    # each message is a complete gzip block (sync-flushed): a client decodes as it arrives
    lines = gzip.decompress(b"".join(packed)).decode().splitlines()
    assert [json.loads(line).get("row", {}).get("id") for line in lines] == \
        [json.loads(line).get("row", {}).get("id") for line in b"".join(plain).decode().splitlines()]
    assert len(b"".join(packed)) < len(b"".join(plain)) / 3


@pytest.mark.parametrize("path", ["/static/graphiql/graphiql@3.8.3/graphiql.min.js", "/admin/app.js"])
async def test_static_files_are_gzipped_too(http, path):
    packed = await http.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200 and packed.headers["content-encoding"] == "gzip"
