"""Two real server processes on one database: a policy edit made through one of them is
in force in the other within a second, announced on Redis pub/sub, or found by the
database version poll when there is no Redis. Loopback only.

On SQLite the database is a file in a pytest tmp dir; when DATABASE_URL is PostgreSQL a
separate database `gridhub_multiprocess` is made on the same server (never the suite's)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "multiprocess-test-secret-0123456789abcdef"  # shared: a token from A is valid on B
PG_DATABASE = "gridhub_multiprocess"
REDIS_URL = "redis://127.0.0.1:6379/3"  # not db 0, which the suite may use
DEADLINE = 1.0  # seconds within which the other process must apply an edit
POLL = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(database_url: str, cache_url: str = "memory://") -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "CACHE_URL": cache_url, "DEMO_MODE": "1",
            "JWT_SECRET": JWT_SECRET}


def gridhub(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"gridhub {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


# -- the database --------------------------------------------------------------------------

def _pg_admin(url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database (not the one being dropped)."""
    import asyncpg

    parts = urllib.parse.urlsplit(url.replace("postgres://", "postgresql://", 1))
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))

    async def run():
        conn = await asyncpg.connect(admin_url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    suite_url = os.environ.get("DATABASE_URL", "")
    if suite_url.startswith("postgres"):
        parts = urllib.parse.urlsplit(suite_url)
        assert parts.path.lstrip("/") != PG_DATABASE, "the suite's database must not be the scratch one"
        url = urllib.parse.urlunsplit(parts._replace(path=f"/{PG_DATABASE}"))
        drop = f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'
        _pg_admin(suite_url, drop, f'CREATE DATABASE "{PG_DATABASE}"')
    else:
        url, drop = f"sqlite://{tmp_path_factory.mktemp('multiprocess')}/hub.sqlite3", None
    env = base_env(url)
    try:
        gridhub("migrate", env=env)
        built = gridhub("demo", "--scale", "0.02", env=env)
        assert "demo county built" in built.stdout, built.stdout
        yield url
    finally:
        if drop:
            _pg_admin(suite_url, drop)


# -- the servers ---------------------------------------------------------------------------

class Server:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{name}.log"
        self._log = open(self.log_path, "wb")  # a file, not a pipe nobody reads (it would fill up)
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server {self.name} exited with {self.process.returncode}:\n"
                                     f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as r:
                    health = json.load(r)
                assert health == {"status": "ok", "database": "ok", "cache": "ok"}, health
                return
            except OSError:
                time.sleep(POLL)
        raise AssertionError(f"server {self.name} did not come up in {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def graphql(self, query: str, token: str | None = None, **variables) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{self.base}/graphql", headers=headers,
                                         data=json.dumps({"query": query, "variables": variables}).encode())
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.load(r)

    def data(self, query: str, token: str | None = None, **variables) -> dict:
        answer = self.graphql(query, token, **variables)
        assert not answer.get("errors"), f"server {self.name}: {answer['errors']}"
        return answer["data"]

    def login(self, username: str) -> str:
        return self.data("mutation($u: String!) { login(username: $u, password: \"demo\") { token } }",
                         u=username)["login"]["token"]


def redis_available() -> bool:
    try:
        pong = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True,
                              text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return pong.returncode == 0 and pong.stdout.strip() == "PONG"


@pytest.fixture(params=["redis", "poll"])
def servers(request, database_url, tmp_path):
    """Servers A and B on the shared database, with one policy transport between them."""
    if request.param == "redis":
        if not redis_available():
            pytest.skip("no Redis at 127.0.0.1:6379 (`redis-cli ping` failed)")
        cache_url = REDIS_URL
    else:
        cache_url = "memory://"
    env = base_env(database_url, cache_url)
    started: list[Server] = []
    try:
        for name in ("A", "B"):
            started.append(Server(name, env, tmp_path))
        for server in started:
            server.wait_healthy()
        yield request.param, started[0], started[1]
    finally:
        for server in started:
            server.stop()


# -- the scenario --------------------------------------------------------------------------

GRIDS = "{ regions(filter: {tier: [GRID]}, first: 50) { nodes { id path } } }"
COUNT = "query($path: String!) { persons(first: 1, filter: {regionPath: $path}) { totalCount } }"
GRANT = """mutation($region: ID!) { grantRole(username: "worker", role: "grid_worker", region: $region) {
             role domain } }"""
REVOKE = """mutation($region: ID!) { revokeRole(username: "worker", role: "grid_worker", region: $region) {
              role domain } }"""


def wait_until(predicate, since: float, limit: float = DEADLINE + 4) -> float:
    """Seconds from `since` until predicate() held (checked every 50 ms); inf if it never did
    within `limit`, which is longer than the deadline so a miss still reports how late it was."""
    while True:
        if predicate():
            return time.monotonic() - since
        if time.monotonic() - since > limit:
            return float("inf")
        time.sleep(POLL)


def test_policy_edit_reaches_the_other_process_within_a_second(servers, database_url):
    transport, a, b = servers
    database = "postgres" if database_url.startswith("postgres") else "sqlite"
    admin, county, worker = a.login("admin"), a.login("county"), b.login("worker")

    def worker_sees(path: str) -> int:
        return b.data(COUNT, worker, path=path)["persons"]["totalCount"]

    # a grid with persons that the worker does not see yet, its own grid's sibling first
    own = [r["domain"].rstrip("*") for r in b.data("{ me { roles { role domain } } }", worker)["me"]["roles"]]
    assert own, "the demo worker holds no role"
    parent = own[0].rstrip("/").rsplit("/", 1)[0] + "/"
    grids = sorted(a.data(GRIDS, admin)["regions"]["nodes"], key=lambda g: not g["path"].startswith(parent))
    target = next((g for g in grids if g["path"] not in own
                   and a.data(COUNT, county, path=g["path"])["persons"]["totalCount"] > 0
                   and worker_sees(g["path"]) == 0), None)
    assert target, f"no grid with persons the worker cannot see among {[g['path'] for g in grids]}"

    granted = False
    try:
        a.data(GRANT, admin, region=target["id"])
        granted, since = True, time.monotonic()
        grant_delay = wait_until(lambda: worker_sees(target["path"]) > 0, since)

        a.data(REVOKE, admin, region=target["id"])
        granted, since = False, time.monotonic()
        revoke_delay = wait_until(lambda: worker_sees(target["path"]) == 0, since)
    finally:
        if granted:  # leave the shared database as it was for the other transport
            with contextlib.suppress(OSError):
                a.graphql(REVOKE, admin, region=target["id"])

    report = (f"[{database}/{transport}] grant in force on B after {grant_delay * 1000:.0f} ms, "
              f"revoke after {revoke_delay * 1000:.0f} ms (grid {target['path']})")
    print("\n" + report)
    assert grant_delay < DEADLINE and revoke_delay < DEADLINE, report + "\n" + b.log_tail()

    # delegation holds across processes too: a town's admin may not grant at the county
    townadmin = a.login("townadmin")
    county_id = a.data("{ regions(filter: {tier: [COUNTY]}, first: 1) { nodes { id } } }",
                       admin)["regions"]["nodes"][0]["id"]
    refused = a.graphql(GRANT, townadmin, region=county_id)
    codes = [(e.get("extensions") or {}).get("code") for e in refused.get("errors") or []]
    assert codes == ["FORBIDDEN"], refused
