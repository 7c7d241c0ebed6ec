"""The facet registry (policies/facets.py) as a table: which rows a facet named in a policy
object grants, near misses included (the prefix trap of a path pattern: `care/*` is not
`careful/…`; a department's events are not another department's)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gridhub.policies.facets import facet_predicate
from gridhub.policies.predicate import FALSE

# kind, facet, who, row columns, in the facet
CASES = [
    ("event", "category/safety/*", {}, {"category": "safety/fire"}, True),
    ("event", "category/safety/*", {}, {"category": "safety/fire/alarm"}, True),
    ("event", "category/safety/*", {}, {"category": "safetynet/report"}, False),  # the prefix trap
    ("event", "category/safety/*", {}, {"category": "safety"}, False),
    ("event", "category/service/key_visit", {}, {"category": "service/key_visit"}, True),
    ("event", "category/service/key_visit", {}, {"category": "service/key_visit/followup"}, True),
    ("event", "category/service/key_visit", {}, {"category": "service/key_visits"}, False),
    ("event", "category/*", {}, {"category": "anything/at/all"}, True),
    ("event", "assigned", {"department_id": 7}, {"handling_department_id": 7}, True),
    ("event", "assigned", {"department_id": 7}, {"handling_department_id": 8}, False),  # another department
    ("event", "assigned", {"department_id": 7}, {"handling_department_id": None}, False),
    ("event", "assigned", {"department_id": None}, {"handling_department_id": None}, False),  # no department
    ("event", "with_region", {}, {"handling_department_id": None}, True),
    ("event", "with_region", {}, {"handling_department_id": 7}, False),
    ("thing", "kind/hydrant", {}, {"kind": "hydrant"}, True),
    ("thing", "kind/hydrant", {}, {"kind": "hydrant_cover"}, False),
    ("thing", "status/broken", {}, {"status": "broken"}, True),
    ("place", "kind/shop", {}, {"kind": "shop"}, True),
    ("place", "kind/shop", {}, {"kind": "house"}, False),
    ("organisation", "kind/enterprise", {}, {"kind": "enterprise"}, True),
    ("organisation", "kind/enterprise", {}, {"kind": "school"}, False),
]


@pytest.mark.parametrize("kind, facet, who, row, inside", CASES,
                         ids=[f"{c[0]}:{c[1]}-{'-'.join(map(str, c[3].values()))}" for c in CASES])
def test_which_rows_a_facet_grants(kind, facet, who, row, inside):
    assert facet_predicate(kind, facet, who).matches(SimpleNamespace(**row)) is inside


@pytest.mark.parametrize("kind, facet", [("event", "no_such_facet/x"), ("thing", "colour/red"),
                                         ("household", "kind/x"), ("event", "assigned_elsewhere")])
def test_an_unknown_facet_grants_nothing(kind, facet):
    assert facet_predicate(kind, facet, {"department_id": 7}) == FALSE


@pytest.mark.parametrize("pattern, tag, inside", [
    ("care/*", "care/elderly", True), ("care/*", "careful/x", False), ("care/*", "care", False),
    ("key/drug", "key/drug", True), ("key/drug", "key/drug/minor", True), ("key/drug", "key/drugs", False),
    ("*", "anything", True)])
def test_a_person_tag_facet_is_a_path_pattern(pattern, tag, inside):
    """Persons are in a tag facet through their tag rows: the pattern is tested on the tag."""
    subquery = facet_predicate("person", pattern, {})
    assert subquery.where.matches(SimpleNamespace(tag=tag)) is inside
