"""Delegation's rules (policies/delegation.py) as tables, against the real Casbin model and
the default policy, loaded into an enforcer of the test's own (no database: each case sees
exactly the grants it names). Each case gives the reasons in full and in order, as
grantRole and explainAccess show them; over HTTP the same rules meet the demo county in
tests/policy_cases.csv (its cases with a grantee) and tests/test_access.py."""

from __future__ import annotations

import casbin
import pytest
from casbin.util import key_match

from gridhub.policies.adapter import parse_policy_lines
from gridhub.policies.delegation import administers, broken_grants, grant_refusals, rule_refusals, touches_data
from gridhub.policies.store import DEFAULT_POLICY, MODEL_PATH, PolicyStore

COUNTY, TOWN, TOWN2 = "/c/", "/c/t/", "/c/t2/"
COMMUNITY, GRID, SIBLING = "/c/t/m/", "/c/t/m/g/", "/c/t/m/s/"
TRAP = "/c/t/m/g0/"  # the grid's prefix trap: /…/g/* must not reach it
OTHER_GRID = "/c/t2/m/g/"

GRANTS = [  # user, role, domain: the demo's shape on a small tree
    ("admin", "chief_policy_admin", COUNTY + "*"),
    ("townadmin", "policy_admin", TOWN + "*"),
    ("community", "community_centre", COMMUNITY + "*"),
    ("leader", "grid_leader", GRID + "*"),
    ("worker", "grid_worker", GRID + "*"),
    ("auditor", "auditor", COUNTY + "*"),
]


def store_with(*lines: str, grants=GRANTS) -> PolicyStore:
    """A PolicyStore over the default policy, `grants` and the extra policy `lines`."""
    store = PolicyStore()
    enforcer = casbin.Enforcer(str(MODEL_PATH))
    enforcer.add_named_domain_matching_func("g", key_match)
    for ptype, *values in parse_policy_lines(DEFAULT_POLICY.read_text(encoding="utf-8") + "\n".join(lines)):
        (enforcer.add_named_policy if ptype == "p" else enforcer.add_named_grouping_policy)(ptype, values)
    for grant in grants:
        enforcer.add_named_grouping_policy("g", list(grant))
    store.enforcer = enforcer
    return store


SEPARATION = "separation of duties: {} would both administer and read the register's data"

# actor, grantee, role, where, tier, the reasons it is refused (none: allowed)
GRANTING = [
    ("townadmin", "leader", "grid_worker", SIBLING, "grid", []),
    ("townadmin", "leader", "grid_leader", GRID, "grid", []),
    ("townadmin", "leader", "grid_worker", GRID + "001/", "micro_grid", []),
    ("townadmin", "auditor", "policy_admin", COMMUNITY, "community", []),
    ("admin", "leader", "dept.housing", TOWN, "town", []),
    ("townadmin", "townadmin", "policy_admin", COMMUNITY, "community", ["nobody grants a role to itself"]),
    ("townadmin", "townadmin", "grid_worker", GRID, "grid",
     ["nobody grants a role to itself", SEPARATION.format("townadmin")]),
    ("townadmin", "leader", "grid_worker", TOWN, "town", ["grid_worker is held at grid or micro_grid, not at a town"]),
    ("admin", "leader", "county_centre", TOWN, "town", ["county_centre is held at county, not at a town"]),
    ("admin", "leader", "dept.housing", GRID, "grid", ["dept.housing is held at county or town, not at a grid"]),
    ("townadmin", "leader", "no_such_role", GRID, "grid",
     ["no_such_role is held at no declared tier, not at a grid",
      f"no rule lets townadmin grant role:no_such_role at {GRID}"]),
    ("townadmin", "leader", "grid_worker", OTHER_GRID, "grid", [f"no rule lets townadmin grant role:grid_worker at {OTHER_GRID}"]),
    ("townadmin", "leader", "grid_worker", COUNTY, "county",
     ["grid_worker is held at grid or micro_grid, not at a county",
      f"no rule lets townadmin grant role:grid_worker at {COUNTY}"]),
    ("worker", "leader", "grid_worker", GRID, "grid", [f"no rule lets worker grant role:grid_worker at {GRID}"]),
    ("townadmin", "community", "policy_admin", COMMUNITY, "community", [SEPARATION.format("community")]),
    ("admin", "townadmin", "grid_worker", GRID, "grid", [SEPARATION.format("townadmin")]),
    ("townadmin", "leader", "dept.public_security", TOWN, "town",
     [f"no rule lets townadmin grant role:dept.public_security at {TOWN}"]),
]


@pytest.mark.parametrize("actor, grantee, role, where, tier, reasons", GRANTING,
                         ids=[f"{c[0]}-{c[2]}-to-{c[1]}@{c[3]}" for c in GRANTING])
def test_who_may_grant_which_role_where(actor, grantee, role, where, tier, reasons):
    assert grant_refusals(store_with(), actor, grantee, role, where, tier) == reasons


def test_a_role_is_granted_only_with_rights_its_granter_may_hand_out():
    """The grid worker's role, given one more right no policy admin may delegate."""
    store = store_with("p, grid_worker, *, secret_register, read, allow",
                       "p, grid_worker, *, another_register, update, allow")
    assert grant_refusals(store, "townadmin", "leader", "grid_worker", GRID, "grid") == [
        f"townadmin may not hand out at {GRID}: another_register update, secret_register read"]
    # a right it takes away is not one handed out
    store = store_with("p, grid_worker, *, secret_register, read, deny")
    assert grant_refusals(store, "townadmin", "leader", "grid_worker", GRID, "grid") == []


# actor, role, object, action, effect, where, county-wide actor, the reasons it is refused
RULES = [
    ("townadmin", "grid_worker", "person", "read", "allow", GRID, False, []),
    ("townadmin", "grid_worker", "person:care/*", "read", "allow", TOWN, False, []),
    ("townadmin", "grid_worker", "person", "read", "allow", OTHER_GRID, False,
     [f"no rule lets townadmin grant role:grid_worker at {OTHER_GRID}",
      f"townadmin may not hand out person read at {OTHER_GRID}"]),
    ("townadmin", "grid_worker", "person", "read", "deny", GRID, False, []),  # denies take away only
    ("townadmin", "grid_worker", "person", "read", "deny", OTHER_GRID, False,
     [f"no rule lets townadmin grant role:grid_worker at {OTHER_GRID}"]),
    ("townadmin", "dept.health", "person", "read", "allow", TOWN, False,
     [f"no rule lets townadmin grant role:dept.health at {TOWN}"]),
    ("townadmin", "grid_worker", "secret_register", "read", "allow", GRID, False,
     [f"townadmin may not hand out secret_register read at {GRID}"]),
    ("townadmin", "grid_worker", "policy", "update", "allow", GRID, False, [SEPARATION.format("grid_worker")]),
    ("townadmin", "policy_admin", "person", "read", "allow", COMMUNITY, False, [SEPARATION.format("policy_admin")]),
    ("townadmin", "grid_worker", "policy", "read", "allow", GRID, False, []),  # reading the policy administers nothing
    ("townadmin", "grid_worker", "person", "delegate", "allow", GRID, False, []),  # handing out is neither
    # the county-wide admin is the trust root of what it hands out; separation binds it too
    ("admin", "grid_worker", "secret_register", "read", "allow", OTHER_GRID, True, []),
    ("admin", "policy_admin", "person", "read", "allow", COUNTY, True, [SEPARATION.format("policy_admin")]),
]


@pytest.mark.parametrize("actor, role, obj, action, effect, where, county_wide, reasons", RULES,
                         ids=[f"{c[0]}-{c[1]}-{c[4]}-{c[2]}-{c[3]}@{c[5]}" for c in RULES])
def test_who_may_shape_which_rule(actor, role, obj, action, effect, where, county_wide, reasons):
    assert rule_refusals(store_with(), actor, role, obj, action, effect, where, county_wide) == reasons


# rights, administers, touches the data
RIGHTS = [
    ([("role:grid_worker", "grant")], True, False),
    ([("role:grid_worker", "read")], True, False),  # any right over a role is an admin's
    ([("policy", "update")], True, False),
    ([("user", "update")], True, False),
    ([("category", "create")], True, False),
    ([("policy", "read"), ("user", "read"), ("audit", "read")], False, False),
    ([("person", "read")], False, True),
    ([("person.id_number", "read")], False, True),
    ([("household", "update")], False, True),
    ([("event:category/safety/*", "read")], False, True),
    ([("organisation", "delete")], False, True),
    ([("person", "delegate"), ("thing", "delegate")], False, False),  # handing out is not using
    ([("region", "read"), ("staff", "update")], False, False),
    ([("region", "read"), ("person", "read"), ("policy", "update")], True, True),
    ([], False, False),
]


@pytest.mark.parametrize("rights, admin, data", RIGHTS)
def test_which_rights_administer_and_which_touch_data(rights, admin, data):
    assert (administers(rights), touches_data(rights)) == (admin, data)


def test_the_default_policy_breaks_no_rule():
    tiers = {COUNTY: "county", TOWN: "town", COMMUNITY: "community", GRID: "grid"}
    granted_by = {("townadmin", "policy_admin", TOWN + "*"): "admin", ("worker", "grid_worker", GRID + "*"): "townadmin"}
    assert broken_grants(store_with(), tiers, granted_by) == []


def test_grants_in_force_that_the_rules_would_refuse():
    tiers = {COUNTY: "county", TOWN: "town", GRID: "grid"}
    store = store_with(grants=[*GRANTS, ("townadmin", "grid_worker", TOWN + "*"),
                               ("leader", "community_centre", GRID + "*"),
                               ("worker", "grid_worker", SIBLING + "*"),  # at a node of no known tier
                               ("clerk", "no_such_role", TOWN + "*")])
    granted_by = {("townadmin", "grid_worker", TOWN + "*"): "townadmin", ("leader", "community_centre", GRID + "*"): "townadmin",
                  ("worker", "grid_worker", GRID + "*"): "townadmin"}
    assert broken_grants(store, tiers, granted_by) == [  # grants in the order they were made, then users
        f"townadmin holds grid_worker at {TOWN}, a town: grid_worker is held at grid or micro_grid",
        f"townadmin granted itself grid_worker at {TOWN}",
        f"leader holds community_centre at {GRID}, a grid: community_centre is held at community",
        f"clerk holds no_such_role at {TOWN}, a town: no_such_role is held at no declared tier",
        "townadmin both administers and reads the register's data",
    ]


def test_a_role_that_both_administers_and_reads_is_broken_and_so_is_each_holder():
    store = store_with("p, policy_admin, *, person, read, allow")
    assert broken_grants(store, {}, {}) == [  # the chief's role inherits the policy admin's
        "chief_policy_admin both administers and reads the register's data",
        "policy_admin both administers and reads the register's data",
        "admin both administers and reads the register's data",
        "townadmin both administers and reads the register's data"]
