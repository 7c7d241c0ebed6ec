"""Standard JavaScript clients against a served hub: the `graphql-ws` client and the urql
and Apollo Client examples of docs/frontend.md as written, run by Node from tests/js
(`npm ci` there; .ci/run does it). Signed in as the demo `worker`, each client hears the
changes of its grid and never one of the sibling grid, and runs its queries and mutations.

The hub is a real `gridhub serve` on a scratch demo database (conftest's `served_hub`).
Without node or tests/js/node_modules the tests skip, except
in CI (`CI` set), where they fail: CI must run them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from .servers import ROOT, Server

JS = ROOT / "tests" / "js"
FRONTEND_DOC = ROOT / "docs" / "frontend.md"
DOCS_ORIGIN = "hub.example.org"
GRANT = """mutation($u: String!, $g: ID!) { grantRole(username: $u, role: "grid_worker", region: $g) { role } }"""


def node_command() -> list[str]:
    """node, with the WebSocket of browsers (built in from Node 22, behind a flag in 20–21)."""
    node = shutil.which("node")
    missing = None if node else "no `node` on PATH"
    if node and not (JS / "node_modules").is_dir():
        missing = "tests/js/node_modules is missing: `npm ci --prefix tests/js`"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI runs the JavaScript clients: .ci/run installs them)")
        pytest.skip(missing)
    major = int(subprocess.run([node, "--version"], capture_output=True, text=True).stdout.lstrip("v").split(".")[0])
    return [node, "--experimental-websocket"] if major < 22 else [node]


@pytest.fixture(scope="module")
def hub(served_hub):
    return served_hub


@pytest.fixture(scope="module")
def grids(hub) -> dict:
    """The worker's grid and a sibling grid where `town` may report (granted, as a reporter)."""
    admin, worker, town = hub.login("admin"), hub.login("worker"), hub.login("town")
    own_path = hub.data("{ me { roles { domain } } }", worker)["me"]["roles"][0]["domain"].rstrip("*")
    community = own_path.rstrip("/").rsplit("/", 1)[0] + "/"
    found = hub.data("query($p: String) { regions(first: 50, filter: {tier: [GRID], regionPath: $p}) "
                     "{ nodes { id path } } }", admin, p=community)["regions"]["nodes"]
    own = next(g for g in found if g["path"] == own_path)
    sibling = next(g for g in found if g["path"] != own_path)
    hub.data(GRANT, admin, u="town", g=sibling["id"])
    return {"own": own, "sibling": sibling, "worker": worker, "town": town}


def run_node(hub: Server, grids: dict, script: Path, **env: str) -> dict:
    """Run a check of tests/js against the hub; its last line of output is what it saw."""
    command = node_command()
    done = subprocess.run([*command, str(script)], cwd=JS, capture_output=True, text=True, timeout=120, env={
        **os.environ, "HUB": hub.base, "OWN_GRID": grids["own"]["id"], "SIBLING_GRID": grids["sibling"]["id"],
        "WORKER_TOKEN": grids["worker"], "TOWN_TOKEN": grids["town"], **env})
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout}\n{done.stderr}\n{hub.log_tail()}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_own_grid_only(seen: dict, grids: dict) -> None:
    """Every change heard is of the worker's grid, the last one reported among them, and no
    report of the sibling grid was heard (each was made just before one of the own grid's)."""
    heard = [change["eventId"] for change in seen["heard"]]
    assert seen["last"] in heard, seen
    assert set(heard) <= set(seen["own"]), seen
    assert not set(heard) & set(seen["sibling"]), seen
    assert {change["event"]["region"]["path"] for change in seen["heard"]} == {grids["own"]["path"]}
    assert {change["action"] for change in seen["heard"]} == {"report"}


SOCKET_USER = "ws_client"


@pytest.fixture
def socket_user(hub, grids):
    """A grid worker of the worker's grid of its own (created with the CLI on the hub's
    database), whose grant and account the graphql-ws check takes away."""
    cli = [sys.executable, "-m", "gridhub.cli", "user"]
    subprocess.run([*cli, "add", SOCKET_USER], input="socket-client-pass\n", text=True, cwd=ROOT, env=hub.env,
                   check=True, capture_output=True)
    admin = hub.login("admin")
    hub.data(GRANT, admin, u=SOCKET_USER, g=grids["own"]["id"])
    token = hub.data('mutation($u: String!) { login(username: $u, password: "socket-client-pass") { token } }',
                     u=SOCKET_USER)["login"]["token"]
    # and what the check needs to disable the account with the CLI, on the hub's database
    database = {k: hub.env[k] for k in ("DATABASE_URL", "CACHE_URL", "DEMO_MODE", "JWT_SECRET")}
    yield {"SOCKET_USER": SOCKET_USER, "SOCKET_TOKEN": token, "ADMIN_TOKEN": admin,
           "PYTHON": sys.executable, "CHECKOUT": str(ROOT), **database}


def test_the_graphql_ws_client(hub, grids, socket_user):
    seen = run_node(hub, grids, JS / "graphql-ws.mjs", **socket_user)
    assert seen["errors"] == []
    # its own reports, made with mutations over the socket, heard on it; the sibling grid's never
    assert_own_grid_only(seen, grids)
    assert seen["query"] == {"seen": [{"data": {"me": {"username": "worker"}}}]}
    # the grant revoked over HTTP, then the account disabled: each on the next operation
    assert seen["socket"]["granted"] > 0
    assert seen["socket"]["revoked"] == 0
    assert seen["socket"]["disabled"] == ["UNAUTHENTICATED"]
    assert seen["socket"]["sockets"] == 1  # all three on the one connection
    assert seen["rejection"] == {"error": 4403}


def docs_example(heading: str, hub: Server, exported: str) -> str:
    """The first ```js block under `heading` in docs/frontend.md, pointed at the served hub,
    with `exported` exported for the check that imports it."""
    text = FRONTEND_DOC.read_text(encoding="utf-8")
    block = re.search(rf"^### {re.escape(heading)}\n.*?^```js\n(.*?)^```", text, re.M | re.S)
    assert block, f"no js example under '### {heading}' in docs/frontend.md"
    code = block.group(1)
    assert f"https://{DOCS_ORIGIN}" in code and f"wss://{DOCS_ORIGIN}" in code, "the example's hub moved"
    code = code.replace(f"wss://{DOCS_ORIGIN}", hub.base.replace("http", "ws", 1))
    return code.replace(f"https://{DOCS_ORIGIN}", hub.base) + f"\nexport {{ {exported} }};\n"


def run_docs_example(hub: Server, grids: dict, heading: str, exported: str, check: str) -> dict:
    # beside the checks, so that Node resolves the packages from tests/js/node_modules
    with tempfile.NamedTemporaryFile("w", dir=JS, prefix=".example-", suffix=".mjs", encoding="utf-8") as example:
        example.write(docs_example(heading, hub, exported))
        example.flush()
        return run_node(hub, grids, JS / check, EXAMPLE=Path(example.name).as_uri())


def test_the_urql_example_of_the_docs(hub, grids):
    seen = run_docs_example(hub, grids, "urql (with subscriptions)", "result", "urql.mjs")
    assert seen["errors"] == []
    in_grid = hub.data("{ persons(first: 1) { totalCount } }", grids["worker"])["persons"]["totalCount"]
    assert seen["query"] == {"error": None, "persons": min(in_grid, 50)}  # the example's page, as `worker`
    assert_own_grid_only(seen, grids)  # reports by client.mutation, heard by client.subscription
    assert seen["refusal"] == ["BAD_USER_INPUT"]  # where the docs say urql puts the code


def test_the_apollo_example_of_the_docs(hub, grids):
    seen = run_docs_example(hub, grids, "Apollo Client (Relay pagination in the cache)", "first", "apollo.mjs")
    assert seen["errors"] == []
    assert seen["query"]["persons"] > 0
    assert_own_grid_only(seen, grids)  # reports by client.mutate, heard by client.subscribe
    assert seen["refusal"] == ["BAD_USER_INPUT"]


def test_apollo_persisted_queries_link(hub, grids):
    """Apollo's PersistedQueryLink (hashes over GET) against a hub answering any document:
    an unknown hash is PersistedQueryNotFound (400: the link asks for
    application/graphql-response+json, where a request not executed is a 4xx), the link sends
    the text by POST, and from then on the hash alone is answered."""
    seen = run_node(hub, grids, JS / "apollo-persisted.mjs", MODE="apq", NONCE=uuid.uuid4().hex[:8])
    assert seen["first"]["persons"] == 2
    assert seen["first"]["sent"] == [{"method": "GET", "text": False, "status": 400},
                                     {"method": "POST", "text": True, "status": 200}]
    assert seen["again"] == {"persons": 2, "sent": [{"method": "GET", "text": False, "status": 200}]}


def test_apollo_persisted_queries_on_a_trusted_only_hub(hub, grids, tmp_path):
    """A second hub on the same database with TRUSTED_DOCUMENTS_ONLY and the manifest the
    client's build would write (Apollo's format, the printed document): the listed query is
    answered by its hash in one GET, any other refused as DOCUMENT_NOT_REGISTERED even when
    the link sends its text."""
    manifest = tmp_path / "persisted-query-manifest.json"
    run_node(hub, grids, JS / "apollo-persisted.mjs", MODE="manifest", MANIFEST=str(manifest))
    trusted = Server("trusted", {**hub.env, "DEMO_MODE": "0", "TRUSTED_DOCUMENTS_ONLY": "1",
                                 "TRUSTED_DOCUMENTS_FILE": str(manifest)}, tmp_path)
    try:
        trusted.wait_healthy()
        seen = run_node(trusted, grids, JS / "apollo-persisted.mjs", MODE="trusted", NONCE=uuid.uuid4().hex[:8])
    finally:
        trusted.stop()
    assert seen["listed"] == {"persons": 3, "sent": [{"method": "GET", "text": False, "status": 200}]}
    assert seen["unlisted"]["codes"] == ["DOCUMENT_NOT_REGISTERED"]
    assert [s["text"] for s in seen["unlisted"]["sent"]] == [False, True]  # the hash, then the text: refused
