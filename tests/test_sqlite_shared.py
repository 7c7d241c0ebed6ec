"""One database, several processes, and operators: real `gridhub serve` processes.

- Three servers on one SQLite file, writers at all of them at once: every write is
  answered, acknowledged or SERVICE_UNAVAILABLE (the write lock not had in time: HTTP 503
  with Retry-After), never INTERNAL_SERVER_ERROR "database is locked"; every acknowledged
  write is in the file.
- `gridhub demo --reset` refuses while a server holds the database (SQLite and PostgreSQL),
  and changes nothing.
- A server whose SQLite file was replaced under it says so on /healthz (503) and
  acknowledges no write after it."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys

import httpx
import pytest

from gridhub.resolvers.write.validation import id_number_check_digit

from .servers import ROOT, Server, base_env, running_servers, scratch_demo_database

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="several processes on one SQLite file")
CREATE = """mutation($name: String!, $idNumber: String!, $region: ID!) {
  createPerson(input: {name: $name, idNumber: $idNumber, regionId: $region}) { id } }"""
GRID = "{ regions(first: 1, filter: {tier: [GRID]}) { nodes { id } } }"
WRITERS, WRITES = 12, 25


@pytest.fixture
def database_url(tmp_path_factory):
    yield from scratch_demo_database(tmp_path_factory, f"gh_shared_{os.getpid()}")


def file_of(database_url: str) -> str:
    return database_url.removeprefix("sqlite://")


def id_number(writer: int, seq: int) -> str:
    body = f"341823198604{writer + 1:02d}{seq:03d}"  # April 1986: no other test's persons
    return body + id_number_check_digit(body)


@sqlite_only
def test_servers_sharing_a_sqlite_file_answer_every_write(database_url, tmp_path):
    codes, refusals, acknowledged = [], [], []
    for servers in running_servers(base_env(database_url), tmp_path, names=("A", "B", "C")):
        token = servers[0].login("worker")
        region = servers[0].data(GRID, token)["regions"]["nodes"][0]["id"]

        async def writer(n: int) -> None:
            server = servers[n % len(servers)]
            async with httpx.AsyncClient(base_url=server.base, timeout=30,
                                         headers={"Authorization": f"Bearer {token}"}) as http:
                for i in range(WRITES):
                    response = await http.post("/graphql", json={"query": CREATE, "variables": {
                        "name": f"共享{n}", "idNumber": id_number(n, i), "region": region}})
                    answer = response.json()
                    if answer.get("errors"):
                        codes.extend((e.get("extensions") or {}).get("code") for e in answer["errors"])
                        refusals.append((response.status_code, response.headers.get("retry-after")))
                    else:
                        acknowledged.append(answer["data"]["createPerson"]["id"])

        async def writers() -> None:
            await asyncio.gather(*(writer(n) for n in range(WRITERS)))

        asyncio.run(writers())
    assert set(codes) <= {"SERVICE_UNAVAILABLE"}, codes
    assert set(refusals) <= {(503, "2")}, refusals  # the whole answer failed: 503, retry in 2 s
    assert len(acknowledged) + len(codes) == WRITERS * WRITES
    assert len(acknowledged) >= WRITERS * WRITES * 0.9, f"{len(codes)} of {WRITERS * WRITES} refused"
    stored = sqlite3.connect(file_of(database_url)).execute(
        "SELECT COUNT(*) FROM person WHERE name LIKE '共享%'").fetchone()[0]
    assert stored == len(acknowledged)


@sqlite_only
def test_a_write_that_cannot_have_the_lock_in_time_is_503_with_retry_after(database_url, tmp_path):
    """Another process holds the write lock past the busy timeout (300 ms here): the write
    is answered HTTP 503 with `Retry-After` and SERVICE_UNAVAILABLE, and changes nothing;
    once the lock is free the same write is acknowledged."""
    path = file_of(database_url)
    for (server,) in running_servers(base_env(database_url + "?busy_timeout=300"), tmp_path, names=("A",)):
        token = server.login("worker")
        region = server.data(GRID, token)["regions"]["nodes"][0]["id"]
        write = {"query": CREATE, "variables": {"name": "锁外", "idNumber": id_number(20, 1), "region": region}}
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's write lock
        try:
            refused = httpx.post(f"{server.base}/graphql", headers={"Authorization": f"Bearer {token}"},
                                 json=write, timeout=30)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "2"
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE" and error["extensions"]["retryAfter"] == 2
        assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM person WHERE name = '锁外'").fetchone()[0] == 0

        answered = httpx.post(f"{server.base}/graphql", headers={"Authorization": f"Bearer {token}"},
                              json=write, timeout=30)
        assert answered.status_code == 200 and answered.json()["data"]["createPerson"]["id"], answered.text


def test_demo_reset_refuses_while_a_server_holds_the_database(database_url, tmp_path):
    env = base_env(database_url)
    for (server,) in running_servers(env, tmp_path, names=("A",)):
        token = server.login("worker")
        before = server.data("{ persons(first: 1) { totalCount } }", token)
        reset = subprocess.run([sys.executable, "-m", "gridhub.cli", "demo", "--reset", "--scale", "0.02"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=120)
        assert reset.returncode != 0, reset.stdout
        assert "a gridhub server is serving this database" in reset.stderr
        # nothing changed under the server: its token, its rows, its health
        assert server.data("{ persons(first: 1) { totalCount } }", token) == before
        server.wait_healthy(timeout=5)
    # once it stopped, the reset goes ahead
    done = subprocess.run([sys.executable, "-m", "gridhub.cli", "demo", "--reset", "--scale", "0.02"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "demo county built" in done.stdout, done.stderr


@sqlite_only
def test_a_server_whose_database_file_was_replaced_says_so_and_acknowledges_no_write(database_url, tmp_path):
    path = file_of(database_url)
    for (server,) in running_servers(base_env(database_url), tmp_path, names=("A",)):
        token = server.login("worker")
        region = server.data(GRID, token)["regions"]["nodes"][0]["id"]
        shutil.copy(path, tmp_path / "copy.sqlite3")
        os.replace(tmp_path / "copy.sqlite3", path)  # what a careless restore does: a new file in its place

        health = httpx.get(f"{server.base}/healthz")
        assert health.status_code == 503, health.text
        assert health.json()["database"] == "error: DatabaseReplaced"
        response = httpx.post(f"{server.base}/graphql", headers={"Authorization": f"Bearer {token}"}, json={
            "query": CREATE, "variables": {"name": "替换后", "idNumber": id_number(30, 1), "region": region}})
        assert response.status_code == 503 and response.headers["retry-after"] == "2"
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM person WHERE name = '替换后'").fetchone()[0] == 0
