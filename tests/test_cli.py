"""The gridhub command as a new user runs it: migrate, build the demo, serve, query."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from gridhub.resolvers.demo.tables import SPLIT_AGO

ROOT = Path(__file__).resolve().parent.parent


def gridhub(*args, env, timeout=300):
    return subprocess.run([sys.executable, "-m", "gridhub.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_then_serve_answers_a_nested_query(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3", "CACHE_URL": "memory://",
           "DEMO_MODE": "1"}
    env.pop("JWT_SECRET", None)
    assert gridhub("migrate", env=env).returncode == 0
    began = datetime.now(timezone.utc).replace(microsecond=0)
    built = gridhub("demo", "--scale", "0.02", env=env)
    assert built.returncode == 0, built.stderr
    assert "demo county built" in built.stdout
    # its clock is the moment it was built: the grid split in its history, two months before
    (split,) = sqlite3.connect(tmp_path / "cli.sqlite3").execute(
        "SELECT deleted_at FROM region WHERE deleted_at IS NOT NULL").fetchone()
    assert began <= datetime.fromisoformat(split) + SPLIT_AGO <= datetime.now(timezone.utc)
    again = gridhub("demo", "--scale", "0.02", env=env)
    assert "already holds data" in again.stdout

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gridhub.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                    health = json.load(r)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not come up")
        assert health == {"status": "ok", "database": "ok", "cache": "ok"}
        def graphql(query: str, token: str | None = None) -> dict:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": query}).encode(),
                                             headers=headers)
            with urllib.request.urlopen(request, timeout=10) as r:
                return json.load(r)

        refused = graphql("{ persons(first: 1) { totalCount } }")
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        token = graphql('mutation { login(username: "worker", password: "demo") { token } }')["data"]["login"]["token"]
        answer = graphql("""{ persons(first: 3) { totalCount nodes { name household { members { name } }
                     residence { name } region { ancestors { name tier } } } } }""", token)
        assert "errors" not in answer, answer
        persons = answer["data"]["persons"]
        assert persons["totalCount"] > 0 and len(persons["nodes"]) == 3
        assert [a["tier"] for a in persons["nodes"][0]["region"]["ancestors"]] == ["COUNTY", "TOWN", "COMMUNITY"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_operator_accounts_outside_demo_mode(tmp_path):
    """Production mode: the demo password opens nothing; the operator creates a user, grants
    the first admin role, and disables it again, each taking effect on the next request."""
    from .servers import Server

    database = tmp_path / "ops.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "CACHE_URL": "memory://", "DEMO_MODE": "0",
           "JWT_SECRET": "operator-test-secret-0123456789abcdef"}
    assert gridhub("migrate", env=env).returncode == 0
    assert gridhub("demo", "--scale", "0.02", env=env).returncode == 0
    county = sqlite3.connect(database).execute("SELECT region_path FROM region WHERE parent_id IS NULL").fetchone()[0]

    def user(*args, password: str | None = None):
        return subprocess.run([sys.executable, "-m", "gridhub.cli", "user", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, input=password, timeout=60)

    assert user("add", "ops1", "--department", "civil_affairs", password="correct horse battery\n").returncode == 0
    short = user("add", "ops2", password="short\n")
    assert short.returncode == 1 and "BAD_USER_INPUT" in short.stderr
    again = user("add", "ops1", password="another long password\n")
    assert again.returncode == 1 and "CONFLICT" in again.stderr
    assert user("grant", "ops1", "chief_policy_admin", county).returncode == 0

    server = Server("ops", env, tmp_path)
    try:
        server.wait_healthy()
        login = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }'
        demo = server.graphql(login, u="worker", p="demo")
        assert demo["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        token = server.data(login, u="ops1", p="correct horse battery")["login"]["token"]
        roles = server.data("{ me { roles { role domain } } }", token)["me"]["roles"]
        assert {"role": "chief_policy_admin", "domain": county + "*"} in roles

        assert user("disable", "ops1").returncode == 0
        refused = server.graphql("{ me { username } }", token)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        server.stop()
    audited = sqlite3.connect(database).execute(
        "SELECT action FROM audit_entry WHERE object_id = 'ops1' AND object_kind = 'user' ORDER BY id").fetchall()
    assert [a for (a,) in audited] == ["create_user", "disable_user"]


def test_demo_reset_rebuilds_a_used_database(tmp_path_factory):
    """`gridhub demo --reset` on a database that has been used (an audit trail, which refuses
    row deletes): everything goes, the same county comes back. On the suite's database
    server: SQLite, or PostgreSQL (a scratch database)."""
    from .servers import base_env, gridhub as run, scratch_demo_database

    for url in scratch_demo_database(tmp_path_factory, f"gh_cli_reset_{os.getpid()}"):
        env = base_env(url)
        first = run("demo", "--scale", "0.02", env=env)
        assert "already holds data" in first.stdout
        audited = audit_rows(url)
        assert audited  # the demo's own re-gridding, at least
        reset = run("demo", "--reset", "--scale", "0.02", env=env)
        assert reset.returncode == 0, reset.stderr
        assert "demo county built" in reset.stdout
        assert audit_rows(url) == audited  # the same county: its own entries again, nothing older
        assert reset.stdout.split("demo county built:")[1] == run(
            "demo", "--reset", "--scale", "0.02", env=env).stdout.split("demo county built:")[1]


def audit_rows(url: str) -> list[tuple]:
    """The audit trail's (actor, action, object) rows, read with the database's own driver."""
    sql = "SELECT actor, action, object_id FROM audit_entry ORDER BY id"
    if url.startswith("postgres"):
        import asyncio

        import asyncpg

        async def read():
            conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
            try:
                return [tuple(r) for r in await conn.fetch(sql)]
            finally:
                await conn.close()

        return asyncio.run(read())
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
        return [tuple(r) for r in conn.execute(sql)]


def test_migrate_lists_grants_that_break_the_delegation_rules(tmp_path):
    """Grants made before the bounds (or by hand) are listed by `gridhub migrate`, not dropped."""
    import sqlite3

    database = tmp_path / "grants.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "CACHE_URL": "memory://", "DEMO_MODE": "1",
           "JWT_SECRET": "delegation-test-secret-0123456789abcdef"}
    assert gridhub("demo", "--scale", "0.02", env=env).returncode == 0
    clean = gridhub("migrate", env=env)
    assert clean.returncode == 0 and "breaks the delegation rules" not in clean.stdout, clean.stdout
    db = sqlite3.connect(database)
    town = db.execute("SELECT region_path FROM region WHERE tier = 'town' ORDER BY code LIMIT 1").fetchone()[0]
    with db:
        db.execute("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "
                   "VALUES ('g', 'townadmin', 'grid_worker', ?, '', '', '')",
                   (town + "*",))
        db.execute("INSERT INTO audit_entry (at, actor, action, object_kind, object_id, field, region_path, detail) "
                   "VALUES ('2026-01-01 00:00:00+00:00', 'townadmin', 'grant', 'policy', ?, '', ?, '{}')",
                   (f"g, townadmin, grid_worker, {town}*", town))
    listed = gridhub("migrate", env=env)
    assert listed.returncode == 0
    lines = [line for line in listed.stdout.splitlines() if line.startswith("breaks the delegation rules")]
    assert lines == [
        f"breaks the delegation rules: townadmin holds grid_worker at {town}, a town: grid_worker is held at "
        "grid or micro_grid",
        f"breaks the delegation rules: townadmin granted itself grid_worker at {town}",
        "breaks the delegation rules: townadmin both administers and reads the register's data",
    ]
    assert db.execute("SELECT COUNT(*) FROM casbin_rule WHERE v0 = 'townadmin' AND v1 = 'grid_worker'").fetchone() == (1,)


def test_demo_now_sets_the_demos_clock(tmp_path):
    """`gridhub demo --now T` tells the story as of T (a time without an offset is China
    time): nothing happens after it, something in its week, and the split is two months
    before it."""
    from datetime import timedelta

    database = tmp_path / "then.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "CACHE_URL": "memory://", "DEMO_MODE": "1"}
    built = gridhub("demo", "--scale", "0.02", "--now", "2026-11-04T08:00", env=env)
    assert built.returncode == 0, built.stderr
    clock = datetime(2026, 11, 4, tzinfo=timezone.utc)  # Wednesday 08:00 in China
    week_began = datetime(2026, 11, 1, 16, tzinfo=timezone.utc)  # Monday 00:00 in China
    rows = sqlite3.connect(database)
    occurred = [datetime.fromisoformat(t) for (t,) in rows.execute("SELECT occurred_at FROM event")]
    assert max(occurred) <= clock and any(week_began <= t for t in occurred)
    (split,) = rows.execute("SELECT deleted_at FROM region WHERE deleted_at IS NOT NULL").fetchone()
    assert datetime.fromisoformat(split) == clock - timedelta(days=61)
    wrong = gridhub("demo", "--now", "yesterday", env=env)
    assert wrong.returncode == 2 and "--now" in wrong.stderr
