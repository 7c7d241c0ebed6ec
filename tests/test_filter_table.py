"""Filters as a table: every filter field of every kind, with a value taken from the data that
keeps some rows and excludes others, answers on both read paths the count an independent SQL
statement gives (tests/filter_values.py). The table is checked against the schema itself, so a
filter field added without a row here fails `test_the_table_covers_every_filter_field`."""

from __future__ import annotations

import pytest

from .filter_values import KINDS, count, splitting_cases
from .test_compiled import read_path

# filter fields that the table checks by other means: visitOverdue by its two halves below,
# parked by its two halves (no step parks an event yet in every database: all may be unparked)
ELSEWHERE = {("person", "visitOverdue"), ("event", "parked")}


@pytest.fixture(scope="module")
async def cases(app, anchors):
    return await splitting_cases(anchors)


async def filter_fields(client, type_name: str) -> set[str]:
    data = await client.query("query($t: String!) { __type(name: $t) { inputFields { name } } }", t=type_name)
    return {f["name"] for f in data["__type"]["inputFields"]}


async def test_the_table_covers_every_filter_field(gql, cases):
    for kind, (_, _, type_name) in KINDS.items():
        fields = await filter_fields(gql, type_name)
        tabled = {c.field for c in cases if c.kind == kind} | {f for k, f in ELSEWHERE if k == kind}
        assert fields == tabled, (kind, fields ^ tabled)


async def answered(client, settings, count_sql, root: str, type_name: str, variables: dict, compiled: bool):
    with read_path(settings, compiled), count_sql() as counter:
        data = await client.query(f"query($f: {type_name}) {{ {root}(first: 1, filter: $f) {{ totalCount }} }}",
                                  f=variables)
    # the path under test answered
    assert compiled == any(s.startswith("WITH gh_page") for s in counter.statements), counter.statements
    return data[root]["totalCount"]


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
async def test_each_filter_keeps_what_sql_keeps(settings, sign_in, count_sql, cases, compiled):
    failures = []
    for case in cases:
        table, root, type_name = KINDS[case.kind]
        total = await count(case.kind, case.base_path)
        expected = await count(case.kind, case.base_path, case.sql, case.params)
        assert 0 < expected < total, (case.id, expected, total, "the value does not split the rows")
        client = await sign_in(case.caller)
        variables = {case.field: case.value}
        if case.base_path != "/":
            variables["regionPath"] = case.base_path
        got = await answered(client, settings, count_sql, root, type_name, variables, compiled)
        if got != expected:
            failures.append((case.id, case.value, got, expected))
    assert not failures, failures


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
async def test_overdue_visits_split_the_key_persons(settings, sign_in, anchors, count_sql, compiled):
    """visitOverdue (the due rules are the hub's own): true keeps some of the grid's key
    persons, false the rest of the grid, together all of it."""
    worker = await sign_in("worker")
    key_persons = await count("person", anchors["grid"],
                              "t.id IN (SELECT p.person_id FROM person_tag p WHERE p.tag = ? OR p.tag LIKE ?)",
                              ("key", "key/%"))
    halves = [await answered(worker, settings, count_sql, "persons", "PersonFilter",
                             {"regionPath": anchors["grid"], "visitOverdue": v}, compiled) for v in (True, False)]
    assert 0 < halves[0] <= key_persons and sum(halves) == await count("person", anchors["grid"]), halves


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
async def test_parked_splits_the_events_by_their_state(settings, sign_in, count_sql, compiled):
    """parked: true keeps the events parked (挂账), false the rest; together all of them."""
    county = await sign_in("county")
    halves = [await answered(county, settings, count_sql, "events", "EventFilter", {"parked": v}, compiled)
              for v in (True, False)]
    assert halves[0] == await count("event", "/", "t.status = ?", ("parked",))
    assert sum(halves) == await count("event", "/")
