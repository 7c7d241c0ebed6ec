"""The filters (resolvers/read/filters.py) as units: the predicate each filter, text search and
ordering compiles to, for a caller who sees a sensitive field in part of what he reads. The
filter table (test_filter_table.py) shows each filter's rows against SQL as demo users; the
demo's callers see a sensitive field wherever they read it or nowhere, so the part-way case
is built here from a scope of rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gridhub.policies.predicate import TRUE, Compare, Contains, In, StartsWith, and_, or_
from gridhub.policies.scope import Scope
from gridhub.resolvers.errors import BadInput, Forbidden
from gridhub.resolvers.read.filters import as_utc, compile_filter, revealed_for_comparing, text_predicate

TOWN, GRID = StartsWith("region_path", "/1/2/"), StartsWith("region_path", "/1/2/3/")
# reads persons and places in the town; sees identity numbers and addresses in one grid only
PART_WAY = Scope(rules={("person", "read"): TOWN, ("place", "read"): TOWN, ("region", "read"): TOWN,
                        ("person.id_number", "read"): GRID, ("place.address", "read"): GRID})
NOWHERE = Scope(rules={("person", "read"): TOWN, ("place", "read"): TOWN})


def test_a_plain_column_is_filtered_as_asked():
    assert compile_filter("region", {"tier": ["GRID"]}, PART_WAY) == In("tier", ("GRID",))
    assert compile_filter("event", {"category": ["safety"]}, PART_WAY) == or_(
        Compare("category", "eq", "safety"), StartsWith("category", "safety/"))
    assert compile_filter("person", {}, PART_WAY) == TRUE and compile_filter("person", None, PART_WAY) == TRUE
    assert compile_filter("person", {"gender": None, "text": "  "}, NOWHERE) == TRUE  # nothing asked


def test_a_derived_column_is_compared_only_where_its_source_is_seen():
    """gender comes from the identity number: filtering or ordering by it looks only where
    that is granted, or the answer would tell masked values apart."""
    assert compile_filter("person", {"gender": ["MALE"]}, PART_WAY) == and_(GRID, In("gender", ("MALE",)))
    assert compile_filter("person", None, PART_WAY, order=[("gender", "asc")]) == GRID
    assert compile_filter("person", {"ids": [1, 2]}, PART_WAY, order=[("gender", "asc")]) == and_(
        In("id", (1, 2)), GRID)
    assert compile_filter("person", None, PART_WAY, order=[("name", "asc"), ("id", "asc")]) == TRUE
    assert revealed_for_comparing(PART_WAY, "person", "name", "name") == TRUE


@pytest.mark.parametrize("asked_as, how", [("orderBy", "ordering"), ("groupBy", "grouping"),
                                           ("gender", "filtering")])
def test_comparing_where_the_source_is_seen_nowhere_is_forbidden(asked_as, how):
    with pytest.raises(Forbidden) as refused:
        revealed_for_comparing(NOWHERE, "person", "gender", asked_as)
    assert refused.value.field == asked_as
    assert refused.value.message == f"{how} by gender needs the person.id_number grant"


def test_text_is_searched_in_a_sensitive_column_only_where_it_is_seen():
    assert text_predicate("place", "路", PART_WAY) == or_(
        and_(Contains("name", "路"), GRID), and_(Contains("address", "路"), GRID), Contains("code", "路"))
    assert text_predicate("place", "路", NOWHERE) == Contains("code", "路")
    assert compile_filter("place", {"text": " 路 "}, NOWHERE) == Contains("code", "路")  # stripped


def test_times_are_compared_in_utc():
    local = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    utc = datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)
    assert as_utc(local) == utc and as_utc(local).tzinfo is timezone.utc and as_utc(datetime(2026, 3, 1)) == utc
    assert compile_filter("person", {"updated_since": local, "updated_until": local}, PART_WAY) == and_(
        Compare("updated_at", "gte", utc), Compare("updated_at", "lte", utc))
    assert compile_filter("audit", {"since": local}, PART_WAY) == Compare("at", "gte", utc)
    with pytest.raises(BadInput) as refused:  # `since` is the audit's alone
        compile_filter("person", {"since": local}, PART_WAY)
    assert refused.value.field == "since"


def test_conditions_on_time_are_judged_at_the_moment_given():
    """Lights and overdue visits are judged at `now` (a list's moment, the demo's clock), not
    at the time of the call."""
    from gridhub.resolvers.domain.deadlines import Light, light_predicate
    from gridhub.resolvers.domain.visit_due import overdue_predicate

    then = datetime(2021, 5, 1, tzinfo=timezone.utc)
    assert compile_filter("event", {"light": [Light.RED]}, PART_WAY, now=then) == light_predicate([Light.RED], then)
    visits = Scope(rules={**PART_WAY.rules, ("person.key_tags", "read"): GRID})
    assert compile_filter("person", {"visit_overdue": True}, visits, now=then) == overdue_predicate(True, then, visits)
