"""What bench/peer/run and bench/peer/versus share: starting servers, and driving one with wrk
(one thread, keep-alive), whose Lua script prints one `RESULT …` line to read."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@dataclass
class Result:
    rps: float  # requests a second; for the workflow script, whole workflows a second
    p50: float  # ms, of single requests
    p99: float
    failed: int = 0  # answers that were not 2xx or not what was asked, or sockets that failed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, what: str, seconds: int = 120) -> None:
    for _ in range(seconds * 10):
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def start(stack: ExitStack, command: list[str], env: dict, health: str, what: str, cwd: Path = ROOT) -> None:
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)

    def stop():
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    stack.callback(stop)
    wait_until_up(health, process, what)


def wrk(url: str, token: str | None, body_file: str | None, concurrency: int, seconds: float,
        script: str = "post.lua", env: dict | None = None) -> Result:
    """One wrk run: `post.lua` posts BODY_FILE with TOKEN; `workflow.lua` runs M1 (its own
    env), and its rate counts whole workflows (the RESULT line's seventh number)."""
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--timeout", "30s",
                          "-s", str(HERE / script), url],
                         env={**os.environ, "BODY_FILE": body_file or "", "TOKEN": token or "", **(env or {})},
                         capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    requests, duration, p50, p99, errors, non2xx, *completed = line.split()[1:]
    done = int(completed[0]) if completed else int(requests)
    return Result(done / float(duration), int(p50) / 1000, int(p99) / 1000, int(errors) + int(non2xx))


def ratio(a: Result | None, b: Result | None) -> str:
    return f"{a.rps / b.rps:7.2f}" if a and b and not a.failed and not b.failed else f"{'—':>7}"


def cell(r: Result | None) -> str:
    if r is None:
        return f"{'—':>8} {'—':>7} {'—':>7}"
    if r.failed:  # not a number to compare: say so in the table, and go on with the others
        return f"{f'{r.failed} FAILED':>24}"
    return f"{r.rps:8.1f} {r.p50:7.1f} {r.p99:7.1f}"
