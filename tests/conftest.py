"""One database for the session, on SQLite (default) or PostgreSQL (`DATABASE_URL`),
migrated and filled with a small demo county, served by the real app."""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone
import logging
import os
import re
import tempfile
from contextvars import ContextVar

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gridhub.settings import Settings

from .client import GraphQLClient

DEMO_SCALE = 0.02


def _fresh_database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite://{tempfile.mkdtemp(prefix='gridhub-test-')}/test.sqlite3"
    if url.startswith("postgres"):
        import asyncio

        import asyncpg

        async def reset():
            conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            await conn.close()

        asyncio.run(reset())
    return url


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(database_url=_fresh_database_url(), cache_url=os.environ.get("CACHE_URL", "memory://"),
                    demo_mode=True, jwt_secret="test-secret-not-for-production-0123456789", max_page_size=500,
                    # the suite sends many requests from one client: its own tests (test_limits,
                    # test_security) run tight limits on apps of their own
                    rate_limit_requests=1_000_000, rate_limit_anonymous_requests=1_000_000,
                    login_failures_per_user=1_000_000, login_failures_per_ip=1_000_000,
                    registered_elsewhere_per_user=1_000_000,
                    # webhooks (tests/test_notices.py) are retried within the test's patience
                    handover_interval_seconds=0.5, webhook_retry_seconds=0.3)


@pytest.fixture(scope="session")
def demo_now():
    """The demo's clock: the moment the session's demo county is built, as `gridhub demo`'s."""
    from gridhub.resolvers.demo import demo_clock

    return demo_clock()


@pytest.fixture(scope="session")
async def app(settings, demo_now):
    from gridhub.app import create_app
    from gridhub.resolvers.demo import build_demo
    from gridhub.resolvers.demo.users import create_demo_users

    application = create_app(settings)
    # migrating a fresh database takes more than asgi-lifespan's 5 s on a busy machine
    async with LifespanManager(application, startup_timeout=120, shutdown_timeout=60):
        await build_demo(scale=DEMO_SCALE, now=demo_now)
        await create_demo_users()
        await application.state.store.load()
        # rows created after this are tests' own (tests that check the demo's rows skip them)
        application.state.demo_built_at = datetime.now(timezone.utc)
        yield application


@pytest.fixture(scope="session")
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def app_with(app, settings):
    """`http = await app_with(rate_limit_requests=3)`: an httpx client of another app, with
    these settings changed, on the session's database and policy store. Tortoise is
    process-wide, so this app runs no lifespan of its own: the session app's serves it.
    Its rate counters are its own (in Redis, under a prefix of their own), so a test
    starts from zero whatever ran before."""
    import uuid

    from gridhub.app import create_app

    made = []

    async def make(**changes) -> httpx.AsyncClient:
        other = create_app(settings.model_copy(update=changes))
        view = other.state.graphql
        view.store = app.state.store
        if hasattr(view.counters, "PREFIX"):
            view.counters.PREFIX = f"gridhub:rate:test-{uuid.uuid4().hex}:"
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://testserver")
        made.append((client, view))
        return client

    yield make
    for client, view in made:
        await client.aclose()
        await view.counters.close()


@pytest.fixture(scope="session")
async def anonymous(http) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture(scope="session")
async def sign_in(http):
    """`await sign_in("worker")`: a client signed in as that demo user (tokens are kept)."""
    tokens: dict[str, str] = {}

    async def client_for(username: str) -> GraphQLClient:
        if username not in tokens:
            data = await GraphQLClient(http).query(
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                u=username, p="demo")
            tokens[username] = data["login"]["token"]
        return GraphQLClient(http, tokens[username])

    return client_for


@pytest.fixture(scope="session")
async def gql(sign_in) -> GraphQLClient:
    """The county centre: reads the whole demo county, sensitive fields masked."""
    return await sign_in("county")


@pytest.fixture(scope="session")
async def worker(sign_in) -> GraphQLClient:
    """The grid worker of the anchor grid: keeps that grid's data."""
    return await sign_in("worker")


@pytest.fixture(scope="session")
async def anchors(app) -> dict[str, str]:
    from gridhub.resolvers.demo import demo_anchors

    return await demo_anchors()


_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)


_measuring: ContextVar = ContextVar("measuring", default=None)


class StatementCounter(logging.Handler):
    """Counts the statements of the code it measures, not of background tasks (the
    policy watcher's poll): tasks started inside inherit the context variable."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record):
        message = record.getMessage()
        if _measuring.get() is self and _SQL.match(message):
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_sql():
    """`with count_sql() as counter:` … `counter.count` SQL statements ran inside."""

    @contextlib.contextmanager
    def counting():
        logger = logging.getLogger("tortoise.db_client")
        counter, level = StatementCounter(), logger.level
        logger.addHandler(counter)
        logger.setLevel(logging.DEBUG)
        token = _measuring.set(counter)
        try:
            yield counter
        finally:
            _measuring.reset(token)
            logger.removeHandler(counter)
            logger.setLevel(level)

    return counting


@pytest.fixture(scope="session")
def served_hub(tmp_path_factory):
    """A real `gridhub serve` on a scratch demo database of its own (on PostgreSQL
    `<suite's>_gh_served_scratch`), for clients that need a socket: Node's, Chromium."""
    from .servers import Server, base_env, scratch_demo_database

    for url in scratch_demo_database(tmp_path_factory, "gh_served_scratch"):
        server = Server("served", {**base_env(url), "RATE_LIMIT_ANONYMOUS_REQUESTS": "100000"},
                        tmp_path_factory.mktemp("served-logs"))
        try:
            server.wait_healthy()
            yield server
        finally:
            server.stop()
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The order's seed, last, even under -q (pytest-randomly prints it only in the header)."""
    seed = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.hasplugin("randomly") and seed is not None:
        terminalreporter.write_line(f"random order seed: {seed} (replay: -p randomly --randomly-seed={seed})")
