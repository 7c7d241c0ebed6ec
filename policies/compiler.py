"""The scope compiler: a caller's grants become one predicate per (kind, action).

For every role the caller holds (directly or inherited) at a domain, and every rule of that
role, the rows allowed are those in both the grant's domain and the rule's domain, narrowed
by the rule's facet; allows are OR-ed, denies subtracted. Sensitive fields compile the same
way into the rows whose field the caller may see unmasked. No row is ever checked alone."""

from __future__ import annotations

from collections import defaultdict

from .facets import facet_predicate
from .predicate import TRUE, Compare, In, Pred, StartsWith, and_, not_, or_
from .scope import Scope
from .store import PolicyStore

def domain_predicate(pattern: str, column: str = "region_path") -> Pred:
    """Casbin's keyMatch on a region path, as a predicate."""
    if pattern == "*":
        return TRUE
    if "*" in pattern:
        return StartsWith(column, pattern[: pattern.index("*")])
    return Compare(column, "eq", pattern)


def ancestor_paths(pattern: str) -> tuple[str, ...]:
    """`/a/b/c/*` -> `/a/`, `/a/b/`: who may read a subtree may read the path down to it."""
    path = pattern.rstrip("*")
    parts = [p for p in path.split("/") if p]
    return tuple("/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts)))


def compile_scope(store: PolicyStore, username: str, who: dict | None = None) -> Scope:
    who = who or {}
    allows: dict[tuple[str, str], list[Pred]] = defaultdict(list)
    denies: dict[tuple[str, str], list[Pred]] = defaultdict(list)
    for granted_role, grant_domain in store.grants_of(username):
        granted = domain_predicate(grant_domain)
        for role in store.inherited_roles(granted_role):
            for rule_domain, obj, action, *effect in store.rules_of(role):
                if obj.startswith("role:"):
                    continue  # who may grant what is asked of the enforcer, one grant at a time
                where = and_(granted, domain_predicate(rule_domain))
                kind, _, facet = obj.partition(":")
                if facet:
                    where = and_(where, facet_predicate(kind, facet, who))
                target = denies if effect and effect[0] == "deny" else allows
                target[(kind, action)].append(where)
                if (kind, action) == ("region", "read") and effect[:1] != ["deny"]:
                    allows[(kind, action)].append(In("region_path", ancestor_paths(grant_domain)))
    rules = {key: and_(or_(*preds), not_(or_(*denies.get(key, [])))) for key, preds in allows.items()}
    return Scope(rules=rules, who=tuple(sorted(who.items())))
