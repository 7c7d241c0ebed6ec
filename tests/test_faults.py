"""PostgreSQL going away under load and coming back, as a real server process sees it: a
TCP proxy between the hub and PostgreSQL is cut (every connection reset, new ones refused)
and restored, while writers and readers keep calling. PostgreSQL only; the server under
test runs on a scratch database (`gridhub_faults`), never the suite's.

While the database is away every answer is SERVICE_UNAVAILABLE (503 when signing in needs
it, else the GraphQL error), promptly, never a 500 or a hang; once it is back the same
process answers again without a restart; and no write is half-done or done twice: every
acknowledged person exists once, a write in doubt at most once, every event with its log.

(Redis down — the answer cache in memory and the policy checked on each request — is in
tests/test_multiprocess.py, transport `redis-down`.)"""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from gridhub.resolvers.write.validation import id_number_check_digit

from .servers import Server, base_env, free_port, gridhub, scratch_demo_database
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="a PostgreSQL outage: runs when DATABASE_URL is PostgreSQL")

PG_DATABASE = "gridhub_faults"
OUTAGE = 1.5  # seconds the database stays away
PROMPT = 5.0  # no answer may take longer, outage or not

CREATE = """mutation($name: String!, $idNumber: String!, $region: ID!) {
  createPerson(input: {name: $name, idNumber: $idNumber, regionId: $region}) { id } }"""
REPORT = """mutation($title: String!, $region: ID!) { reportEvent(input: {title: $title, kind: HAZARD,
  category: "safety/fire", source: PATROL, occurredAt: "2026-06-01T08:00:00Z", regionId: $region}) { id } }"""
READ = "{ persons(first: 20) { totalCount nodes { name } } }"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    yield from scratch_demo_database(tmp_path_factory, PG_DATABASE)


def id_number(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


def ask(server: Server, query: str, token: str, **variables) -> tuple[int, list[str], float]:
    """(HTTP status, error codes, seconds): 4xx/5xx answers are answers too."""
    started = time.monotonic()
    try:
        body, status = server.graphql(query, token, **variables), 200
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
        if status == 503 and e.headers.get("Retry-After") != "2":
            status = "503 without Retry-After"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:  # not a GraphQL answer at all (uvicorn's own 500): say so
            body = {"errors": [{"extensions": {"code": f"HTTP {status}: {raw[:80]!r}"}}]}
    codes = [(err.get("extensions") or {}).get("code") for err in body.get("errors") or []]
    return status, codes, time.monotonic() - started


def export(server: Server, token: str) -> tuple[int, list[str], float]:
    """A whole `/export/person` as (HTTP status, error codes, seconds): refused before it
    starts (a status), or cut while it streams (its `@error` line)."""
    started = time.monotonic()
    request = urllib.request.Request(f"{server.base}/export/person", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=PROMPT * 2) as response:
            status, last = response.status, json.loads(response.read().splitlines()[-1])
            codes = [last["@error"]["extensions"]["code"]] if "@error" in last else []
    except urllib.error.HTTPError as e:
        status = e.code
        codes = [(err.get("extensions") or {}).get("code") for err in json.loads(e.read() or b"{}")["errors"]]
    return status, codes, time.monotonic() - started


def test_postgres_outage_fails_cleanly_and_recovers(database_url, tmp_path):
    target = urllib.parse.urlsplit(database_url)
    with TcpProxy(target.hostname, target.port or 5432) as proxy:
        proxied = urllib.parse.urlunsplit(target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}"))
        server = Server("pg-outage", base_env(proxied), tmp_path)
        try:
            server.wait_healthy()
            worker, county = server.login("worker"), server.login("county")
            grid = server.data("{ me { roles { region { id } } } }", worker)["me"]["roles"][0]["region"]["id"]
            pid = server.process.pid

            outage: list[float] = []  # [cut at, restored at]
            answers: list[tuple[str, float, int, list[str], float]] = []  # (kind, at, status, codes, seconds)
            ledger: dict[str, str] = {}  # person name or event title -> "ok" | "doubt"
            stop = threading.Event()

            def during_outage(at: float) -> bool:
                return len(outage) >= 1 and at >= outage[0] and (len(outage) == 1 or at <= outage[1])

            def write(number: int) -> None:
                serial = 0
                while not stop.is_set():
                    serial += 1
                    name = f"fault-{number}-{serial}"
                    query = CREATE if serial % 2 else REPORT
                    at = time.monotonic()
                    if query is CREATE:
                        born = datetime.date(1960, 1, 1) + datetime.timedelta(days=serial)
                        fields = {"name": name, "idNumber": id_number(f"341823{born:%Y%m%d}{number:03d}")}
                    else:
                        fields = {"title": name}
                    status, codes, seconds = ask(server, query, worker, region=grid, **fields)
                    answers.append(("write", at, status, codes, seconds))
                    ledger[name] = "ok" if not codes else "doubt"

            def read() -> None:
                while not stop.is_set():
                    at = time.monotonic()
                    answers.append(("read", at, *ask(server, READ, worker)))

            def pull() -> None:
                while not stop.is_set():
                    at = time.monotonic()
                    answers.append(("export", at, *export(server, county)))

            threads = [threading.Thread(target=write, args=(n,)) for n in range(2)] + [
                threading.Thread(target=read), threading.Thread(target=pull)]
            for thread in threads:
                thread.start()
            try:
                time.sleep(1.0)
                outage.append(time.monotonic())
                proxy.cut()
                time.sleep(OUTAGE)
                proxy.restore()
                outage.append(time.monotonic())
                time.sleep(2.0)
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)

            assert server.process.poll() is None and server.process.pid == pid, "the server did not stay up"
            assert max(a[4] for a in answers) < PROMPT, "an answer hung"
            during = [a for a in answers if during_outage(a[1])]
            assert during, "nothing was asked while the database was away"
            failures = [a for a in answers if a[3]]
            assert failures, "the outage was not seen"
            for kind, at, status, codes, _ in failures:
                # an export cut while it streams tells it in its last line, after its 200
                assert codes == ["SERVICE_UNAVAILABLE"] and (status == 503 or kind == "export"), (kind, status,
                                                                                                codes)
            assert {a[0] for a in failures} == {"write", "read", "export"}, "each kind of caller saw the outage"
            assert all(not a[3] for a in answers if a[1] > outage[1] + 1.0), "not recovered a second after"
            assert any(not a[3] for a in answers if a[1] > outage[1]), "no answer after the database came back"
        finally:
            server.stop()

    check_no_half_writes(database_url, ledger)


def check_no_half_writes(database_url: str, ledger: dict[str, str]) -> None:
    import asyncio

    import asyncpg

    async def rows():
        conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            persons = [r["name"] for r in await conn.fetch("SELECT name FROM person WHERE name LIKE 'fault-%'")]
            events = await conn.fetch(
                "SELECT e.title, count(l.id) AS log FROM event e LEFT JOIN event_log l ON l.event_id = e.id "
                "WHERE e.title LIKE 'fault-%' GROUP BY e.id, e.title")
            return persons, events
        finally:
            await conn.close()

    persons, events = asyncio.run(rows())
    written = persons + [e["title"] for e in events]
    assert len(written) == len(set(written)), "a write was applied twice"
    assert all(e["log"] == 1 for e in events), "an event without (or with more than) its report in the log"
    assert not set(written) - set(ledger), "a row nobody asked for"
    lost = [name for name, outcome in ledger.items() if outcome == "ok" and name not in written]
    assert not lost, f"acknowledged writes lost: {lost}"


# -- a real restart, of a PostgreSQL cluster of the test's own -----------------------------------

class PrivateCluster:
    """A throwaway PostgreSQL cluster (initdb in a temporary directory, its own port): this
    test restarts it, which it must never do to the server the suite and others share."""

    def __init__(self):
        import shutil
        import tempfile

        initdb = shutil.which("initdb")
        if initdb is None:
            pytest.skip("no initdb on this machine")
        self.bin = os.path.dirname(os.path.realpath(initdb))
        self.dir = tempfile.mkdtemp(prefix="gridhub-pg-")
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/gridhub_restart"
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
        self.run("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "--no-sync")

    def run(self, tool: str, *args: str) -> None:
        import subprocess

        command = [f"{self.bin}/{tool}", *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def pg_ctl(self, action: str, *args: str) -> None:
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                 f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off", action, *args)

    def start(self) -> None:
        self.pg_ctl("start")
        import subprocess

        subprocess.run([f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "gridhub_restart"], check=True, capture_output=True)

    def destroy(self) -> None:
        import shutil

        try:
            self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_cluster():
    cluster = PrivateCluster()
    try:
        cluster.start()
        gridhub("migrate", env=base_env(cluster.url))
        gridhub("demo", "--scale", "0.02", env=base_env(cluster.url))
        yield cluster
    finally:
        cluster.destroy()


RESTARTS = 3


def test_postgres_restarts_under_load_answer_service_unavailable_never_500(private_cluster, tmp_path):
    """asyncpg, on pooled connections a restart breaks mid-statement, raises more than
    connection errors (InternalClientError "cannot switch to state …", InterfaceError,
    ConnectionDoesNotExistError): every one is SERVICE_UNAVAILABLE, never a 500 or an
    INTERNAL_SERVER_ERROR."""
    server = Server("pg-restart", base_env(private_cluster.url), tmp_path)
    try:
        server.wait_healthy()
        worker = server.login("worker")
        grid = server.data("{ me { roles { region { id } } } }", worker)["me"]["roles"][0]["region"]["id"]
        answers: list[tuple[str, int, list[str]]] = []
        ledger: dict[str, str] = {}
        stop = threading.Event()

        def write(number: int) -> None:
            serial = 0
            while not stop.is_set():
                serial += 1
                name = f"fault-{number}-{serial}"
                born = datetime.date(1960, 1, 1) + datetime.timedelta(days=serial)
                fields = {"name": name, "idNumber": id_number(f"341823{born:%Y%m%d}{number:03d}")} \
                    if serial % 2 else {"title": name}
                status, codes, _ = ask(server, CREATE if serial % 2 else REPORT, worker, region=grid, **fields)
                answers.append(("write", status, codes))
                ledger[name] = "ok" if not codes else "doubt"

        def read() -> None:
            while not stop.is_set():
                answers.append(("read", *ask(server, READ, worker)[:2]))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(3)] + \
            [threading.Thread(target=read) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            for _ in range(RESTARTS):
                time.sleep(1.0)
                private_cluster.pg_ctl("restart", "-m", "fast")
            time.sleep(2.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        failures = [a for a in answers if a[2]]
        assert failures, "the restarts were not seen"
        for kind, status, codes in failures:
            assert codes == ["SERVICE_UNAVAILABLE"] and status == 503, (kind, status, codes)
        assert "INTERNAL" not in server.log_tail(200_000).upper().replace("INTERNALCLIENTERROR", ""), \
            "an internal error was logged"
    finally:
        server.stop()
    check_no_half_writes(private_cluster.url, ledger)


def health(server: Server) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{server.base}/healthz", timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def until_health(server: Server, database: str, within: float = 10.0) -> tuple[int, dict]:
    deadline = time.monotonic() + within
    while True:
        status, body = health(server)
        if body.get("database") == database or time.monotonic() > deadline:
            return status, body
        time.sleep(0.1)


def reset_demo(url: str):
    import subprocess
    import sys

    from .servers import ROOT

    return subprocess.run([sys.executable, "-m", "gridhub.cli", "demo", "--reset", "--scale", "0.02"], cwd=ROOT,
                          env=base_env(url), capture_output=True, text=True, timeout=300)


def test_after_a_postgres_restart_the_server_claims_its_database_again(private_cluster, tmp_path):
    """PostgreSQL restarts under a serving hub (the test's own cluster): the server's claim
    lived on a connection the restart ended. It is taken again once PostgreSQL is back, so
    `/healthz` is ok, writes are acknowledged, and `gridhub demo --reset` is refused again
    (without the claim taken again the reset emptied the database under the server)."""
    server = Server("pg-claim", base_env(private_cluster.url), tmp_path)
    try:
        server.wait_healthy()
        worker = server.login("worker")
        grid = server.data("{ me { roles { region { id } } } }", worker)["me"]["roles"][0]["region"]["id"]
        private_cluster.pg_ctl("restart", "-m", "fast")
        assert until_health(server, "ok") == (200, {"status": "ok", "database": "ok", "cache": "ok"})
        answers = []
        for serial in range(1, 20):  # pooled connections the restart broke answer 503 once each, at most
            born = datetime.date(1970, 1, 1) + datetime.timedelta(days=serial)
            answers.append(ask(server, CREATE, worker, region=grid, name=f"restarted-{serial}",
                               idNumber=id_number(f"341823{born:%Y%m%d}900"))[:2])
            if not answers[-1][1]:
                break
        assert answers[-1] == (200, []) and all(a == (503, ["SERVICE_UNAVAILABLE"]) for a in answers[:-1]), answers
        reset = reset_demo(private_cluster.url)
        assert reset.returncode != 0 and "a gridhub server is serving this database" in reset.stderr, reset.stdout
        assert server.data("{ persons(first: 1, filter: {text: \"restarted-\"}) { totalCount } }",
                           worker)["persons"]["totalCount"] == 1
    finally:
        server.stop()


def test_a_reset_while_the_claim_was_lost_leaves_the_server_unavailable(private_cluster, tmp_path):
    """The claim's connection ends (as in a restart) and a reset takes the database before
    the server could claim it again: while the reset holds it the server is not serving
    (`/healthz` 503, requests SERVICE_UNAVAILABLE with Retry-After); after it, the server
    sees the reset's mark and says the database was replaced, and stays unavailable."""
    import asyncio

    import asyncpg

    from gridhub.models.serving import ADVISORY_KEY

    server = Server("pg-claim-lost", base_env(private_cluster.url), tmp_path)
    url = private_cluster.url.replace("postgres://", "postgresql://", 1)

    async def scenario() -> None:
        holder, admin = await asyncpg.connect(url), await asyncpg.connect(url)
        try:
            # a reset's exclusive lock, queued behind the server's shared claim
            resetting = asyncio.create_task(holder.execute("SELECT pg_advisory_lock($1)", ADVISORY_KEY))
            await asyncio.sleep(0.5)
            assert not resetting.done(), "the server held no claim"
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_locks "
                                "WHERE locktype = 'advisory' AND mode = 'ShareLock' AND granted")
            await asyncio.wait_for(resetting, 5)

            status, body = await asyncio.to_thread(until_health, server, "error: ServingClaimLost")
            assert (status, body["database"]) == (503, "error: ServingClaimLost"), body
            refused = await asyncio.to_thread(ask, server, READ, worker)
            assert refused[:2] == (503, ["SERVICE_UNAVAILABLE"]), refused

            name = await holder.fetchval("SELECT quote_ident(current_database())")
            await holder.execute(f"COMMENT ON DATABASE {name} IS 'gridhub: reset by the test'")  # as a reset does
            await holder.execute("SELECT pg_advisory_unlock($1)", ADVISORY_KEY)
            status, body = await asyncio.to_thread(until_health, server, "error: DatabaseReplaced")
            assert (status, body["database"]) == (503, "error: DatabaseReplaced"), body
            await asyncio.sleep(1.5)  # and it stays so
            assert (await asyncio.to_thread(health, server))[1]["database"] == "error: DatabaseReplaced"
            assert (await asyncio.to_thread(ask, server, READ, worker))[:2] == (503, ["SERVICE_UNAVAILABLE"])
        finally:
            await holder.close()
            await admin.close()

    try:
        server.wait_healthy()
        worker = server.login("worker")
        asyncio.run(scenario())
    finally:
        server.stop()
