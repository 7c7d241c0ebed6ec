"""The nginx example of docs/operators.md (section 4a), as written, in front of a served hub:
the real nginx (Debian's, installed by .ci/run) with the guide's server blocks, only its
ports, upstream and certificate paths pointed at this test's (a self-signed certificate
made here). HTTPS /graphql answers, plain HTTP is sent to HTTPS, a subscription runs over
wss through it, and the hub tells clients behind nginx apart by `X-Forwarded-For` because
`TRUSTED_PROXIES` of the guide's systemd unit names nginx — and believes no one else's.

Without nginx the test skips, except in CI (`CI` set), where it fails: CI must run it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import ssl
import subprocess
import time

import httpx
import pytest
from websockets.asyncio.client import connect

from .servers import Server, base_env, free_port, scratch_demo_database
from .test_operators import guide_block, unit_settings

REPORT = "mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }"
CHANGES = "subscription { eventChanged { action eventId event { title } } }"
ANONYMOUS_LIMIT = 3  # anonymous operations a minute per client address, for this hub


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no nginx (CI installs it: .ci/run)")
        pytest.skip("no nginx: apt-get install nginx-light")
    return found


def guide_config() -> str:
    return guide_block("nginx", "upstream gridhub")


def guide_unit_environment() -> dict[str, str]:
    """The `Environment=` of the guide's systemd unit (HOST, PORT, TRUSTED_PROXIES)."""
    service = dict(unit_settings(guide_block("ini", "[Service]"), "Service"))
    return dict(assignment.split("=", 1) for assignment in shlex.split(service["Environment"]))


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the guide's nginx example no longer has {old!r} once"
    return text.replace(old, new)


def local_config(tmp_path, hub_port: int, http_port: int, https_port: int) -> str:
    """The guide's server blocks with this test's ports, upstream and certificate, inside a
    minimal nginx.conf of the test's own (the guide's file goes in /etc/nginx/conf.d/,
    inside Debian's `http` block)."""
    unit = guide_unit_environment()
    snippet = guide_config()
    snippet = replace_once(snippet, f"server {unit['HOST']}:{unit['PORT']};", f"server 127.0.0.1:{hub_port};")
    snippet = replace_once(snippet, "listen 80;", f"listen 127.0.0.1:{http_port};")
    snippet = replace_once(snippet, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    snippet = replace_once(snippet, "/etc/nginx/tls/gridhub.crt", str(tmp_path / "gridhub.crt"))
    snippet = replace_once(snippet, "/etc/nginx/tls/gridhub.key", str(tmp_path / "gridhub.key"))
    (tmp_path / "gridhub.conf").write_text(snippet)
    for directory in ("body", "proxy"):
        (tmp_path / directory).mkdir(exist_ok=True)
    return (f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log info;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n  access_log {tmp_path}/access.log;\n"
            f"  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
            f"  include {tmp_path}/gridhub.conf;\n}}\n")


def self_signed_certificate(tmp_path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=gridhub.example.gov.cn", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tmp_path / "gridhub.key"), "-out", str(tmp_path / "gridhub.crt")],
                   check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A served demo hub with the guide's TRUSTED_PROXIES, and nginx in front of it."""
    nginx = nginx_binary()
    tmp_path = tmp_path_factory.mktemp("nginx")
    self_signed_certificate(tmp_path)
    trusted = guide_unit_environment()["TRUSTED_PROXIES"]
    for url in scratch_demo_database(tmp_path_factory, "gh_nginx_scratch"):
        env = {**base_env(url), "TRUSTED_PROXIES": trusted, "RATE_LIMIT_ANONYMOUS_REQUESTS": str(ANONYMOUS_LIMIT)}
        hub = Server("behind-nginx", env, tmp_path_factory.mktemp("nginx-hub-logs"))
        proxy = None
        try:
            hub.wait_healthy()
            http_port, https_port = free_port(), free_port()
            conf = tmp_path / "nginx.conf"
            conf.write_text(local_config(tmp_path, hub.port, http_port, https_port))
            checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True,
                                     text=True, timeout=30)
            assert checked.returncode == 0, checked.stderr
            # one process in the foreground, as the user running the test (no workers to drop to `nobody`)
            proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf),
                                      "-g", "daemon off; master_process off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_listening(proxy, https_port, tmp_path)
            yield {"hub": hub, "https": f"https://127.0.0.1:{https_port}", "http": f"http://127.0.0.1:{http_port}",
                   "wss": f"wss://127.0.0.1:{https_port}/graphql", "ca": str(tmp_path / "gridhub.crt"),
                   "logs": tmp_path}
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(timeout=10)
            hub.stop()


def wait_listening(proxy: subprocess.Popen, port: int, tmp_path) -> None:
    deadline = time.monotonic() + 20
    while True:
        assert proxy.poll() is None, (tmp_path / "error.log").read_text()
        try:
            httpx.get(f"https://127.0.0.1:{port}/healthz", verify=False, timeout=1)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.1)


def client(proxied, address: str = "127.0.0.1") -> httpx.Client:
    """An HTTPS client that trusts the test's certificate, connecting from `address` (any
    of 127.0.0.0/8 is this machine; nginx sees it as the client's address)."""
    context = ssl.create_default_context(cafile=proxied["ca"])
    return httpx.Client(transport=httpx.HTTPTransport(verify=context, local_address=address), timeout=10)


def graphql(http: httpx.Client, base: str, query: str, token: str | None = None, forwarded: str | None = None,
            **variables) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return http.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers)


def sign_in(proxied, username: str) -> str:
    with client(proxied) as http:
        answer = graphql(http, proxied["https"], 'mutation($u: String!) { login(username: $u, password: "demo") '
                                                 "{ token } }", u=username).json()
    return answer["data"]["login"]["token"]


def test_https_graphql_through_the_guides_nginx(proxied):
    token = sign_in(proxied, "worker")
    with client(proxied) as http:
        answer = graphql(http, proxied["https"], "{ me { username } persons(first: 1) { totalCount } }", token)
        assert answer.status_code == 200 and answer.json()["data"]["me"] == {"username": "worker"}
        assert answer.json()["data"]["persons"]["totalCount"] > 0
        # the request id nginx made ($request_id), which the hub took and logged
        request_id = answer.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        deadline = time.monotonic() + 10  # the access line is written as the response ends: poll
        while request_id not in proxied["hub"].log_tail(100_000) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert request_id in proxied["hub"].log_tail(100_000)
    # plain HTTP is sent to HTTPS
    with httpx.Client(timeout=10) as plain:
        moved = plain.get(f"{proxied['http']}/graphql?query=%7B__typename%7D")
    assert moved.status_code == 301 and moved.headers["location"].startswith("https://127.0.0.1/graphql?")


def test_a_subscription_over_wss_through_the_guides_nginx(proxied):
    token = sign_in(proxied, "worker")
    with client(proxied) as http:
        grid = graphql(http, proxied["https"], "{ me { roles { region { id } } } }", token).json()
    grid = grid["data"]["me"]["roles"][0]["region"]["id"]
    context = ssl.create_default_context(cafile=proxied["ca"])

    async def hear() -> tuple[dict, str]:
        async with connect(proxied["wss"], ssl=context, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "connection_ack"}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": CHANGES}}))
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
            # a query over the same socket, through nginx too
            await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "{ me { username } }"}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["payload"] == {
                "data": {"me": {"username": "worker"}}}
            with client(proxied) as http:
                reported = await asyncio.to_thread(graphql, http, proxied["https"], REPORT, token, None, input={
                    "title": "经由nginx上报", "kind": "HAZARD", "category": "safety/fire", "source": "PATROL",
                    "occurredAt": "2026-11-20T08:00:00Z", "regionId": grid})
            event_id = reported.json()["data"]["reportEvent"]["id"]
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message.get("id") == "1":
                    return message, event_id

    message, event_id = asyncio.run(hear())
    assert message["type"] == "next"
    change = message["payload"]["data"]["eventChanged"]
    assert change == {"action": "report", "eventId": event_id, "event": {"title": "经由nginx上报"}}


def anonymous_budget(proxied, address: str, forwarded: str | None = None, tries: int = ANONYMOUS_LIMIT + 1) -> list:
    with client(proxied, address) as http:
        return [graphql(http, proxied["https"], "{ __typename }", forwarded=forwarded).status_code
                for _ in range(tries)]


def test_the_hub_sees_each_client_behind_nginx_by_the_trusted_proxy_setting(proxied):
    """Anonymous operations are limited per client address. Behind nginx every connection
    to the hub comes from nginx: only because TRUSTED_PROXIES names it does the hub count
    each client by its own address (nginx's X-Forwarded-For), and a client that writes an
    X-Forwarded-For of its own does not escape its count."""
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in guide_config()
    assert guide_unit_environment()["TRUSTED_PROXIES"] == "127.0.0.1"  # nginx's address as seen by the hub
    # one client spends its budget: the next operation is refused
    assert anonymous_budget(proxied, "127.0.0.5") == [200] * ANONYMOUS_LIMIT + [429]
    # another client behind the same nginx still has its own (all but one of it spent here)
    assert anonymous_budget(proxied, "127.0.0.6", tries=ANONYMOUS_LIMIT - 1) == [200] * (ANONYMOUS_LIMIT - 1)
    # the first one, claiming to be someone else, is still itself (nginx appends the real
    # peer, the last address not a trusted proxy's is believed)
    assert anonymous_budget(proxied, "127.0.0.5", forwarded="203.0.113.9", tries=1) == [429]
    # straight to the hub (not through nginx) from an address that is not a trusted proxy,
    # X-Forwarded-For is not believed at all: the claim to be the fresh 127.0.0.7 counts
    # against the caller's own address
    hub = proxied["hub"]
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.6"), timeout=10) as direct:
        statuses = [graphql(direct, hub.base, "{ __typename }", forwarded="127.0.0.7").status_code
                    for _ in range(2)]
    assert statuses == [200, 429]  # 127.0.0.6 had one left; the header gave it no new budget
