"""The compiled Scope (policies/scope.py, policies/compiler.py) as units over the demo's
real policy: cache keys that tell callers apart, the export's narrowing, the unrestricted
scope of the CLI, and what the compiler makes of a grant's domain."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from gridhub import models
from gridhub.policies.compiler import ancestor_paths, compile_scope, domain_predicate
from gridhub.policies.predicate import FALSE, TRUE
from gridhub.policies.scope import Scope
from gridhub.resolvers.kinds import LISTED as KINDS


async def scope_of(app, username: str) -> Scope:
    user = await models.User.get(username=username)
    return compile_scope(app.state.store, username, {"department_id": user.department_id})


async def test_each_caller_has_a_cache_key_of_its_own(app):
    """Answers and plans are cached per scope hash: two callers who may see different rows
    must never share one, nor share the CLI's unrestricted key."""
    everyone = ["worker", "leader", "community", "town", "county", "police", "civil", "auditor", "admin"]
    scopes = {name: await scope_of(app, name) for name in everyone}
    nobody = Scope()  # a user with no grant at all
    hashes = [s.hash for s in scopes.values()] + [nobody.hash, Scope.everything().hash]
    assert len(set(hashes)) == len(hashes), dict(zip([*everyone, "nobody", "everything"], hashes))
    assert Scope.everything().hash == "unrestricted"
    # stable: compiled again (another request, another process) it keys the same answers
    assert [(await scope_of(app, name)).hash for name in everyone] == [s.hash for s in scopes.values()]


async def test_the_department_is_part_of_the_key(app):
    """A department's events are its own (event:assigned): same grants, other department."""
    police = await models.User.get(username="police")
    mine = compile_scope(app.state.store, "police", {"department_id": police.department_id})
    other = compile_scope(app.state.store, "police", {"department_id": police.department_id + 1000})
    assert mine.hash != other.hash
    assert compile_scope(app.state.store, "police").hash != mine.hash  # no facts given: no department


async def test_an_export_reads_what_may_be_both_read_and_exported(app, anchors):
    county = await scope_of(app, "county")
    exporting = county.requiring("export", KINDS)
    assert exporting.hash != county.hash and exporting.requiring("export", KINDS) == exporting  # added once
    row = SimpleNamespace(region_path=anchors["grid"] + "001/")
    assert county.where("person").matches(row) is True
    assert exporting.where("person").matches(row) is county.where("person", "export").matches(row)
    assert exporting.where("person", "update") == county.where("person", "update")  # other actions untouched
    assert Scope.everything().requiring("export", KINDS).hash != Scope.everything().hash


async def test_the_unrestricted_scope_sees_everything_unmasked():
    everything, row = Scope.everything(), SimpleNamespace(region_path="/anywhere/")
    assert everything.where("person") == TRUE and everything.where("no_such_kind", "fly") == TRUE
    assert everything.sees_unmasked("person", "id_number", row) is True
    nobody = Scope()
    assert nobody.where("person") == FALSE and nobody.sees_unmasked("person", "id_number", row) is False


async def test_a_compiled_scope_cannot_be_widened_in_place(app):
    """The hash a scope's answers are cached under is of what it was compiled with."""
    scope = await scope_of(app, "worker")
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.unrestricted = True


@pytest.mark.parametrize("pattern, inside, outside", [
    ("*", ["/", "/a/b/"], []),
    ("/a/b/*", ["/a/b/", "/a/b/c/"], ["/a/bc/", "/a/", "/x/a/b/"]),
    ("/a/b/", ["/a/b/"], ["/a/b/c/", "/a/"]),  # a domain without a star is that node alone
])
def test_a_domain_as_a_predicate(pattern, inside, outside):
    where = domain_predicate(pattern)
    assert [where.matches(SimpleNamespace(region_path=p)) for p in inside + outside] == \
        [True] * len(inside) + [False] * len(outside)


@pytest.mark.parametrize("pattern, ancestors", [
    ("/a/b/c/*", ("/a/", "/a/b/")), ("/a/*", ()), ("/a/b/", ("/a/",)), ("*", ())])
def test_the_path_down_to_a_grant(pattern, ancestors):
    assert ancestor_paths(pattern) == ancestors


@pytest.mark.parametrize("username", ["worker", "community", "town", "police", "civil"])
async def test_one_visible_value_is_read_as_the_rows_are(app, anchors, username):
    """`visible_value` (a filter's region, read without the ORM) finds exactly the rows `rows`
    finds, for each caller: the grids and micro-grids of the worker's community (its own, the
    sibling, any made since whose code starts with its own: the prefix trap), the community,
    the town, the county and another town."""
    from gridhub.policies.predicate import In, StartsWith
    from gridhub.resolvers.read.query import rows, visible_value

    scope = await scope_of(app, username)
    near = await models.Region.filter(StartsWith("region_path", anchors["community"]).to_q()) \
        .values_list("id", flat=True)
    above = await models.Region.filter(region_path__in=[anchors[k] for k in ("county", "town", "town2")]) \
        .values_list("id", flat=True)
    assert len(near) > 3 and len(above) == 3
    for region_id in [*near, *above]:
        found = await rows(scope, "region", In("id", (region_id,))).first()
        assert await visible_value(scope, "region", region_id, "region_path") == (found and found.region_path)
