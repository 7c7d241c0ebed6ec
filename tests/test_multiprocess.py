"""Two real server processes on one database: a policy edit made through one of them is
in force in the other within a second, announced on Redis pub/sub, or found by the
database version poll when there is no Redis; and when Redis is configured but down, on
the other's very next request (it checks the database version on each). Loopback only.

On SQLite the database is a file in a pytest tmp dir; when DATABASE_URL is PostgreSQL a
separate database `gridhub_multiprocess` is made on the same server (never the suite's)."""

from __future__ import annotations

import contextlib
import time

import pytest

from .servers import POLL, base_env, free_port, redis_available, running_servers, scratch_demo_database

PG_DATABASE = "gridhub_multiprocess"
REDIS_URL = "redis://127.0.0.1:6379/3"  # not db 0, which the suite may use
DEADLINE = 1.0  # seconds within which the other process must apply an edit


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    yield from scratch_demo_database(tmp_path_factory, PG_DATABASE)


# -- the servers ---------------------------------------------------------------------------

@pytest.fixture(params=["redis", "poll", "redis-down"])
def servers(request, database_url, tmp_path):
    """Servers A and B on the shared database, with one policy transport between them;
    `redis-down`: Redis is configured but nothing answers at its address."""
    if request.param == "redis":
        if not redis_available():
            pytest.skip("no Redis at 127.0.0.1:6379 (`redis-cli ping` failed)")
        cache_url = REDIS_URL
    elif request.param == "redis-down":
        cache_url = f"redis://127.0.0.1:{free_port()}/0"
    else:
        cache_url = "memory://"
    down = request.param == "redis-down"
    for a, b in running_servers(base_env(database_url, cache_url), tmp_path, cache_down=down):
        yield request.param, a, b


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


@pytest.mark.parametrize("servers", ["poll"], indirect=True)  # no policy transport is involved
def test_a_revoked_token_is_refused_by_every_process_on_its_next_request(servers):
    """Each process trusts a token it verified until the principal version changes: a
    revocation through A is in force on B's very next request, not a moment later."""
    _, a, b = servers
    admin = a.login("admin")
    made = a.data('mutation { createServiceToken(username: "civil", name: "多进程撤销") '
                  '{ token serviceToken { id } } }', admin)["createServiceToken"]
    for server in (a, b, a, b):
        assert server.data("{ me { username } }", made["token"])["me"]["username"] == "civil"
    a.data("mutation($id: Int!) { revokeServiceToken(id: $id) { id } }", admin, id=made["serviceToken"]["id"])
    for server in (b, a):
        refused = server.graphql("{ me { username } }", made["token"])
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"], server.name


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
        if transport == "redis-down":  # no announcement to wait for: B checks on each request
            assert worker_sees(target["path"]) > 0, "B answered from the scope before the grant"
        grant_delay = wait_until(lambda: worker_sees(target["path"]) > 0, since)

        a.data(REVOKE, admin, region=target["id"])
        granted, since = False, time.monotonic()
        if transport == "redis-down":
            assert worker_sees(target["path"]) == 0, "B answered from the scope before the revoke"
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


def test_the_rate_limit_holds_across_two_processes(database_url, tmp_path):
    """A caller's requests alternating between two processes on one Redis: each process
    decides most of them without asking Redis (resolvers/rate_limit.LeasedWindow), and
    together they admit at most the limit, and at least the limit less a quarter of it
    (what the other process may hold unused)."""
    import random
    import urllib.error

    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379 (`redis-cli ping` failed)")
    limit = 30
    # a window of its own: the key names it, so counts of an earlier run are not met. Drawn
    # from the system, not `random`, which pytest-randomly seeds alike in every run of a seed
    env = {**base_env(database_url, REDIS_URL), "RATE_LIMIT_REQUESTS": str(limit),
           "RATE_LIMIT_WINDOW_SECONDS": str(random.SystemRandom().randrange(10_000, 100_000))}
    for a, b in running_servers(env, tmp_path):
        token = a.login("worker")
        statuses = []
        for i in range(2 * limit):
            try:
                (a if i % 2 else b).data("{ __typename }", token)
                statuses.append(200)
            except urllib.error.HTTPError as refused:
                assert refused.code == 429 and refused.headers["Retry-After"]
                statuses.append(429)
        admitted = statuses.count(200)
        assert limit - limit // 4 <= admitted <= limit, statuses
        assert statuses[-1] == 429
