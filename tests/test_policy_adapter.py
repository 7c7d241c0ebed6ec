"""Our Tortoise adapter behind the real AsyncEnforcer: rules round-trip, stay unique, and a
batch is all or nothing."""

import casbin
import pytest
from casbin.util import key_match

from gridhub import models
from gridhub.policies.adapter import TortoiseAdapter
from gridhub.policies.store import MODEL_PATH


async def fresh_enforcer() -> casbin.AsyncEnforcer:
    enforcer = casbin.AsyncEnforcer(str(MODEL_PATH), TortoiseAdapter())
    enforcer.add_named_domain_matching_func("g", key_match)
    await enforcer.load_policy()
    return enforcer


@pytest.fixture
async def scratch_rules(app):
    """Rules of a made-up role, removed afterwards so the demo policy is untouched."""
    yield "zz_test_role"
    await models.CasbinRule.filter(v0__startswith="zz_test").delete()
    await models.CasbinRule.filter(v1__startswith="zz_test").delete()


async def test_rules_written_through_the_enforcer_load_back(scratch_rules):
    role = scratch_rules
    enforcer = await fresh_enforcer()
    assert await enforcer.add_policy(role, "/341823/*", "thing", "read", "allow")
    assert await enforcer.add_grouping_policy("zz_test_user", role, "/341823/341823100/*")
    reloaded = await fresh_enforcer()
    assert reloaded.enforce("zz_test_user", "/341823/341823100/341823100001/", "thing", "read")
    assert not reloaded.enforce("zz_test_user", "/341823/341823101/", "thing", "read")
    assert await models.CasbinRule.filter(ptype="p", v0=role).count() == 1
    assert await models.CasbinRule.filter(ptype="g", v1=role).count() == 1


async def test_duplicates_are_stored_once(scratch_rules):
    adapter = TortoiseAdapter()
    rule = [scratch_rules, "*", "place", "read", "allow"]
    await adapter.add_policy("p", "p", rule)
    await adapter.add_policies("p", "p", [rule, rule])
    assert await models.CasbinRule.filter(ptype="p", v0=scratch_rules).count() == 1


async def test_a_failing_batch_writes_nothing(scratch_rules):
    adapter = TortoiseAdapter()
    good = [scratch_rules, "*", "place", "read", "allow"]
    too_long = [scratch_rules, "*", "place", "read", "allow", "x", "y"]
    with pytest.raises(ValueError):
        await adapter.add_policies("p", "p", [good, too_long])
    assert await models.CasbinRule.filter(ptype="p", v0=scratch_rules).count() == 0


async def test_remove_filtered_names_its_ptype(scratch_rules):
    adapter = TortoiseAdapter()
    await adapter.add_policies("p", "p", [[scratch_rules, "*", "place", "read", "allow"],
                                          [scratch_rules, "*", "thing", "read", "allow"]])
    await adapter.add_policy("g", "g", [scratch_rules, "x", "*"])  # a g line with the same v0
    assert await adapter.remove_filtered_policy("p", "p", 0, scratch_rules)
    assert await models.CasbinRule.filter(ptype="p", v0=scratch_rules).count() == 0
    assert await models.CasbinRule.filter(ptype="g", v0=scratch_rules).count() == 1


async def test_the_enforcer_keeps_what_the_adapter_stored(scratch_rules):
    """The enforcer adds or removes a rule in memory only when the adapter says it did, so
    each answer of the adapter is its truth: True when rows changed, False when none did."""
    enforcer = await fresh_enforcer()
    place, thing = [scratch_rules, "*", "place", "read", "allow"], [scratch_rules, "*", "thing", "read", "allow"]
    assert await enforcer.add_policies([place, thing])
    assert await models.CasbinRule.filter(ptype="p", v0=scratch_rules).count() == 2
    assert await enforcer.remove_policy(*place)
    assert not enforcer.has_policy(*place) and enforcer.has_policy(*thing)
    adapter = TortoiseAdapter()
    assert await adapter.remove_policy("p", "p", place) is False  # already gone
    assert await adapter.remove_policies("p", "p", [place]) is False
    assert await adapter.remove_policies("p", "p", [place, thing]) is True
    assert await adapter.remove_filtered_policy("p", "p", 0, scratch_rules) is False
    assert await models.CasbinRule.filter(v0=scratch_rules).count() == 0


async def test_a_rule_holds_six_values_and_loads_back_as_written(scratch_rules):
    adapter = TortoiseAdapter()
    six = [scratch_rules, "*", "place", "read", "allow", "6"]
    assert await adapter.add_policy("p", "p", six) is True  # the adapter contract: True when stored
    await adapter.add_policy("g", "g", [scratch_rules + "_user", scratch_rules, "/341823/*"])
    with pytest.raises(ValueError):
        await adapter.add_policy("p", "p", [*six, "7"])
    enforcer = await fresh_enforcer()
    # the empty columns behind a shorter rule are not values of it
    assert enforcer.get_filtered_named_grouping_policy("g", 0, scratch_rules + "_user") == [
        [scratch_rules + "_user", scratch_rules, "/341823/*"]]
    assert enforcer.get_filtered_named_policy("p", 0, scratch_rules) == [six]


async def test_remove_filtered_matches_from_its_field_index(scratch_rules):
    adapter = TortoiseAdapter()
    await adapter.add_policies("p", "p", [[scratch_rules, "/1/*", "place", "read", "allow"],
                                          [scratch_rules, "/2/*", "place", "read", "allow"],
                                          [scratch_rules, "/1/*", "thing", "read", "allow"]])
    assert await adapter.remove_filtered_policy("p", "p", 1, "/1/*", "place")  # v1, v2
    assert sorted(await models.CasbinRule.filter(v0=scratch_rules).values_list("v1", "v2")) == [
        ("/1/*", "thing"), ("/2/*", "place")]
    assert await adapter.remove_filtered_policy("p", "p", 0, scratch_rules, "", "thing")  # v0 and v2, not v1
    assert await models.CasbinRule.filter(v0=scratch_rules).values_list("v1", "v2") == [("/2/*", "place")]
