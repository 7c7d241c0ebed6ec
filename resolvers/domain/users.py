"""Accounts, as an operator keeps them from the command line (`gridhub user …`): the hub
has no sign-up, and outside demo mode these are the only users there are. Each change is
one transaction with its audit entry, made by `cli:<operating-system user>`."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from gridhub.models import Department, Region, User
from gridhub.policies.store import PolicyStore

from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.identity.auth import DEMO_PASSWORD, hash_password
from gridhub.resolvers.errors import BadInput, Conflict, NotFound

MIN_PASSWORD = 10


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD or password == DEMO_PASSWORD:
        raise BadInput(f"a password has at least {MIN_PASSWORD} characters", field="password")


async def _audit(actor: str, action: str, username: str, **detail) -> None:
    # filed at the root, where the county's auditor reads: accounts belong to no grid
    root = await Region.filter(parent_id=None, deleted_at=None).order_by("id").first()
    await record_change(actor, action, "user", object_id=username, region_path=root.region_path if root else "",
                        detail=detail)


async def create_user(actor: str, username: str, password: str, *, display_name: str = "",
                      department: str | None = None) -> User:
    check_password(password)
    dept = None
    if department:
        dept = await Department.get_or_none(code=department, deleted_at=None)
        if dept is None:
            raise NotFound(f"no department {department}")
    async with in_transaction():
        if await User.exists(username=username):
            raise Conflict(f"user {username} exists", field="username")
        user = await User.create(username=username, display_name=display_name or username, department=dept,
                                 password_hash=hash_password(password))
        await _audit(actor, "create_user", username, department=department)
    return user


async def set_password(actor: str, username: str, password: str) -> None:
    check_password(password)
    async with in_transaction():
        if not await User.filter(username=username, deleted_at=None).update(password_hash=hash_password(password)):
            raise NotFound(f"no user {username}")
        await _audit(actor, "set_password", username)


async def set_active(actor: str, username: str, active: bool) -> None:
    """Disabling takes effect on the user's next request: tokens name the user, and every
    request looks the user up."""
    async with in_transaction():
        if not await User.filter(username=username, deleted_at=None).update(is_active=active):
            raise NotFound(f"no user {username}")
        await _audit(actor, "enable_user" if active else "disable_user", username)


async def bootstrap_grant(store: PolicyStore, actor: str, username: str, role: str, region_path: str) -> None:
    """A role granted by the operator, not through delegation: how the first admin of a new
    county gets `chief_policy_admin` at its root. Audited and versioned like any edit."""
    if not await User.exists(username=username, deleted_at=None):
        raise NotFound(f"no user {username}")
    if not await Region.exists(region_path=region_path, deleted_at=None):
        raise NotFound(f"no region with the path {region_path}")
    await store.load()
    await store.edit("g", [username, role, region_path + "*"], add=True, actor=actor, region_path=region_path)
