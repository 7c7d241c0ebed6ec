"""The installed package, as an operator gets it: the wheel built from this checkout, installed
non-editable into a fresh virtual environment beside PyPI distributions that take the generic
top-level names (`schema`, `policies`, `pull`), serves /graphql, GraphiQL with its assets,
/admin, a QR code, migrations and the default policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from .servers import JWT_SECRET, Server

ROOT = Path(__file__).resolve().parent.parent
NEIGHBOURS = ("schema", "policies", "pull")  # each installs a top-level module of that name


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ of a fresh venv holding the wheel and the neighbours."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the install does not depend on the database: checked once, in the SQLite pass")
    where = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(where / "dist"), str(ROOT))
    wheel = next((where / "dist").glob("gridhub-*.whl"))
    run(sys.executable, "-m", "venv", str(where / "venv"))
    bin_ = where / "venv" / "bin"
    run(str(bin_ / "pip"), "install", "--quiet", str(wheel), *NEIGHBOURS)
    return bin_


def test_the_wheel_works_beside_neighbours_that_take_generic_names(installed, tmp_path):
    python = str(installed / "python")
    for name in NEIGHBOURS:  # the neighbours really hold those names
        spec = run(python, "-c", f"import importlib.util as u; print(u.find_spec('{name}').origin)",
                   cwd=tmp_path).stdout  # away from the checkout, whose top level would be found first
        assert "site-packages" in spec and "gridhub" not in spec, spec
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path}/hub.sqlite3", "CACHE_URL": "memory://",
           "DEMO_MODE": "1", "JWT_SECRET": JWT_SECRET, "RATE_LIMIT_REQUESTS": "1000000"}
    env.pop("PYTHONPATH", None)
    gridhub = str(installed / "gridhub")
    assert "migrations applied" in run(gridhub, "migrate", env=env, cwd=tmp_path).stdout
    assert "demo county built" in run(gridhub, "demo", "--scale", "0.02", env=env, cwd=tmp_path).stdout
    server = Server("wheel", env, tmp_path, command=[gridhub, "serve"])
    try:
        server.wait_healthy()
        token = server.data('mutation { login(username: "worker", password: "demo") { token } }')["login"]["token"]
        places = server.data("{ places(first: 1) { nodes { id } } rules: me { roles { role } } }", token)
        assert places["rules"]["roles"] == [{"role": "grid_worker"}]  # the default policy, seeded
        place = places["places"]["nodes"][0]["id"]
        for path, accept, wanted in [("/graphql", "text/html", b"graphiql"), ("/admin/", "text/html", b"<html"),
                                     ("/static/graphiql/graphiql@3.8.3/graphiql.min.js", "*/*", b"GraphiQL")]:
            request = urllib.request.Request(server.base + path, headers={"Accept": accept})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200 and wanted in response.read(), path
        request = urllib.request.Request(f"{server.base}/places/{place}/qr.svg",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200 and b"<svg" in response.read()
    finally:
        server.stop()
    where = run(python, "-c", "import gridhub.app, json; print(json.dumps(gridhub.app.__file__))", cwd=tmp_path)
    assert json.loads(where.stdout).startswith(str(installed.parent))  # the installed copy, not the checkout
