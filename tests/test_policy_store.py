"""The policy store (policies/store.py): what it reads from the enforcer, when it reloads,
and how each edit is audited. Edits touch a made-up role and user only, removed afterwards;
the store under test is one of the test's own, on the app's database."""

from __future__ import annotations

import pytest

from gridhub import models
from gridhub.policies.store import PolicyStore, database_version

from .test_delegation import store_with


def test_what_a_user_holds_and_a_role_inherits():
    store = store_with("g, zz_a, zz_b, *", "g, zz_b, zz_a, *", "g, zz_b, zz_c, *",  # a cycle, and a branch
                       "g, zz_a, zz_elsewhere, /c/t/*",  # a role held at a node, not inherited everywhere
                       "p, zz_c, /c/*, thing, read, allow")
    assert store.grants_of("townadmin") == [("policy_admin", "/c/t/*")]
    assert store.grants_of("zz_nobody") == []
    assert sorted(store.inherited_roles("zz_a")) == ["zz_a", "zz_b", "zz_c"]
    assert store.inherited_roles("grid_leader") == ["grid_leader", "grid_worker"]
    assert store.rules_of("zz_c") == [["/c/*", "thing", "read", "allow"]]


@pytest.fixture
async def scratch(app):
    """A made-up role; each test removes its rules by edits (a new version, so every store
    drops them), this only if a test failed half-way."""
    yield "zz_store_role"
    await models.CasbinRule.filter(v0__startswith="zz_store").delete()
    await models.CasbinRule.filter(v1__startswith="zz_store").delete()
    await app.state.store.refresh()


async def test_a_store_reloads_only_when_behind(app, scratch, count_sql):
    store = PolicyStore()
    await store.load()
    assert store.version == await database_version() > 0
    with count_sql() as counter:
        assert await store.refresh(announced=store.version) is False
    assert counter.count == 0, "an announcement of the version loaded costs no query"
    other = PolicyStore()
    await other.load()
    await other.edit("p", [scratch, "*", "thing", "read", "allow"], add=True, actor="zz_store_test", region_path="/")
    assert store.rules_of(scratch) == []
    await store.refresh()
    assert store.version == other.version and store.rules_of(scratch) == [["*", "thing", "read", "allow"]]
    await other.edit("p", [scratch, "*", "thing", "read", "allow"], add=False, actor="zz_store_test", region_path="/")


EDITS = [  # ptype, values, add, the audit action
    ("p", ["zz_store_role", "*", "thing", "read", "allow"], True, "add_rule"),
    ("p", ["zz_store_role", "*", "thing", "read", "allow"], False, "remove_rule"),
    ("g", ["zz_store_user", "zz_store_role", "/c/*"], True, "grant"),
    ("g", ["zz_store_user", "zz_store_role", "/c/*"], False, "revoke"),
]


async def test_each_edit_is_audited_and_bumps_the_version_once(app, scratch):
    store = PolicyStore()
    await store.load()
    heard = []
    store.listeners.append(lambda version: _heard(heard, version))
    for ptype, values, add, action in EDITS:
        version = store.version
        mark = (await models.AuditEntry.all().order_by("-id").first()).id
        assert await store.edit(ptype, values, add=add, actor="zz_store_test", region_path="/c/",
                                detail={"why": action}) is True
        entries = await models.AuditEntry.filter(id__gt=mark, actor="zz_store_test")
        assert [(e.action, e.object_kind, e.object_id, e.region_path, e.detail) for e in entries] == [
            (action, "policy", ", ".join([ptype, *values]), "/c/", {"why": action})]
        assert store.version == version + 1 == await database_version() and heard[-1] == store.version
        # the same edit again changes nothing: not audited, no new version
        assert await store.edit(ptype, values, add=add, actor="zz_store_test", region_path="/c/") is False
        assert store.version == version + 1 and await models.AuditEntry.filter(id__gt=mark).count() == 1


async def _heard(heard: list, version: int) -> None:
    heard.append(version)


async def test_what_goes_with_an_edit_is_in_its_transaction(app, scratch):
    store = PolicyStore()
    await store.load()
    ran = []

    async def also():
        ran.append(await models.CasbinRule.filter(v0=scratch).count())

    assert await store.edit("p", [scratch, "*", "thing", "read", "allow"], add=True, actor="zz_store_test",
                            region_path="/", also=also)
    assert ran == [0]  # run first, before the rule was written
    await store.edit("p", [scratch, "*", "thing", "read", "allow"], add=False, actor="zz_store_test", region_path="/")


async def test_seeding_what_another_process_just_seeded_adds_nothing(app, monkeypatch):
    """Processes starting on a new database at once: each saw no rules, the first wrote them;
    the others' inserts must neither fail on the unique index nor add a line or a state row.
    In a transaction rolled back at the end: the database's policy stays as it was (a migrated
    one may lack default lines on purpose)."""
    from tortoise.transactions import in_transaction

    from gridhub.policies.store import seed_default_policy

    async def nothing_yet():  # what this process saw before the other one committed
        return False

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with in_transaction():
            await seed_default_policy()  # the first process (here: whatever this database lacks)
            seeded = await models.CasbinRule.all().count()
            monkeypatch.setattr(models.CasbinRule, "exists", classmethod(lambda cls: nothing_yet()))
            assert await seed_default_policy() is True  # the second, on the first's rules
            monkeypatch.undo()
            assert await models.CasbinRule.all().count() == seeded
            assert await models.PolicyState.all().values_list("id", flat=True) == [1]
            raise Undo
