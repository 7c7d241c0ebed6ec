"""`gridhub user …`: the operator's accounts commands (the hub has no sign-up).

    gridhub user add NAME [--display-name 张三] [--department civil_affairs]
    gridhub user passwd NAME
    gridhub user disable NAME | enable NAME
    gridhub user grant NAME ROLE REGION_PATH     # the first admin: chief_policy_admin /340223/

Passwords are read from the terminal without echo, or from stdin when it is not one
(`printf '%s\\n' "$PASSWORD" | gridhub user add …`), never from the command line, where
other users of the machine could read them. Grants after the first are made by admins in
the console or through `grantRole`, where delegation rules apply."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys

from tortoise import Tortoise

from gridhub.resolvers.domain import users
from gridhub.resolvers.errors import GridhubError


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SystemExit("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def add_arguments(parser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create a user (password from the terminal or stdin)")
    add.add_argument("username")
    add.add_argument("--display-name", default="")
    add.add_argument("--department", help="a department code, e.g. civil_affairs")
    for name in ("passwd", "disable", "enable"):
        actions.add_parser(name).add_argument("username")
    grant = actions.add_parser("grant", help="grant a role at a region path (bootstrap)")
    grant.add_argument("username")
    grant.add_argument("role")
    grant.add_argument("region_path", help="e.g. /340223/")


async def run(args, init_database, settings) -> None:
    from gridhub.policies.store import PolicyStore

    actor = f"cli:{getpass.getuser() or os.getuid()}"
    await init_database(settings, migrate=False)
    try:
        if args.action == "add":
            await users.create_user(actor, args.username, read_password(), display_name=args.display_name,
                                    department=args.department)
        elif args.action == "passwd":
            await users.set_password(actor, args.username, read_password())
        elif args.action in ("disable", "enable"):
            await users.set_active(actor, args.username, args.action == "enable")
        elif args.action == "grant":
            await users.bootstrap_grant(PolicyStore(), actor, args.username, args.role, args.region_path)
    finally:
        await Tortoise.close_connections()


def main(args, init_database, settings) -> int:
    try:
        asyncio.run(run(args, init_database, settings))
    except GridhubError as refused:
        print(f"{refused.code}: {refused.message}", file=sys.stderr)
        return 1
    print(f"{args.action} {args.username}: done")
    return 0
