"""Golden SQL of the predicate renderer (policies/predicate.py), per dialect: what each
operator writes, with which bound values, so a change to the SQL of scopes, filters and
cursors is seen as the text it produces. That the SQL selects the same rows as the ORM's Q
is tests/test_predicate.py's; this table is the text itself."""

import pytest

from gridhub import models
from gridhub.policies.predicate import (
    FALSE, TRUE, Compare, Contains, In, InSubquery, IsNull, NotTrue, SqlParams, StartsWith, and_, not_, or_,
)

KEY_TAG = InSubquery("id", models.PersonTag, "person_id", StartsWith("tag", "key/"))
CARE_TAG = InSubquery("id", models.PersonTag, "person_id", StartsWith("tag", "care/"))

# (predicate, SQLite, PostgreSQL, bound values)
CASES = [
    (TRUE, "1=1", "1=1", []),
    (FALSE, "1=0", "1=0", []),
    (Compare("version", "eq", 3), "p.version = ?", "p.version = $1", [3]),
    (Compare("name", "ne", "王"), "p.name <> ?", "p.name <> $1", ["王"]),
    (Compare("birth_date", "lte", "1960-01-01"), "p.birth_date <= ?", "p.birth_date <= $1", ["1960-01-01"]),
    (In("id", (1, 2)), "p.id IN (?, ?)", "p.id IN ($1, $2)", [1, 2]),
    (In("id", ()), "1=0", "1=0", []),
    (IsNull("deleted_at"), "p.deleted_at IS NULL", "p.deleted_at IS NULL", []),
    (IsNull("household_id", null=False), "p.household_id IS NOT NULL", "p.household_id IS NOT NULL", []),
    # the prefix trap: /…/001/ must not reach /…/0010/, so the trailing slash is in the pattern,
    # and LIKE's wildcards in a path are escaped
    (StartsWith("region_path", "/340223/001/"), "p.region_path LIKE ? ESCAPE '\\'",
     "p.region_path LIKE $1 ESCAPE '\\'", ["/340223/001/%"]),
    (StartsWith("tag", "care/50%_x"), "p.tag LIKE ? ESCAPE '\\'", "p.tag LIKE $1 ESCAPE '\\'", ["care/50\\%\\_x%"]),
    (Contains("name", "li"), "UPPER(p.name) LIKE ? ESCAPE '\\'", "UPPER(p.name) LIKE $1 ESCAPE '\\'", ["%LI%"]),
    (and_(IsNull("deleted_at"), Compare("version", "gt", 1)), "(p.deleted_at IS NULL AND p.version > ?)",
     "(p.deleted_at IS NULL AND p.version > $1)", [1]),
    (or_(Compare("id", "eq", 1), Compare("id", "eq", 2)), "(p.id = ? OR p.id = ?)", "(p.id = $1 OR p.id = $2)", [1, 2]),
    (not_(Compare("id", "eq", 1)), "NOT p.id = ?", "NOT p.id = $1", [1]),
    (NotTrue(Compare("version", "gt", 1), models.Person), "(p.version > ?) IS NOT TRUE",
     "(p.version > $1) IS NOT TRUE", [1]),
    (KEY_TAG, "p.id IN (SELECT p_s.person_id FROM person_tag p_s WHERE p_s.tag LIKE ? ESCAPE '\\')",
     "p.id IN (SELECT p_s.person_id FROM person_tag p_s WHERE p_s.tag LIKE $1 ESCAPE '\\')", ["key/%"]),
    # two semi-joins on one link table in a conjunction are one INTERSECT (see InSubquery)
    (and_(KEY_TAG, CARE_TAG, IsNull("deleted_at")),
     "(p.id IN (SELECT p_s.person_id FROM person_tag p_s WHERE p_s.tag LIKE ? ESCAPE '\\' INTERSECT "
     "SELECT p_s.person_id FROM person_tag p_s WHERE p_s.tag LIKE ? ESCAPE '\\') AND p.deleted_at IS NULL)",
     "(p.id IN (SELECT p_s.person_id FROM person_tag p_s WHERE p_s.tag LIKE $1 ESCAPE '\\' INTERSECT "
     "SELECT p_s.person_id FROM person_tag p_s WHERE p_s.tag LIKE $2 ESCAPE '\\') AND p.deleted_at IS NULL)",
     ["key/%", "care/%"]),
]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
@pytest.mark.parametrize("pred, sqlite, postgres, values", CASES, ids=[repr(c[0])[:60] for c in CASES])
def test_each_operator_renders_its_golden_sql(pred, sqlite, postgres, values, dialect):
    params = SqlParams(dialect)
    assert pred.to_sql(params, "p") == (sqlite if dialect == "sqlite" else postgres)
    assert params.values == values
