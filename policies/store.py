"""The policy in force in this process: an AsyncEnforcer over the rules in the database,
the version it was loaded at, and the edits that change it.

Every edit is one transaction (the rule, its audit entry, the version bump); the enforcer
is then reloaded from the database, which stays the only source of truth. Other processes
learn of the new version from `policies.watcher`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import casbin
from casbin.util import key_match
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub.models import AuditEntry, CasbinRule, PolicyState

from .adapter import TortoiseAdapter, parse_policy_lines

HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "model.conf"
DEFAULT_POLICY = HERE / "default_policy.csv"


def new_enforcer() -> casbin.AsyncEnforcer:
    enforcer = casbin.AsyncEnforcer(str(MODEL_PATH), TortoiseAdapter())
    # a role granted at /a/b/* holds in every domain below /a/b/ (and never in /a/bc/)
    enforcer.add_named_domain_matching_func("g", key_match)
    return enforcer


async def seed_default_policy() -> bool:
    """Write the default policy into an empty rule table (first start)."""
    if await CasbinRule.exists():
        return False
    async with in_transaction():
        await CasbinRule.bulk_create([
            CasbinRule(ptype=line[0], **{f"v{i}": v for i, v in enumerate(line[1:])})
            for line in parse_policy_lines(DEFAULT_POLICY.read_text(encoding="utf-8"))
        ], ignore_conflicts=True)  # several processes may start on a new database at once
        await PolicyState.get_or_create(id=1, defaults={"version": 1})
    return True


async def database_version() -> int:
    state = await PolicyState.get_or_none(id=1)
    return state.version if state else 0


class PolicyStore:
    def __init__(self):
        self.enforcer = new_enforcer()
        self.version = -1
        self._lock = asyncio.Lock()
        self.listeners: list = []  # called with the new version after every local edit
        self.check_each_request = False  # set by the watcher while Redis announcements fail

    async def load(self) -> None:
        async with self._lock:
            version = await database_version()
            enforcer = new_enforcer()
            await enforcer.load_policy()
            self.enforcer, self.version = enforcer, version

    async def refresh(self, announced: int | None = None) -> bool:
        """Reload if the database (or an announcement) is ahead of what is loaded."""
        if announced is not None and announced <= self.version:
            return False
        if await database_version() == self.version:
            return False
        await self.load()
        return True

    # -- reading --------------------------------------------------------------------
    def grants_of(self, username: str) -> list[tuple[str, str]]:
        """(role, domain pattern) granted directly to a user."""
        return [(g[1], g[2]) for g in self.enforcer.get_filtered_named_grouping_policy("g", 0, username)]

    def inherited_roles(self, role: str) -> list[str]:
        """The role and every role it inherits (role-to-role grants hold in every domain)."""
        seen, todo = [], [role]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.append(current)
            todo += [g[1] for g in self.enforcer.get_filtered_named_grouping_policy("g", 0, current)
                     if g[2] == "*"]
        return seen

    def rules_of(self, role: str) -> list[list[str]]:
        """The p rules of a role: [domain, object, action, effect]."""
        return [p[1:] for p in self.enforcer.get_filtered_named_policy("p", 0, role)]

    def explain(self, username: str, domain: str, obj: str, action: str) -> tuple[bool, list[str]]:
        allowed, rule = self.enforcer.enforce_ex(username, domain, obj, action)
        return allowed, list(rule)

    def allows(self, username: str, domain: str, obj: str, action: str) -> bool:
        return self.enforcer.enforce(username, domain, obj, action)

    # -- editing --------------------------------------------------------------------
    async def edit(self, ptype: str, values: list[str], *, add: bool, actor: str, region_path: str,
                   detail: dict | None = None, also=None) -> bool:
        """Add or remove one rule, audited, bumping the version; False if nothing changed.
        `also()`, if given, runs first in the same transaction (a row the rule goes with)."""
        columns = {f"v{i}": v for i, v in enumerate(values)}
        async with in_transaction():
            if also is not None:
                await also()
            if add:
                _, changed = await CasbinRule.get_or_create(ptype=ptype, **columns)
            else:
                changed = await CasbinRule.filter(ptype=ptype, **columns).delete() > 0
            if changed:
                await AuditEntry.create(
                    actor=actor, action="grant" if ptype == "g" and add else "revoke" if ptype == "g"
                    else "add_rule" if add else "remove_rule",
                    object_kind="policy", object_id=", ".join([ptype, *values]), region_path=region_path,
                    detail=detail or {})
                await PolicyState.filter(id=1).update(version=F("version") + 1)
        if changed:
            await self.changed()
        return changed

    async def changed(self) -> None:
        """After a committed transaction that bumped the version (an edit, a re-gridding):
        reload, and tell the listeners (the watcher announces it to other processes)."""
        await self.load()
        for listener in self.listeners:
            await listener(self.version)
