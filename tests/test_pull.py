"""`gridhub pull` as a department runs it, against a real server process: a pull cut off
mid-stream (the connection drops in the middle of a line) and run again ends with every
row exactly once, and both requests are in the audit trail."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from gridhub.cli.pull import last_complete_line

from .checks import every
from .servers import ROOT, base_env, running_servers, scratch_demo_database

PERSONS = """query($after: String) { persons(first: 500, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { id name idNumber tags updatedAt } } }"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """One server on a scratch demo county, exporting in small batches (many chunks)."""
    for url in scratch_demo_database(tmp_path_factory, f"gh_pull_{os.getpid()}"):
        env = {**base_env(url), "EXPORT_BATCH_SIZE": "7"}
        for servers in running_servers(env, tmp_path_factory.mktemp("pull-logs"), names=("hub",)):
            yield servers[0]


class CuttingProxy:
    """Forwards one connection to the server and drops it in the middle of the first
    exported row line after `after_bytes` bytes of the answer: a network cut mid-stream."""

    def __init__(self, port: int, after_bytes: int):
        self.port, self.after_bytes = port, after_bytes
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.forwarded = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        client, _ = self.listener.accept()
        upstream = socket.create_connection(("127.0.0.1", self.port))
        threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
        try:
            while True:
                data = upstream.recv(4096)
                if not data:
                    break
                if self.forwarded + len(data) > self.after_bytes:
                    start = max(0, self.after_bytes - self.forwarded)
                    line = data.find(b'{"row"', start)
                    if line >= 0:
                        client.sendall(data[: line + 40])  # half a line
                        self.forwarded += line + 40
                        break
                client.sendall(data)
                self.forwarded += len(data)
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)  # a FIN now, even while the other thread reads
                except OSError:
                    pass
                s.close()
            self.listener.close()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(4096):
                target.sendall(data)
        except OSError:
            pass


def gridhub_pull(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridhub.cli", "pull", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def graphql_persons(hub, token: str) -> dict[str, dict]:
    found, after = {}, None
    while True:
        page = hub.data(PERSONS, token, after=after)["persons"]
        found.update({n["id"]: n for n in page["nodes"]})
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def test_a_pull_cut_off_midway_resumes_with_every_row_once(hub, tmp_path):
    admin = hub.login("admin")
    token = hub.data('mutation { createServiceToken(username: "civil", name: "民政同步") { token } }',
                     admin)["createServiceToken"]["token"]
    out = tmp_path / "persons.ndjson"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDHUB_")}

    proxy = CuttingProxy(hub.port, after_bytes=6000)
    cut = gridhub_pull("person", "--out", str(out), "--url", proxy.url, "--token", token, env=env)
    assert cut.returncode == 3, cut.stderr  # interrupted: run again to resume
    assert "resume" in cut.stderr and "[" in cut.stderr  # and a progress bar was drawn
    partial = out.read_bytes()
    assert not partial.endswith(b"\n")  # the cut left half a line
    complete_before = partial.count(b"\n")
    assert 0 < complete_before

    resumed = gridhub_pull("person", "--out", str(out), env={**env, "GRIDHUB_URL": hub.base, "GRIDHUB_TOKEN": token})
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    rows = [line["row"] for line in lines if "row" in line]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))  # none twice
    expected = graphql_persons(hub, hub.login("civil"))
    assert set(ids) == set(expected)  # none missing
    assert every(rows, lambda r: expected[r["id"]]["idNumber"] == r["idNumber"])
    assert lines[-1]["@end"]["rows"] == len(rows) and lines[:-1] == [{"row": r, "cursor": c["cursor"]}
                                                                      for r, c in zip(rows, lines[:-1])]
    assert resumed.stdout.strip() == lines[-1]["@end"]["nextSince"]

    again = gridhub_pull("person", "--out", str(out), "--url", hub.base, "--token", token, env=env)
    assert again.returncode == 0 and "is complete" in again.stderr

    trail = hub.data("""{ auditTrail(first: 2, filter: {action: "export"}) { nodes { actor detail } } }""",
                     admin)["auditTrail"]["nodes"]
    latest, first = trail
    assert first["actor"] == latest["actor"] == "civil"
    assert not first["detail"]["complete"] and first["detail"]["rows"] >= complete_before
    assert latest["detail"]["complete"] and latest["detail"]["resumed"]
    assert first["detail"]["token"] == token[:12]


def test_refusals_are_reported(hub, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDHUB_")}
    out = tmp_path / "places.ndjson"
    refused = gridhub_pull("place", "--out", str(out), "--url", hub.base, "--token", hub.login("civil"), env=env)
    assert refused.returncode == 1 and "refused (403): you may not export place" in refused.stderr
    missing = gridhub_pull("place", "--out", str(out), env=env)
    assert missing.returncode == 2


@pytest.mark.parametrize("status, code", [(429, "RATE_LIMITED"), (503, "SERVICE_UNAVAILABLE")])
def test_a_busy_hub_means_run_again_later(tmp_path, capsys, status, code):
    """Past the rate limit (429) or while its database is away (503) the hub says "later":
    the pull exits 3 (run it again) with the wait, not 1 (refused). The hub's side of both
    answers is tested in test_limits and test_faults; here a stand-in sends their shape."""
    import http.server
    import threading

    from gridhub.cli.pull import EXIT_INTERRUPTED, pull

    class Busy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"errors": [{"message": "try later", "extensions": {"code": code}}]}).encode()
            self.send_response(status)
            for name, value in (("Retry-After", "7"), ("Content-Type", "application/json"),
                                ("Content-Length", str(len(body)))):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = pull("person", tmp_path / "persons.ndjson", url=f"http://127.0.0.1:{server.server_port}",
                    token="ghs_test", show_progress=False)
    finally:
        server.shutdown()
    assert done == EXIT_INTERRUPTED
    assert f"busy ({status}): try later; run the same command again in 7 s" in capsys.readouterr().err


@pytest.mark.parametrize("content, kept, last", [
    (b"", b"", None),
    (b'{"a"', b"", None),
    (b'{"a":1}\n', b'{"a":1}\n', b'{"a":1}'),
    (b'{"a":1}\n{"b":2}\n{"c"', b'{"a":1}\n{"b":2}\n', b'{"b":2}'),
    (b'{"a":1}\n' + b"x" * 200_000 + b"\n" + b"y" * 70_000, b'{"a":1}\n' + b"x" * 200_000 + b"\n", b"x" * 200_000),
])
def test_resuming_drops_a_half_written_line(tmp_path, content, kept, last):
    path = tmp_path / "partial.ndjson"
    path.write_bytes(content)
    assert last_complete_line(path) == last
    assert path.read_bytes() == kept
