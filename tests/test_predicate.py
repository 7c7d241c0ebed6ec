"""Both renderings of a predicate (the ORM's Q and our SQL text) select the same rows on the
database under test: the compiled read path will rely on it."""

import dataclasses

import pytest
from tortoise import connections

from gridhub import models
from gridhub.policies.predicate import (
    FALSE, TRUE, Compare, Contains, In, InSubquery, IsNull, NotTrue, SqlParams, StartsWith, and_, implies, not_,
    on_column, or_, relax,
)


def cases(grid_path: str):
    town_path = "/".join(grid_path.split("/")[:3]) + "/"
    return [
        TRUE, FALSE,
        StartsWith("region_path", grid_path),
        StartsWith("region_path", town_path),
        StartsWith("region_path", grid_path.rstrip("/")),  # the prefix trap's raw form
        and_(StartsWith("region_path", town_path), Compare("gender", "eq", "female")),
        or_(Compare("id", "lt", 5), In("id", (10, 11, 12))),
        not_(StartsWith("region_path", town_path)),
        Contains("name", "王"),
        Contains("name", "%"),
        IsNull("phone"),
        InSubquery("id", models.PersonTag, "person_id",
                   or_(Compare("tag", "eq", "care"), StartsWith("tag", "care/"))),
    ]


async def test_q_and_sql_select_the_same_rows(app, anchors):
    conn = connections.get("default")
    dialect = "postgres" if conn.capabilities.dialect == "postgres" else "sqlite"
    for pred in cases(anchors["grid"]):
        via_q = sorted(await models.Person.filter(pred.to_q()).values_list("id", flat=True))
        params = SqlParams(dialect)
        sql = f"SELECT p.id FROM person p WHERE {pred.to_sql(params, 'p')} ORDER BY p.id"
        _, raw = await conn.execute_query(sql, params.values)
        assert [r["id"] for r in raw] == via_q, pred


def test_like_wildcards_are_escaped():
    params = SqlParams("sqlite")
    assert StartsWith("region_path", "/a_b%/").to_sql(params, "t") == "t.region_path LIKE ? ESCAPE '\\'"
    assert params.values == ["/a\\_b\\%/%"]


@pytest.mark.parametrize("parts, expected", [((TRUE, TRUE), TRUE), ((TRUE, FALSE), FALSE)])
def test_and_simplifies_constants(parts, expected):
    assert and_(*parts) == expected


def tags(where):
    return InSubquery("id", models.PersonTag, "person_id", where)


def tag_path(path):  # a tag filter's `key`: the tag and below it (policies.facets._path_pattern)
    return or_(Compare("tag", "eq", path), StartsWith("tag", path + "/"))


G, G10 = "/340223/340223100/340223100001/001/", "/340223/340223100/340223100001/0010/"
# (a, b, a implies b): the prefix trap, the sibling, the parent, another column, another
# link table, and the connectives
IMPLIES = [
    (StartsWith("region_path", G), StartsWith("region_path", "/340223/340223100/"), True),
    (StartsWith("region_path", "/340223/340223100/"), StartsWith("region_path", G), False),  # the parent tier
    (StartsWith("region_path", G10), StartsWith("region_path", G), False),  # the prefix trap
    (StartsWith("region_path", G), StartsWith("region_path", G10), False),
    (StartsWith("region_path", G), StartsWith("region_path", G[:-2] + "2/"), False),  # the sibling grid
    (StartsWith("region_path", G), StartsWith("name", G), False),  # another column
    (Compare("tag", "eq", "key/drug"), StartsWith("tag", "key/"), True),
    (Compare("tag", "eq", "key"), StartsWith("tag", "key/"), False),
    (Compare("tag", "ne", "key/drug"), StartsWith("tag", "key/"), False),
    (StartsWith("tag", "key/"), tag_path("key"), True),
    (tag_path("key"), StartsWith("tag", "key/"), False),
    (tag_path("key/drug"), tag_path("key"), True),
    (tags(StartsWith("tag", "key/")), tags(tag_path("key")), True),
    (tags(tag_path("key")), tags(StartsWith("tag", "key/")), False),
    (tags(StartsWith("tag", "key/")),
     InSubquery("residence_id", models.PersonTag, "person_id", tag_path("key")), False),
    (and_(IsNull("deleted_at"), StartsWith("region_path", G)), StartsWith("region_path", "/340223/"), True),
    (StartsWith("region_path", G), and_(IsNull("deleted_at"), StartsWith("region_path", "/340223/")), False),
    (or_(StartsWith("tag", "key/a/"), Compare("tag", "eq", "key/b")), StartsWith("tag", "key/"), True),
    (or_(StartsWith("tag", "key/a/"), Compare("tag", "eq", "care/b")), StartsWith("tag", "key/"), False),
    (Contains("name", "王"), Contains("name", "王"), True),
    (Contains("name", "王小"), Contains("name", "王"), False),  # true, but not a rule it knows
]


@pytest.mark.parametrize("a, b, expected", IMPLIES)
def test_implies(a, b, expected):
    assert implies(a, b) is expected


@pytest.mark.parametrize("a, b, expected", [case for case in IMPLIES if case[2]])
async def test_what_implies_selects_no_row_outside_what_it_implies(app, anchors, a, b, expected):
    """The rule is sound on the database: every person (or tag) `a` selects, `b` selects."""
    model = models.PersonTag if "tag" in repr(a) and not isinstance(a, InSubquery) else models.Person
    rows = set(await model.filter(a.to_q()).values_list("id", flat=True))
    assert rows <= set(await model.filter(b.to_q()).values_list("id", flat=True))


def test_a_conjunction_keeps_only_what_is_not_implied():
    """A scope and a filter on the same semi-join render as one (the police's key persons
    asked for `tags: ["key"]`), and a filter below the scope's region keeps the filter's."""
    assert and_(tags(StartsWith("tag", "key/")), tags(tag_path("key"))) == tags(StartsWith("tag", "key/"))
    assert and_(tags(tag_path("key")), tags(StartsWith("tag", "key/"))) == tags(StartsWith("tag", "key/"))
    assert and_(StartsWith("region_path", "/340223/"), StartsWith("region_path", G)) == StartsWith("region_path", G)
    assert and_(StartsWith("region_path", G10), StartsWith("region_path", G)) == \
        and_(StartsWith("region_path", G10), StartsWith("region_path", G))  # both kept: no row has both
    assert len(and_(StartsWith("region_path", G10), StartsWith("region_path", G)).parts) == 2


def matching_cases(grid_path: str, pivot: int) -> list:
    """Predicates whose Python test (`matches`, for a row in memory) must keep exactly the
    rows SQL keeps: comparisons at a boundary, on a column with NULLs, empty sets, negations."""
    return [
        TRUE, FALSE,
        Compare("id", "eq", pivot), Compare("id", "ne", pivot), Compare("id", "gt", pivot), Compare("id", "gte", pivot),
        Compare("id", "lt", pivot), Compare("id", "lte", pivot),
        Compare("phone", "gt", "139"), Compare("phone", "gte", "138"), Compare("phone", "lt", "138"),
        Compare("phone", "lte", "139"),  # NULL phones are in no comparison
        In("id", (pivot, pivot + 1)), In("id", ()),
        IsNull("phone"), IsNull("phone", null=False),
        StartsWith("region_path", grid_path), StartsWith("phone", "138"),
        Contains("name", "王"), Contains("phone", "88"),
        not_(IsNull("phone")), not_(Compare("id", "lt", pivot)), not_(StartsWith("region_path", grid_path)),
        and_(StartsWith("region_path", grid_path), Compare("id", "gte", pivot)),
        or_(Compare("id", "lt", pivot), StartsWith("region_path", grid_path)),
    ]


async def test_a_row_in_memory_matches_as_the_database_selects(app, anchors):
    """Rows are sometimes decided in Python (a workflow step's event, an unmasked field's row):
    the same predicate must decide them as the SQL that lists them."""
    persons = await models.Person.all()
    pivot = sorted(p.id for p in persons)[len(persons) // 2]
    assert any(p.phone is None for p in persons) and any(p.phone for p in persons), "NULLs and values"
    for pred in matching_cases(anchors["grid"], pivot):
        selected = set(await models.Person.filter(pred.to_q()).values_list("id", flat=True))
        assert {p.id for p in persons if pred.matches(p)} == selected, pred
        assert 0 < len(selected) < len(persons) or pred in (TRUE, FALSE, In("id", ())), pred


def test_constants_and_flattening():
    a, b, c = Compare("id", "eq", 1), Compare("id", "eq", 2), Compare("id", "eq", 3)
    assert TRUE.matches(None) is True and FALSE.matches(None) is False and TRUE != FALSE
    assert and_() == TRUE and or_() == FALSE
    assert and_(a) == a and or_(a) == a and and_(a, TRUE) == a and or_(a, FALSE) == a
    assert and_(a, FALSE) == FALSE and or_(a, TRUE) == TRUE
    assert and_(a, and_(b, c)).parts == (a, b, c) and or_(or_(a, b), c).parts == (a, b, c)
    assert and_(a, b, a).parts == (a, b)  # a region said twice is tested once
    assert not_(TRUE) == FALSE and not_(FALSE) == TRUE and not_(not_(a)) == a


def test_every_predicate_is_a_value():
    """Predicates are deduplicated and cached by value (and_ keeps each part once; plans are
    keyed by scope): each kind is hashable, equal by its fields, and cannot change."""
    a = Compare("id", "eq", 1)
    each = [TRUE, FALSE, a, In("id", (1, 2)), IsNull("phone"), StartsWith("region_path", "/a/"),
            Contains("name", "王"), InSubquery("id", models.PersonTag, "person_id", a),
            and_(a, IsNull("phone")), or_(a, IsNull("phone")), not_(a), NotTrue(a, models.Person)]
    assert len(set(each + each)) == len(each)
    for pred in each:
        with pytest.raises(dataclasses.FrozenInstanceError):
            pred.column = "other"


def test_relax_keeps_what_it_may_test_and_over_approximates_the_rest():
    region, tag = StartsWith("region_path", "/a/"), Compare("tag", "eq", "care")
    is_region = lambda p: p.column == "region_path"  # noqa: E731
    assert relax(and_(region, tag), is_region) == region
    assert relax(or_(region, tag), is_region) == TRUE  # the tag alone might let any row in
    assert relax(not_(tag), is_region) == TRUE  # under a Not the dropped leaf is FALSE
    assert relax(and_(region, not_(tag)), is_region) == region
    assert relax(not_(and_(region, tag)), is_region) == TRUE  # outside the region, or without the tag
    assert relax(not_(or_(region, tag)), is_region) == not_(region)  # outside the region, at least
    assert relax(FALSE, is_region) == FALSE and relax(region, is_region) == region


def test_on_column_moves_only_that_columns_tests():
    where = and_(StartsWith("region_path", "/a/"), not_(Compare("region_path", "eq", "/a/b/")),
                 or_(IsNull("handling_department_id"), Compare("category", "eq", "x")))
    moved = on_column(where, "region_path", "from_path")
    assert moved == and_(StartsWith("from_path", "/a/"), not_(Compare("from_path", "eq", "/a/b/")),
                         or_(IsNull("handling_department_id"), Compare("category", "eq", "x")))
