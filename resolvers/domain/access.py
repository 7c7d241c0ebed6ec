"""Policy administration: rules, role grants, explanations, the audit trail and service
tokens. Each check asks the enforcer about one node (DESIGN: single-record checks may);
each edit goes through `PolicyStore.edit`, one audited transaction that bumps the version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gridhub.models import AuditEntry, Region, ServiceToken, User
from gridhub.policies.delegation import broken_grants, grant_refusals, rule_refusals
from gridhub.policies.predicate import FALSE, Compare
from gridhub.policies.scope import ACTIONS, Scope
from gridhub.policies.store import PolicyStore

from gridhub.resolvers.domain import workflow
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.identity.auth import create_service_token as make
from gridhub.resolvers.errors import BadInput, Forbidden, NotFound
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.write.validation import check_region_path

RULE_ACTIONS = (*ACTIONS, "grant", "delegate")
WORKFLOW_ACTIONS = workflow.VERBS  # the steps' verbs, and sending to a department
_OBJECT = re.compile(r"^([a-z_]+(\.[a-z_]+)?(:[a-z0-9_*./]+)?|role:[a-z_.*]+)$")
_ROLE = re.compile(r"^[a-z_]+(\.[a-z_]+)?$")


@dataclass
class PolicyRule:
    role: str
    domain: str
    object: str
    action: str
    effect: str


@dataclass
class RoleGrant:
    username: str
    role: str
    domain: str

    @property
    def region_path(self) -> str:
        return self.domain.rstrip("*")


def _require(store: PolicyStore, actor: str, domain: str, obj: str, action: str) -> None:
    if not store.allows(actor, domain, obj, action):
        raise Forbidden(f"you may not {action} {obj} at {domain}")


async def _root_paths() -> list[str]:
    return [r.region_path for r in await Region.filter(parent_id=None, deleted_at=None)]


async def _check_domain_pattern(domain: str) -> list[str]:
    """The concrete region paths a rule's domain covers at the top: `*` covers every root."""
    if domain == "*":
        return await _root_paths()
    path = domain[:-1] if domain.endswith("*") else domain
    if "*" in path:
        raise BadInput("a domain is *, a region path, or a region path followed by *", field="domain")
    return [check_region_path(path, field="domain")]


def _policy_roots(store: PolicyStore, actor: str) -> list[str]:
    """The nodes whose subtrees the caller may read the policy of (`""`: everywhere): for
    each grant, where it meets the domains of the `policy read` rules of its roles."""
    roots = []
    for granted_role, grant_domain in store.grants_of(actor):
        granted = grant_domain.rstrip("*")
        for role in store.inherited_roles(granted_role):
            for rule_domain, obj, action, *effect in store.rules_of(role):
                if (obj, action) != ("policy", "read") or effect[:1] == ["deny"]:
                    continue
                path = rule_domain.rstrip("*")
                if path.startswith(granted):
                    roots.append(path)
                elif granted.startswith(path) and (rule_domain.endswith("*") or granted == path):
                    roots.append(granted)
    return roots


def _rule_reaches(domain: str, roots: list[str]) -> bool:
    """Whether a rule's domain takes effect anywhere in those subtrees: `*`, a node inside
    one, or (with its `*`) a node above one, whose subtree holds it."""
    if domain == "*":
        return True
    path = domain.rstrip("*")
    return any(path.startswith(root) or (domain.endswith("*") and root.startswith(path)) for root in roots)


def policy_rules(store: PolicyStore, scope: Scope, role: str | None = None,
                 actor: str | None = None) -> list[PolicyRule]:
    """The rules that take effect where the caller may read the policy: a town's admin sees
    the rules of every domain (`*`), of the county above it and of its town, never another
    town's. Without an actor (internal callers), every rule."""
    if scope.where("policy", "read") == FALSE:
        raise Forbidden("you may not read the policy")
    roots = _policy_roots(store, actor) if actor is not None else [""]
    found = []
    for line in store.enforcer.get_policy():
        if (role is None or line[0] == role) and _rule_reaches(line[1], roots):
            found.append(PolicyRule(line[0], line[1], line[2], line[3], line[4] if len(line) > 4 else "allow"))
    return found


def role_grants(store: PolicyStore, scope: Scope, username: str | None = None,
                region_path: str | None = None) -> list[RoleGrant]:
    """Grants of roles to users whose node lies in what the caller may read of the policy."""
    visible = scope.where("policy", "read")
    grants = []
    for user, role, domain in store.enforcer.get_named_grouping_policy("g"):
        grant = RoleGrant(user, role, domain)
        if username and user != username:
            continue
        if region_path and not grant.region_path.startswith(region_path):
            continue
        if domain != "*" and visible.matches(_AtPath(grant.region_path)):
            grants.append(grant)
    return grants


class _AtPath:
    def __init__(self, region_path: str):
        self.region_path = region_path


@dataclass
class UserAccount:
    username: str
    display_name: str
    is_active: bool
    department_id: int | None
    roles: list[RoleGrant]


async def users(store: PolicyStore, scope: Scope, text: str | None = None) -> list[UserAccount]:
    """The users an admin may see: those holding a role at a node where it may read users
    (an admin of every root sees every user, those without a role too), each with the grants
    at nodes where it may read the policy, like `role_grants`."""
    readable = scope.where("user", "read")
    if readable == FALSE:
        raise Forbidden("you may not read users")
    policy = scope.where("policy", "read")
    everywhere = all(readable.matches(_AtPath(root)) for root in await _root_paths())
    grants: dict[str, list[RoleGrant]] = {}
    for user, role, domain in store.enforcer.get_named_grouping_policy("g"):
        grants.setdefault(user, []).append(RoleGrant(user, role, domain))
    in_reach = {name for name, held in grants.items()
                if any(g.domain != "*" and readable.matches(_AtPath(g.region_path)) for g in held)}
    query = User.filter(deleted_at=None)
    if not everywhere:
        query = query.filter(username__in=sorted(in_reach))
    if text:
        query = query.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    found = []
    for user in await query.order_by("username"):
        held = grants.get(user.username, [])
        if everywhere or user.username in in_reach:
            found.append(UserAccount(user.username, user.display_name, user.is_active, user.department_id,
                                     [g for g in held if g.domain != "*" and policy.matches(_AtPath(g.region_path))]))
    return found


async def _region_by_path(scope: Scope, region_path: str) -> Region:
    region = await rows(scope, "region", Compare("region_path", "eq", region_path)).first()
    if region is None:
        raise NotFound("no region with this path")
    return region


async def grant_role(store: PolicyStore, actor: str, username: str, role: str, region_path: str,
                     *, revoke: bool = False) -> RoleGrant:
    if not await User.exists(username=username, deleted_at=None):
        raise NotFound(f"no user {username}")
    if not _ROLE.match(role or ""):
        raise BadInput("not a role name", field="role")
    region = await Region.get_or_none(region_path=region_path, deleted_at=None)
    if region is None:
        raise NotFound("no region with this path")
    if revoke:  # taking away needs only the right to grant it there
        _require(store, actor, region_path, f"role:{role}", "grant")
    else:
        refusals = grant_refusals(store, actor, username, role, region_path, region.tier.value)
        if refusals:
            raise Forbidden("; ".join(refusals), reasons=refusals)
    grant = RoleGrant(username, role, region_path + "*")
    changed = await store.edit("g", [username, role, grant.domain], add=not revoke, actor=actor,
                               region_path=region_path)
    if revoke and not changed:
        raise NotFound(f"{username} does not hold {role} at {region_path}")
    return grant


async def edit_rule(store: PolicyStore, actor: str, rule: PolicyRule, *, remove: bool = False) -> PolicyRule:
    if not _ROLE.match(rule.role or ""):
        raise BadInput("not a role name", field="role")
    if not _OBJECT.match(rule.object or "") or "//" in rule.object or rule.object.endswith("/"):
        raise BadInput("an object is a kind, kind:facet, kind.field or role:name", field="object")
    if rule.action not in (*RULE_ACTIONS, *WORKFLOW_ACTIONS):
        raise BadInput(f"unknown action {rule.action}", field="action")
    if rule.effect not in ("allow", "deny"):
        raise BadInput("effect is allow or deny", field="effect")
    paths = await _check_domain_pattern(rule.domain)
    roots = await _root_paths()
    county_wide = all(store.allows(actor, root, "policy", "update") for root in roots)
    for path in paths:
        _require(store, actor, path, "policy", "update")
        # A subtree admin shapes only roles it may grant there, with rights it may hand out
        # there; no admin makes a role that both administers and reads data (delegation.py).
        refusals = [] if remove else rule_refusals(store, actor, rule.role, rule.object, rule.action,
                                                   rule.effect, path, county_wide)
        if refusals:
            raise Forbidden("; ".join(refusals), reasons=refusals)
        if remove and not county_wide:
            _require(store, actor, path, f"role:{rule.role}", "grant")
    # audited where the rule applies: a `*` rule at the root (with one root), so the trail of
    # the county shows it (an empty path would be in no one's scope of `audit`)
    audited_at = paths[0] if rule.domain == "*" and len(paths) == 1 else rule.domain.rstrip("*")
    changed = await store.edit("p", [rule.role, rule.domain, rule.object, rule.action, rule.effect],
                               add=not remove, actor=actor, region_path=audited_at)
    if remove and not changed:
        raise NotFound("no such rule")
    return rule


async def explain_access(store: PolicyStore, actor: str, username: str, action: str, obj: str,
                         region_path: str, grantee: str | None = None) -> tuple[bool, list[str], list[str]]:
    """Whether `username` may take `action` on `obj` at the node, the rule that decided, and
    the reasons it may not. A grant (`grant`, `role:<name>`) with a `grantee` is explained
    as `grantRole` decides it: every bound of delegation that refuses it."""
    _require(store, actor, region_path, "policy", "read")
    if not await User.exists(username=username, deleted_at=None):
        raise NotFound(f"no user {username}")
    allowed, rule = store.explain(username, region_path, obj, action)
    if action == "grant" and obj.startswith("role:") and grantee is not None:
        region = await Region.get_or_none(region_path=region_path, deleted_at=None)
        reasons = grant_refusals(store, username, grantee, obj[len("role:"):], region_path,
                                 region.tier.value if region else "")
        return not reasons, rule, reasons
    return allowed, rule, [] if allowed else [f"no rule allows {username} to {action} {obj} at {region_path}"]


async def _user_for_admin(store: PolicyStore, actor: str, username: str) -> User:
    """A user an admin may manage: every node the user holds a role at is in its reach."""
    user = await User.get_or_none(username=username, deleted_at=None)
    if user is None:
        raise NotFound(f"no user {username}")
    domains = [d.rstrip("*") for _, d in store.grants_of(username)] or await _root_paths()
    for path in domains:
        _require(store, actor, path, "user", "update")
    return user


async def create_service_token(store: PolicyStore, actor: str, username: str, name: str):
    if not (name or "").strip():
        raise BadInput("a service token needs a name", field="name")
    user = await _user_for_admin(store, actor, username)
    async with in_transaction():
        token, row = await make(user, name.strip(), actor)
        await record_change(actor, "create_token", "user", object_id=username,
                            detail={"token": row.prefix, "name": row.name})
    return token, row


async def service_tokens(store: PolicyStore, actor: str, username: str) -> list[ServiceToken]:
    user = await _user_for_admin(store, actor, username)
    return await ServiceToken.filter(user_id=user.id, deleted_at=None).order_by("id")


async def revoke_service_token(store: PolicyStore, actor: str, token_id: int) -> ServiceToken:
    token = await ServiceToken.get_or_none(id=token_id, deleted_at=None)
    if token is None:
        raise NotFound("no service token with this id")
    user = await User.get(id=token.user_id)
    await _user_for_admin(store, actor, user.username)
    if token.revoked_at is None:
        async with in_transaction():
            await ServiceToken.filter(id=token_id).update(revoked_at=datetime.now(timezone.utc))
            await record_change(actor, "revoke_token", "user", object_id=user.username,
                                detail={"token": token.prefix})
    return await ServiceToken.get(id=token_id)


async def broken_grants_in_force() -> list[str]:
    """For `gridhub migrate`: grants and roles in the database that the delegation rules
    would refuse today (policies.delegation.broken_grants), each as one line."""
    store = PolicyStore()
    await store.load()
    tier_at = {r.region_path: r.tier.value for r in await Region.filter(deleted_at=None)}
    granted_by = {}
    for entry in await AuditEntry.filter(action="grant", object_kind="policy").order_by("id"):
        ptype, *values = [v.strip() for v in entry.object_id.split(",")]
        if ptype == "g" and len(values) == 3:
            granted_by[tuple(values)] = entry.actor
    return broken_grants(store, tier_at, granted_by)
