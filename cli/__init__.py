"""The `gridhub` command.

    gridhub serve [--workers N]  serve /graphql (GraphiQL in a browser) and /healthz
    gridhub demo [--reset] [--now T]   build the deterministic demo county, as of now (or T)
    gridhub migrate            apply the schema migrations
    gridhub export-schema      write the SDL to schema.graphql
    gridhub bulletin --region P --week W   a region's weekly grid bulletin
    gridhub prune              delete old notices and webhook deliveries
    gridhub pull KIND --out F  pull a kind from a hub into an NDJSON file (resumable; cli/pull.py)
    gridhub user add|passwd|disable|enable|grant   the operator's accounts (cli/accounts.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from starlette.applications import Starlette
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from gridhub.app import check_database, check_settings, create_app, prepare_database
from gridhub.models.database import init_database, reset_database
from gridhub.models.serving import DatabaseServed
from gridhub.resolvers.domain.access import broken_grants_in_force
from gridhub.schema import schema
from gridhub.settings import Settings, tortoise_config
from gridhub.web import observability

from . import accounts, pull

log = logging.getLogger("gridhub")
SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """uvicorn's loggers go through ours; the access line is written by
    observability.RequestMetrics, inside the request, with its id and user. Several workers
    are processes of their own, each making its app (`serve_worker`): the database is
    migrated and seeded once before they start, and a demo's random signing secret is made
    once and handed to them, so that a token from one is good on every other."""
    import uvicorn

    settings = check_settings(settings)
    if settings.demo_mode:
        log.info(demo_banner(host, port))
    # X-Forwarded-For is the app's to judge, from settings.trusted_proxies only
    # (gateway.client_ip): uvicorn's own would believe any loopback peer
    options = {"host": host, "port": port, "log_config": None, "access_log": False, "proxy_headers": False,
               # the fastest stack uvicorn has (both dependencies; docs/performance.md)
               "loop": "uvloop" if sys.platform != "win32" else "asyncio", "http": "httptools",
               # a subscription's change is made once per group, but compressed per socket
               # (docs/reliability.md, section 8)
               "ws_per_message_deflate": settings.websocket_compression}
    if workers <= 1:
        uvicorn.run(create_app(settings), **options)
        return
    asyncio.run(_prepared(settings))
    os.environ["JWT_SECRET"] = settings.jwt_secret
    # a worker imports the whole hub before it answers the parent's health check: on a busy
    # machine that takes longer than uvicorn's 5 s, and the parent would kill it as hung
    uvicorn.run("gridhub.cli:serve_worker", factory=True, workers=workers, timeout_worker_healthcheck=60, **options)


def serve_worker() -> Starlette:
    """The app of one worker of `gridhub serve --workers N`, from the environment the parent
    hands down, logging as the parent does."""
    settings = Settings()
    observability.configure_logging(settings.log_format)
    return create_app(settings, migrate=False)


async def _prepared(settings: Settings) -> None:
    try:
        await prepare_database(settings)
    finally:
        await Tortoise.close_connections()


def demo_banner(host: str, port: int) -> str:
    """The line a person trying the demo needs: where to go, and as whom."""
    from gridhub.resolvers.demo.users import DEMO_USERS

    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    return (f"Gridhub demo: GraphiQL at {base}/graphql, policy console at {base}/admin/; "
            f"demo users (password demo): {', '.join(u[0] for u in DEMO_USERS)}")


def export_schema(path: Path = SCHEMA_FILE) -> str:
    text = schema.as_str() + "\n"
    path.write_text(text, encoding="utf-8")
    return text


async def _demo(settings: Settings, reset: bool, scale: float, seed: int, now: datetime | None) -> None:
    from gridhub.resolvers.demo import build_demo
    from gridhub.resolvers.demo.users import create_demo_users

    await init_database(settings)
    try:
        from gridhub import models

        if await models.Region.exists():
            if not reset:
                print("the database already holds data; `gridhub demo --reset` rebuilds it")
                return
            await reset_database(settings)  # build_demo and create_demo_users seed what they need
        counts = await build_demo(scale=scale, seed=seed, now=now)
        users = await create_demo_users()
        print("demo county built:", ", ".join(f"{k} {v}" for k, v in counts.items()))
        print("demo users (password demo):", ", ".join(users))
    finally:
        await Tortoise.close_connections()


async def _bulletin(settings: Settings, region_path: str, week: str, form: str) -> int:
    """The weekly bulletin from the resolver `gridScorecard` uses, over everything (an operator's tool).
    Returns the exit status: 2, as argparse's, for an unknown region or a malformed week."""
    from gridhub.policies.scope import Scope
    from gridhub.resolvers.domain import scorecard
    from gridhub.resolvers.errors import BadInput, NotFound

    await init_database(settings, migrate=False)
    data, refused = None, None
    try:
        data = await scorecard.bulletin(Scope.everything(), region_path, week, settings.score_weights)
    except (NotFound, BadInput) as e:  # the operator's arguments are wrong: the reason, no traceback
        refused = e
    finally:
        await Tortoise.close_connections()
    if refused is not None:  # said last, after what closing the database logs
        print(f"{refused.code}: {refused.message}", file=sys.stderr)
        return 2
    print(scorecard.bulletin_json(data) if form == "json" else scorecard.bulletin_markdown(data), end="")
    return 0


async def _prune(settings: Settings, notice_days: int | None, delivery_days: int | None) -> None:
    """Old notices and webhook deliveries deleted now (the server does it every hour)."""
    from gridhub.resolvers.domain.retention import prune

    await init_database(settings, migrate=False)
    try:
        gone = await prune(settings.notice_retention_days if notice_days is None else notice_days,
                           settings.webhook_delivery_retention_days if delivery_days is None else delivery_days,
                           datetime.now(timezone.utc))
    finally:
        await Tortoise.close_connections()
    print(json.dumps(gone))


async def _migrate(settings: Settings) -> None:
    await run_migrations(config=tortoise_config(settings.database_url))
    await Tortoise.close_connections()
    print("migrations applied")
    await init_database(settings, migrate=False)
    try:
        broken = await broken_grants_in_force()
    finally:
        await Tortoise.close_connections()
    # listed, never dropped: an admin decides what becomes of each
    for line in broken:
        print(f"breaks the delegation rules: {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gridhub", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the hub")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes on the one port (share DATABASE_URL, and CACHE_URL=redis://… for "
                            "subscriptions and shared limits)")
    demo = commands.add_parser("demo", help="build the demo county")
    demo.add_argument("--reset", action="store_true", help="delete what the database holds first")
    demo.add_argument("--scale", type=float, default=1.0, help="1.0 is a Nanling-sized county")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--now", type=datetime.fromisoformat, metavar="TIME",
                      help="the demo's clock, e.g. 2026-11-01T08:00:00Z (China time without an offset); "
                           "by default the moment it is built")
    commands.add_parser("migrate", help="apply migrations")
    commands.add_parser("export-schema", help="write schema.graphql")
    bulletin = commands.add_parser("bulletin", help="print a region's weekly grid bulletin (周通报)")
    bulletin.add_argument("--region", required=True, help="a region path, e.g. /340223/340223100/")
    bulletin.add_argument("--week", required=True, help="an ISO week, e.g. 2026-W47")
    bulletin.add_argument("--format", choices=("md", "json"), default="md")
    pruning = commands.add_parser("prune", help="delete old notices and webhook deliveries (the server does it "
                                                "every hour)")
    pruning.add_argument("--notice-days", type=int, help="keep notices this many days (default: "
                                                         "NOTICE_RETENTION_DAYS; 0 keeps all)")
    pruning.add_argument("--delivery-days", type=int, help="keep answered or given-up webhook deliveries this "
                                                           "many days (default: WEBHOOK_DELIVERY_RETENTION_DAYS)")
    pull_parser = commands.add_parser("pull", help="pull a kind into an NDJSON file (resumable)")
    pull.add_arguments(pull_parser)
    accounts.add_arguments(commands.add_parser("user", help="create users, set passwords, disable, grant"))
    args = parser.parse_args(argv)
    if args.command == "pull":  # a client of a hub: no database, settings or logging of its own
        raise SystemExit(pull.main(args))
    settings = Settings()
    observability.configure_logging(settings.log_format)
    if args.command != "export-schema":
        check_database(settings)

    if args.command == "serve":
        run_server(settings, args.host or settings.host, args.port or settings.port, args.workers)
    elif args.command == "demo":
        try:
            asyncio.run(_demo(settings, args.reset, args.scale, args.seed, args.now))
        except DatabaseServed as refused:
            raise SystemExit(f"gridhub demo --reset: {refused}") from None
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "user":
        raise SystemExit(accounts.main(args, init_database, settings))
    elif args.command == "bulletin":
        raise SystemExit(asyncio.run(_bulletin(settings, args.region, args.week, args.format)))
    elif args.command == "prune":
        asyncio.run(_prune(settings, args.notice_days, args.delivery_days))
    elif args.command == "export-schema":
        export_schema()
        print(f"wrote {SCHEMA_FILE}")


