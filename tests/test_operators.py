"""What an operator meets at the command line: a database URL that cannot work, said at once;
a short signing secret refused; several workers of one server; readable lines on a
terminal and the demo's one line of where and as whom; and the systemd unit of
docs/operators.md, run as it is written."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .servers import JWT_SECRET, ROOT, Server, base_env, free_port, scratch_demo_database

OPERATORS_GUIDE = ROOT / "docs" / "operators.md"


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridhub.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def production_env(**changes: str) -> dict[str, str]:
    env = {**os.environ, "CACHE_URL": "memory://", "DEMO_MODE": "0", "JWT_SECRET": JWT_SECRET, **changes}
    env.pop("LOG_FORMAT", None)
    return env


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_sqlite_path_that_cannot_be_opened_fails_at_once(command):
    """Before: both hung, deaf to SIGTERM. The timeout is the hang's guard, not a measure."""
    done = run(command, env=production_env(DATABASE_URL="sqlite:///nonexistent/dir/x.db"), timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "DATABASE_URL: cannot open the SQLite database /nonexistent/dir/x.db: unable to open database file")


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_an_unsupported_database_is_named(command):
    done = run(command, env=production_env(DATABASE_URL="mysql://gridhub@db.internal/gridhub"), timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    said = done.stderr.strip().splitlines()[-1]
    assert "unsupported database 'mysql'" in said and "sqlite://" in said and "postgres://" in said


def test_a_short_jwt_secret_is_refused_outside_demo_mode(tmp_path):
    url = f"sqlite://{tmp_path}/secrets.sqlite3"
    for secret in ("abc", "x" * 31):
        done = run("serve", "--port", str(free_port()), env=production_env(DATABASE_URL=url, JWT_SECRET=secret),
                   timeout=30)
        assert done.returncode == 1 and "JWT_SECRET must be at least 32 bytes" in done.stderr, done.stderr
    # 32 bytes serve; so does a demo with a short one (its tokens protect nothing)
    for name, env in (("32-bytes", production_env(DATABASE_URL=url, JWT_SECRET="x" * 32)),
                      ("short-demo", production_env(DATABASE_URL=url, JWT_SECRET="abc", DEMO_MODE="1"))):
        server = Server(name, env, tmp_path)
        try:
            server.wait_healthy()
        finally:
            server.stop()


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    yield from scratch_demo_database(tmp_path_factory, f"gh_operators_{os.getpid()}")


def demo_env(url: str) -> dict[str, str]:
    """Demo mode with no secret of its own: the hub makes one."""
    env = base_env(url)
    env.pop("JWT_SECRET")
    env.pop("LOG_FORMAT", None)
    return env


def test_workers_share_the_demo_secret_and_each_logs_json(demo_database, tmp_path):
    """`--workers 2`: a token signed by either worker is good on the other (one secret made by
    the parent), and both write JSON lines with their access lines."""
    server = Server("workers", demo_env(demo_database), tmp_path, "--workers", "2")

    def logged() -> list[dict]:
        return [json.loads(line) for line in server.log_path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def answering() -> set[int]:
        return {line["pid"] for line in logged() if line["logger"] == "gridhub.access"
                and line["message"].startswith("POST")}

    try:
        server.wait_healthy(timeout=120)
        deadline = time.monotonic() + 120  # the other worker may still be starting on a busy machine
        while sum("Application startup complete" in line["message"] for line in logged()) < 2:
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.2)
        token = server.login("worker")
        with ThreadPoolExecutor(8) as pool:
            for _ in range(10):  # which worker accepts a connection is the kernel's choice
                answers = list(pool.map(lambda _: server.data("{ me { username } }", token), range(40)))
                assert answers == [{"me": {"username": "worker"}}] * 40
                if len(answering()) == 2:
                    break
    finally:
        server.stop()
    lines = logged()
    access = [line for line in lines if line["logger"] == "gridhub.access" and line["message"].startswith("POST")]
    assert len(access) >= 41 and all(line["requestId"] for line in access)
    assert len({line["pid"] for line in access}) == 2, "both workers answered"
    assert sum("GraphiQL at" in line["message"] for line in lines) == 1  # the parent's, once


def read_terminal(master: int, until: str, timeout: float = 90) -> str:
    """What a process wrote to its terminal, up to a line containing `until`."""
    seen, deadline = b"", time.monotonic() + timeout
    while until.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:  # the process is gone
                break
    return seen.decode("utf-8", errors="replace")


def test_a_terminal_gets_readable_lines_and_where_to_go(demo_database):
    port = free_port()
    master, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "gridhub.cli", "serve", "--port", str(port)], cwd=ROOT,
                               env=demo_env(demo_database), stdin=subprocess.DEVNULL, stdout=terminal,
                               stderr=terminal)
    os.close(terminal)
    try:
        shown = read_terminal(master, "Uvicorn running on")
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.close(master)
    lines = [line for line in shown.splitlines() if line.strip()]
    assert any("Uvicorn running on" in line for line in lines), shown
    assert not any(line.lstrip().startswith("{") for line in lines), shown  # no JSON at a person
    assert all(re.match(r"\d\d:\d\d:\d\d (INFO|WARNING|ERROR) ", line) for line in lines), shown
    where = [line for line in lines if "GraphiQL at" in line]
    assert len(where) == 1, shown
    assert f"http://127.0.0.1:{port}/graphql" in where[0] and f"http://127.0.0.1:{port}/admin/" in where[0]
    assert all(user in where[0] for user in ("admin", "county", "worker", "police", "password demo"))


# ---- the systemd unit of docs/operators.md, as written ------------------------------------

def guide_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", OPERATORS_GUIDE.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if containing in block)


def unit_settings(unit: str, section: str) -> list[tuple[str, str]]:
    """(key, value) of one section of a systemd unit, in order."""
    found, current = [], None
    for line in unit.splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif line and not line.startswith(("#", ";")) and current == section:
            key, _, value = line.partition("=")
            found.append((key.strip(), value.strip()))
    return found


def test_the_systemd_unit_of_the_guide(tmp_path):
    """The guide's unit, its paths pointed at this checkout and a scratch SQLite database:
    systemd finds nothing wrong in it, its ExecStartPre migrates, its ExecStart serves, and
    its KillSignal stops every worker within TimeoutStopSec."""
    import secrets

    unit = guide_block("ini", "[Service]")
    bin_dir, port = Path(sys.executable).parent, free_port()  # the checkout's venv, where gridhub is
    env_file = tmp_path / "gridhub.env"
    env_file.write_text(f"DATABASE_URL=sqlite://{tmp_path}/hub.sqlite3\nCACHE_URL=memory://\n"
                        f"JWT_SECRET={secrets.token_hex(32)}\n")
    local = (unit.replace("/opt/gridhub/.venv/bin/", f"{bin_dir}/")
             .replace("WorkingDirectory=/opt/gridhub", f"WorkingDirectory={tmp_path}")
             .replace("/etc/gridhub/gridhub.env", str(env_file)).replace("PORT=8000", f"PORT={port}"))
    assert local.count(f"{bin_dir}/gridhub") == 2 and str(env_file) in local and str(port) in local
    if shutil.which("systemd-analyze"):
        path = tmp_path / "gridhub.service"
        path.write_text(local)
        verified = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True,
                                  timeout=60)
        assert verified.returncode == 0 and str(path) not in verified.stderr, verified.stderr

    service = dict(unit_settings(local, "Service"))
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "DEMO_MODE", "JWT_SECRET")}
    for line in Path(service["EnvironmentFile"]).read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    env.update(assignment.split("=", 1) for assignment in shlex.split(service["Environment"]))
    migrated = subprocess.run(shlex.split(service["ExecStartPre"]), cwd=service["WorkingDirectory"], env=env,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0 and "migrations applied" in migrated.stdout, migrated.stderr
    log = open(tmp_path / "journal.log", "wb")
    hub = subprocess.Popen(shlex.split(service["ExecStart"]), cwd=service["WorkingDirectory"], env=env,
                           stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert hub.poll() is None and time.monotonic() < deadline, (tmp_path / "journal.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    assert json.load(answer)["status"] == "ok"
                break
            except OSError:
                time.sleep(0.2)
        hub.send_signal(getattr(signal, service["KillSignal"]))
        assert hub.wait(timeout=int(service["TimeoutStopSec"])) == 0
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()
        log.close()
    journal = [json.loads(line) for line in (tmp_path / "journal.log").read_text().splitlines() if line.strip()]
    assert sum("Started server process" in line["message"] for line in journal) == 4, "four workers"
