"""Delegation bounded by construction: who may grant which role where, and shape which rule.

- Nobody grants a role to itself.
- Each role is held only at the tiers it declares (`HELD_AT`): a grid worker at a grid.
- An admin grants a role only where the policy lets it grant that role (`role:<name>` /
  `grant`) and only if every right the role carries, sensitive fields included, is one the
  admin may hand out there (`<object>` / `delegate`).
- Separation of duties: a role that administers (policy, users, grants) carries no rights
  over the register's data, so an admin cannot read persons by being an admin, nor give its
  own role what it may hand out to others; and no user holds both kinds of role, so an admin
  cannot make a puppet admin that grants it a data role back.
Each check returns the reasons it refuses, so `grantRole` and `explainAccess` say the same.
"""

from __future__ import annotations

from casbin.util import key_match

from .store import PolicyStore

# role (or a keyMatch pattern of roles) -> the tiers of the tree it may be held at
HELD_AT: dict[str, tuple[str, ...]] = {
    "grid_worker": ("grid", "micro_grid"),
    "grid_leader": ("grid", "micro_grid"),
    "community_centre": ("community",),
    "town_centre": ("town",),
    "county_centre": ("county",),
    "dept.*": ("county", "town"),
    "policy_admin": ("county", "town", "community"),
    "chief_policy_admin": ("county",),
    "auditor": ("county", "town"),
}

# objects that administer: a role holding one of them may hold no data object
ADMIN_OBJECTS = ("policy", "user", "role:*", "category", "document")
# objects of the register's data (kinds, facets, sensitive fields)
DATA_OBJECTS = ("person*", "household*", "place*", "event*", "thing*", "organisation*")


def tiers_of(role: str) -> tuple[str, ...]:
    for pattern, tiers in HELD_AT.items():
        if key_match(role, pattern):
            return tiers
    return ()


def _matches_any(obj: str, patterns: tuple[str, ...]) -> bool:
    return any(key_match(obj, p) for p in patterns)


def rights_of(store: PolicyStore, role: str) -> list[tuple[str, str]]:
    """The (object, action) a role allows, its inherited roles' included."""
    return [(obj, action) for r in store.inherited_roles(role)
            for _, obj, action, *effect in store.rules_of(r) if effect[:1] != ["deny"]]


def administers(rights: list[tuple[str, str]]) -> bool:
    """Changing the policy, users or categories, or granting roles (reading them is not)."""
    return any(obj.startswith("role:") or (_matches_any(obj, ADMIN_OBJECTS) and action != "read")
               for obj, action in rights)


def touches_data(rights: list[tuple[str, str]]) -> bool:
    """Rights over the data itself; handing a right out (`delegate`) is not using it."""
    return any(_matches_any(obj, DATA_OBJECTS) and action != "delegate" for obj, action in rights)


def grant_refusals(store: PolicyStore, actor: str, grantee: str, role: str, region_path: str,
                   tier: str) -> list[str]:
    """Why `actor` may not grant `role` to `grantee` at the node `region_path` (of `tier`);
    empty when it may."""
    reasons = []
    if grantee == actor:
        reasons.append("nobody grants a role to itself")
    tiers = tiers_of(role)
    if tier not in tiers:
        reasons.append(f"{role} is held at {' or '.join(tiers) or 'no declared tier'}, not at a {tier}")
    new, held = rights_of(store, role), [r for held_role, _ in store.grants_of(grantee)
                                           for r in rights_of(store, held_role)]
    if (administers(new) and touches_data(held)) or (touches_data(new) and administers(held)):
        reasons.append(f"separation of duties: {grantee} would both administer and read the register's data")
    if not store.allows(actor, region_path, f"role:{role}", "grant"):
        reasons.append(f"no rule lets {actor} grant role:{role} at {region_path}")
        return reasons  # what it may hand out matters only where it may grant the role at all
    missing = sorted({f"{obj} {action}" for obj, action in new
                      if not store.allows(actor, region_path, obj, "delegate")})
    if missing:
        reasons.append(f"{actor} may not hand out at {region_path}: {', '.join(missing)}")
    return reasons


def rule_refusals(store: PolicyStore, actor: str, role: str, obj: str, action: str, effect: str,
                  path: str, county_wide: bool) -> list[str]:
    """Why `actor` may not add the rule (role, path, obj, action, effect); empty when it may.
    Denies only take away, so they need only the role. County-wide admins are the trust root
    for what they hand out, but separation of duties binds them too."""
    reasons = []
    if not county_wide and not store.allows(actor, path, f"role:{role}", "grant"):
        reasons.append(f"no rule lets {actor} grant role:{role} at {path}")
    if effect != "allow":
        return reasons
    if not county_wide and not store.allows(actor, path, obj, "delegate"):
        reasons.append(f"{actor} may not hand out {obj} {action} at {path}")
    rights = rights_of(store, role) + [(obj, action)]
    if administers(rights) and touches_data(rights):
        reasons.append(f"separation of duties: {role} would both administer and read the register's data")
    return reasons


def broken_grants(store: PolicyStore, tier_at: dict[str, str], granted_by: dict[tuple, str]) -> list[str]:
    """Grants in force that the rules above would refuse today: a role held at a tier it does
    not declare, a grant its holder gave itself, a role that both administers and reads data.
    `tier_at`: region path -> tier; `granted_by`: (user, role, domain) -> the granting actor."""
    found = []
    for user, role, domain in store.enforcer.get_named_grouping_policy("g"):
        if domain == "*":
            continue
        path = domain.rstrip("*")
        tier = tier_at.get(path)
        if tier is not None and tier not in tiers_of(role):
            found.append(f"{user} holds {role} at {path}, a {tier}: {role} is held at "
                         f"{' or '.join(tiers_of(role)) or 'no declared tier'}")
        if granted_by.get((user, role, domain)) == user:
            found.append(f"{user} granted itself {role} at {path}")
    for role in sorted({p[0] for p in store.enforcer.get_policy()}):
        rights = rights_of(store, role)
        if administers(rights) and touches_data(rights):
            found.append(f"{role} both administers and reads the register's data")
    for user in sorted({g[0] for g in store.enforcer.get_named_grouping_policy("g") if g[2] != "*"}):
        rights = [r for role, _ in store.grants_of(user) for r in rights_of(store, role)]
        if administers(rights) and touches_data(rights):
            found.append(f"{user} both administers and reads the register's data")
    return found
