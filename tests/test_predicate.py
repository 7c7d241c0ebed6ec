"""Both renderings of a predicate (the ORM's Q and our SQL text) select the same rows on the
database under test: the compiled read path will rely on it."""

import pytest
from tortoise import connections

from gridhub import models
from gridhub.policies.predicate import (
    FALSE, TRUE, Compare, Contains, In, InSubquery, IsNull, SqlParams, StartsWith, and_, not_, or_,
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
