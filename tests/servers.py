"""Real server processes for end-to-end tests across processes: a scratch database with
the demo county, and `gridhub serve` on a free loopback port."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "multiprocess-test-secret-0123456789abcdef"  # shared: a token from A is valid on B
POLL = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(database_url: str, cache_url: str = "memory://") -> dict[str, str]:
    # the tests drive servers faster than a person: rate limits are tested on their own
    return {**os.environ, "DATABASE_URL": database_url, "CACHE_URL": cache_url, "DEMO_MODE": "1",
            "JWT_SECRET": JWT_SECRET, "RATE_LIMIT_REQUESTS": "1000000"}


def gridhub(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "gridhub.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"gridhub {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


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


def redis_available() -> bool:
    try:
        pong = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True,
                              text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return pong.returncode == 0 and pong.stdout.strip() == "PONG"


def scratch_database(directory: Path, name: str):
    """A fresh, empty database, dropped afterwards: a file in `directory` on SQLite, or `name`
    on the suite's PostgreSQL server (never the suite's own database). A generator: iterate
    once (`for url in …`, or `yield from` in a fixture)."""
    suite_url = os.environ.get("DATABASE_URL", "")
    drop = None
    if suite_url.startswith("postgres"):
        parts = urllib.parse.urlsplit(suite_url)
        # named after the suite's database too, so suites on other databases of one server
        # (developers' worktrees, side by side) never drop each other's scratch databases
        name = f"{parts.path.lstrip('/')}_{name}"
        url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        _pg_admin(suite_url, drop, f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite://{directory}/hub.sqlite3"
    try:
        yield url
    finally:
        if drop:
            _pg_admin(suite_url, drop)


def scratch_demo_database(tmp_path_factory, pg_database: str):
    """A fresh database with the small demo county (scratch_database), dropped afterwards."""
    for url in scratch_database(tmp_path_factory.mktemp(pg_database), pg_database):
        gridhub("migrate", env=base_env(url))
        built = gridhub("demo", "--scale", "0.02", env=base_env(url))
        assert "demo county built" in built.stdout, built.stdout
        yield url


class Server:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *args: str, command: list[str] | None = None):
        """`args`: more of `gridhub serve`'s options (`--workers 2`); `command`: how to start
        `gridhub serve` (by default this checkout's, with this Python)."""
        self.name = name
        self.env = env  # also for the CLI on the same database (`gridhub user …`)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{name}.log"
        self._log = open(self.log_path, "wb")  # a file, not a pipe nobody reads (it would fill up)
        self.process = subprocess.Popen(
            [*(command or [sys.executable, "-m", "gridhub.cli", "serve"]), "--host", "127.0.0.1", "--port",
             str(self.port), *args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def wait_healthy(self, timeout: float = 60, *, cache_down: bool = False) -> None:
        """Until /healthz answers; with `cache_down`, Redis is expected to be unreachable and
        the server to serve regardless (degraded, 200)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server {self.name} exited with {self.process.returncode}:\n"
                                     f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as r:
                    health = json.load(r)
                if cache_down:
                    assert (health["status"], health["database"]) == ("degraded", "ok"), health
                    assert health["cache"].startswith("error"), health
                else:
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


def running_servers(env: dict[str, str], log_dir: Path, names=("A", "B"), *, cache_down: bool = False):
    """Start one `gridhub serve` per name, wait until all are healthy, stop them afterwards."""
    started: list[Server] = []
    try:
        for name in names:
            started.append(Server(name, env, log_dir))
        for server in started:
            server.wait_healthy(cache_down=cache_down)
        yield started
    finally:
        for server in started:
            server.stop()
