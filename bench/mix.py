"""The fixed query mix of bench/run and bench/explain, as the demo roles ask it: the
operations, the ids they need, and a trace of the SQL each one runs."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The benchmarks send thousands of requests a minute as one user: the per-user rate limit
# would measure itself. Set for the in-process app and inherited by the served one.
os.environ.setdefault("RATE_LIMIT_REQUESTS", str(10**9))
os.environ.setdefault("JWT_SECRET", "bench-only-secret-0123456789abcdef")

OPEN = "[REPORTED, ACCEPTED, DISPATCHED, HANDLING]"
MIX = {
    "Q1": ("worker", """query($grid: ID!) { persons(first: 50, filter: {region: $grid}) { nodes {
            name idNumber tags household { code members { name relationToHead } } residence { name address } } } }"""),
    "Q2": ("town", """query($town: ID!) { events(first: 100, filter: {region: $town, status: %s},
            orderBy: [{field: OCCURRED_AT, direction: DESC}]) { nodes { title status dueAt place { name }
            reporter { name } log { action toStatus at } } } }""" % OPEN),
    "Q3": ("county", """query($county: ID!) { eventStats(region: $county, groupBy: [CHILD_REGION, STATUS]) {
            total groups { key { status region { name } } count onTimeRate } } }"""),
    "Q4": ("police", """{ persons(first: 500, filter: {tags: ["key"]}) { nodes { name idNumber phone tags } } }"""),
    "Q5": ("county", """query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Person { name region { name } } } }"""),
}
M1 = ("worker", "community")  # report as the worker; accept and dispatch as the community


class Client:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http
        self.tokens: dict[str, str] = {}

    async def login(self, username: str) -> None:
        data = await self.post(None, 'mutation($u: String!) { login(username: $u, password: "demo") { token } }',
                               {"u": username})
        self.tokens[username] = data["login"]["token"]

    async def post(self, user: str | None, query: str, variables: dict) -> dict:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        return body["data"]


async def fixtures(client: Client) -> dict:
    """Ids the mix needs: the worker's grid, the town, the county, persons for node lookups."""
    me = await client.post("worker", "{ me { roles { region { id path } } } }", {})
    grid = me["me"]["roles"][0]["region"]["id"]
    town = (await client.post("town", "{ me { roles { region { id } } } }", {}))["me"]["roles"][0]["region"]["id"]
    county = (await client.post("county", "{ me { roles { region { id } } } }", {}))["me"]["roles"][0]["region"]["id"]
    persons = await client.post("county", "{ persons(first: 20) { nodes { id } } }", {})
    department = (await client.post("county", "{ departments { id code } }", {}))["departments"]
    return {"grid": grid, "town": town, "county": county, "ids": [p["id"] for p in persons["persons"]["nodes"]],
            "public_security": next(d["id"] for d in department if d["code"] == "public_security")}


async def run_m1(client: Client, ids: dict) -> None:
    """Report, accept and dispatch one event: three mutations, each one transaction. The
    event occurred before any of the demo's, so that the open events M1 leaves behind in
    the worker's town never enter Q2's page of the latest ones (bench/handwritten.py too)."""
    reported = await client.post(M1[0], """mutation($g: ID!) { reportEvent(input: {title: "压测事件", kind: HAZARD,
        category: "safety/fire", source: PATROL, occurredAt: "2026-06-01T08:00:00Z", regionId: $g}) { id } }""",
                                 {"g": ids["grid"]})
    event = reported["reportEvent"]["id"]
    await client.post(M1[1], "mutation($e: ID!) { acceptEvent(id: $e) { status } }", {"e": event})
    await client.post(M1[1], "mutation($e: ID!, $d: ID!) { dispatchEvent(id: $e, department: $d) { status } }",
                      {"e": event, "d": ids["public_security"]})


async def run_one(client: Client, name: str, ids: dict) -> None:
    if name == "M1":
        return await run_m1(client, ids)
    user, query = MIX[name]
    await client.post(user, query, ids)


def users_of(names: list[str]) -> set[str]:
    found = {MIX[n][0] for n in names if n in MIX}
    return found | (set(M1) if "M1" in names else set()) | {"worker", "town", "county"}


async def trace_statements(names: list[str]) -> dict[str, list[tuple[str, tuple]]]:
    """Each operation once, in-process: the SQL statements it runs, with their parameters."""
    from asgi_lifespan import LifespanManager

    from gridhub.app import create_app
    from gridhub.settings import Settings

    traced: list[tuple[str, tuple]] = []

    class Tracer(logging.Handler):
        def emit(self, record):
            query = str(record.args[0] if record.args else record.msg)
            if query.lstrip().split(" ", 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                values = record.args[1] if record.args and len(record.args) > 1 else ()
                traced.append((query, tuple(values or ())))

    app = create_app(Settings(demo_mode=True, jwt_secret=os.environ["JWT_SECRET"]), migrate=False)
    logger = logging.getLogger("tortoise.db_client")
    tracer = Tracer()
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            client = Client(http)
            for user in users_of(names):
                await client.login(user)
            ids = await fixtures(client)
            result = {}
            logger.addHandler(tracer)
            logger.setLevel(logging.DEBUG)
            try:
                for name in names:
                    traced.clear()
                    await run_one(client, name, ids)
                    result[name] = list(traced)
            finally:
                logger.setLevel(logging.WARNING)
                logger.removeHandler(tracer)
    return result
