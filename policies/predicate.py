"""A small predicate tree over the columns of one table.

Scopes (policy), filters (what the caller asked for) and keyset cursors (where a page
starts) are all predicates. A predicate renders two ways with one meaning:
`to_q()` for the ORM (the resolver path) and `to_sql()` for hand-built SQL (batched
relation pages now, the compiled read path later). Nothing here runs row by row in Python.
Column names are database column names (`household_id`, not `household`), which Tortoise
also accepts as filter keys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from tortoise.expressions import Q, Subquery


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlParams:
    """Collects bound parameters and writes the dialect's placeholder for each."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.dialect == "postgres" else "?"


class Pred:
    def to_q(self) -> Q:
        raise NotImplementedError

    def to_sql(self, params: SqlParams, alias: str) -> str:
        raise NotImplementedError

    def key(self) -> tuple:
        """A hashable description, for cache keys and loader batching."""
        raise NotImplementedError

    def matches(self, row: Any) -> bool:
        """Whether one row already in memory satisfies the predicate: for decisions about a
        row being shown (masking), never for choosing rows, which SQL does."""
        raise NotImplementedError(f"{type(self).__name__} is decided in SQL only")

    def __and__(self, other: Pred) -> Pred:
        return and_(self, other)

    def __or__(self, other: Pred) -> Pred:
        return or_(self, other)


@dataclass(frozen=True)
class Const(Pred):
    value: bool

    def to_q(self) -> Q:
        # Tortoise has no literal true/false Q; an id test is one on every backend.
        return Q() if self.value else Q(id__isnull=True)

    def to_sql(self, params, alias):
        return "1=1" if self.value else "1=0"

    def key(self):
        return ("const", self.value)

    def matches(self, row):
        return self.value


TRUE = Const(True)
FALSE = Const(False)

_COMPARE = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a is not None and a > b,
    "gte": lambda a, b: a is not None and a >= b, "lt": lambda a, b: a is not None and a < b,
    "lte": lambda a, b: a is not None and a <= b,
}
_OPS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_Q_SUFFIX = {"eq": "", "ne": "__not", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte"}


@dataclass(frozen=True)
class Compare(Pred):
    column: str
    op: str
    value: Any

    def to_q(self):
        if self.op == "ne":
            return ~Q(**{self.column: self.value})
        return Q(**{self.column + _Q_SUFFIX[self.op]: self.value})

    def to_sql(self, params, alias):
        return f"{alias}.{self.column} {_OPS[self.op]} {params.add(self.value)}"

    def key(self):
        return ("cmp", self.column, self.op, _hashable(self.value))

    def matches(self, row):
        return _COMPARE[self.op](getattr(row, self.column), self.value)


@dataclass(frozen=True)
class In(Pred):
    column: str
    values: tuple

    def to_q(self):
        return Q(**{self.column + "__in": list(self.values)}) if self.values else FALSE.to_q()

    def to_sql(self, params, alias):
        if not self.values:
            return "1=0"
        return f"{alias}.{self.column} IN ({', '.join(params.add(v) for v in self.values)})"

    def key(self):
        return ("in", self.column, tuple(_hashable(v) for v in self.values))

    def matches(self, row):
        return getattr(row, self.column) in self.values


@dataclass(frozen=True)
class IsNull(Pred):
    column: str
    null: bool = True

    def to_q(self):
        return Q(**{self.column + "__isnull": self.null})

    def to_sql(self, params, alias):
        return f"{alias}.{self.column} IS {'' if self.null else 'NOT '}NULL"

    def key(self):
        return ("null", self.column, self.null)

    def matches(self, row):
        return (getattr(row, self.column) is None) == self.null


@dataclass(frozen=True)
class StartsWith(Pred):
    """`column` begins with `prefix`: a region subtree (`region_path`) or a category path."""

    column: str
    prefix: str

    def to_q(self):
        return Q(**{self.column + "__startswith": self.prefix})

    def to_sql(self, params, alias):
        return f"{alias}.{self.column} LIKE {params.add(like_escape(self.prefix) + '%')} ESCAPE '\\'"

    def key(self):
        return ("prefix", self.column, self.prefix)

    def matches(self, row):
        value = getattr(row, self.column)
        return value is not None and str(value).startswith(self.prefix)


@dataclass(frozen=True)
class Contains(Pred):
    """Case-insensitive substring match for text filters and search."""

    column: str
    text: str

    def to_q(self):
        return Q(**{self.column + "__icontains": self.text})

    def to_sql(self, params, alias):
        pattern = "%" + like_escape(self.text.upper()) + "%"
        return f"UPPER({alias}.{self.column}) LIKE {params.add(pattern)} ESCAPE '\\'"

    def key(self):
        return ("contains", self.column, self.text)

    def matches(self, row):
        value = getattr(row, self.column)
        return value is not None and self.text.upper() in str(value).upper()


@dataclass(frozen=True)
class InSubquery(Pred):
    """`column` is among `select_column` of the rows of `model` matching `where`: tags of a
    person live in a link table, and a filter or facet on them is a semi-join."""

    column: str
    model: Any
    select_column: str
    where: Pred

    def to_q(self):
        inner = self.model.filter(self.where.to_q()).values(self.select_column)
        return Q(**{self.column + "__in": Subquery(inner)})

    def to_sql(self, params, alias):
        return self.intersect_sql((self,), params, alias)

    def semi_join_key(self) -> tuple:
        return (self.column, self.model._meta.db_table, self.select_column)

    @staticmethod
    def intersect_sql(parts: tuple[InSubquery, ...], params, alias) -> str:
        """`column IN (A INTERSECT B …)` for semi-joins on one link table. PostgreSQL
        multiplies the selectivities of separate semi-joins (a key-tag scope and a key-tag
        filter: 4,500 persons estimated as 28), then seq-scans and sorts instead of walking
        the primary key up to the page's LIMIT; one semi-join is estimated right."""
        first = parts[0]
        inner_alias = f"{alias}_s"
        table = first.model._meta.db_table
        selects = " INTERSECT ".join(
            f"SELECT {inner_alias}.{first.select_column} FROM {table} {inner_alias} "
            f"WHERE {p.where.to_sql(params, inner_alias)}"
            for p in parts
        )
        return f"{alias}.{first.column} IN ({selects})"

    def key(self):
        return ("sub", self.column, self.model._meta.db_table, self.select_column, self.where.key())


@dataclass(frozen=True)
class And(Pred):
    parts: tuple[Pred, ...]

    def to_q(self):
        return Q(*(p.to_q() for p in self.parts), join_type="AND")

    def to_sql(self, params, alias):
        semi_joins: dict[tuple, list[InSubquery]] = {}
        for p in self.parts:
            if isinstance(p, InSubquery):
                semi_joins.setdefault(p.semi_join_key(), []).append(p)
        rendered, done = [], set()
        for p in self.parts:
            if not isinstance(p, InSubquery):
                rendered.append(p.to_sql(params, alias))
            elif p.semi_join_key() not in done:
                done.add(p.semi_join_key())
                rendered.append(InSubquery.intersect_sql(tuple(semi_joins[p.semi_join_key()]), params, alias))
        return "(" + " AND ".join(rendered) + ")"

    def key(self):
        return ("and",) + tuple(p.key() for p in self.parts)

    def matches(self, row):
        return all(p.matches(row) for p in self.parts)


@dataclass(frozen=True)
class Or(Pred):
    parts: tuple[Pred, ...]

    def to_q(self):
        return Q(*(p.to_q() for p in self.parts), join_type="OR")

    def to_sql(self, params, alias):
        return "(" + " OR ".join(p.to_sql(params, alias) for p in self.parts) + ")"

    def key(self):
        return ("or",) + tuple(p.key() for p in self.parts)

    def matches(self, row):
        return any(p.matches(row) for p in self.parts)


@dataclass(frozen=True)
class Not(Pred):
    part: Pred

    def to_q(self):
        return ~self.part.to_q()

    def to_sql(self, params, alias):
        return f"NOT {self.part.to_sql(params, alias)}"

    def key(self):
        return ("not", self.part.key())

    def matches(self, row):
        return not self.part.matches(row)


@dataclass(frozen=True)
class NotTrue(Pred):
    """The rows of `model` for which `part` does not hold, where a part that is unknown
    (a comparison with a NULL column) counts as not holding: `NOT part` would leave such a
    row out. SQL says it directly; the ORM says it as "not among the rows where it holds"."""

    part: Pred
    model: Any

    def to_q(self):
        return ~Q(id__in=Subquery(self.model.filter(self.part.to_q()).values("id")))

    def to_sql(self, params, alias):
        return f"({self.part.to_sql(params, alias)}) IS NOT TRUE"

    def key(self):
        return ("not_true", self.model._meta.db_table, self.part.key())


def implies(a: Pred, b: Pred) -> bool:
    """Whether every row `a` holds for, `b` holds for as well, as far as a few rules of
    prefixes and connectives tell: False means not known, never "does not"."""
    if a == b or b == TRUE:
        return True
    if isinstance(a, Or):
        return all(implies(p, b) for p in a.parts)
    if isinstance(b, And):
        return all(implies(a, p) for p in b.parts)
    if isinstance(a, And):
        return any(implies(p, b) for p in a.parts)
    if isinstance(b, Or):
        return any(implies(a, p) for p in b.parts)
    if isinstance(b, StartsWith) and getattr(a, "column", None) == b.column:
        if isinstance(a, StartsWith):
            return a.prefix.startswith(b.prefix)
        return isinstance(a, Compare) and a.op == "eq" and isinstance(a.value, str) and a.value.startswith(b.prefix)
    if isinstance(a, InSubquery) and isinstance(b, InSubquery):
        return a.semi_join_key() == b.semi_join_key() and implies(a.where, b.where)
    return False


def and_(*parts: Pred) -> Pred:
    flat: list[Pred] = []
    for p in parts:
        if p == FALSE:
            return FALSE
        if p == TRUE:
            continue
        flat.extend(p.parts if isinstance(p, And) else (p,))
    flat = list(dict.fromkeys(flat))  # a scope and a filter often say the same region twice
    # or one says more than the other: the police's key persons (`key/…` tags) asked for
    # `tags: ["key"]` are one semi-join on the tags, not two intersected
    flat = [p for i, p in enumerate(flat)
            if not any(implies(q, p) and (j < i or not implies(p, q)) for j, q in enumerate(flat) if j != i)]
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*parts: Pred) -> Pred:
    flat: list[Pred] = []
    for p in parts:
        if p == TRUE:
            return TRUE
        if p == FALSE:
            continue
        flat.extend(p.parts if isinstance(p, Or) else (p,))
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def not_(part: Pred) -> Pred:
    if part == TRUE:
        return FALSE
    if part == FALSE:
        return TRUE
    return part.part if isinstance(part, Not) else Not(part)


def path_prefix(prefix: str, column: str = "region_path") -> Pred:
    return StartsWith(column, prefix)


_LEAVES = (Compare, In, IsNull, StartsWith, Contains, InSubquery)


def relax(pred: Pred, keep: Callable[[Pred], bool], positive: bool = True) -> Pred:
    """A predicate implied by `pred` that tests only the leaves `keep` accepts: every other
    leaf becomes TRUE where it counts for the rows (positive position) and FALSE under a
    Not, so the result holds for every row `pred` holds for (a sound over-approximation).
    Used to ask "which region could this rule ever let one see" without the facets."""
    if isinstance(pred, Const):
        return pred
    if isinstance(pred, And):
        return and_(*(relax(p, keep, positive) for p in pred.parts))
    if isinstance(pred, Or):
        return or_(*(relax(p, keep, positive) for p in pred.parts))
    if isinstance(pred, Not):
        return not_(relax(pred.part, keep, not positive))
    if isinstance(pred, _LEAVES) and keep(pred):
        return pred
    return TRUE if positive else FALSE


def on_column(pred: Pred, column: str, other: str) -> Pred:
    """`pred` with its tests of `column` made on `other` instead (a region predicate asked of
    a recorded move's `from_path`). Tests inside a subquery stay on their own table."""
    if isinstance(pred, (And, Or)):
        return type(pred)(tuple(on_column(p, column, other) for p in pred.parts))
    if isinstance(pred, Not):
        return Not(on_column(pred.part, column, other))
    if isinstance(pred, _LEAVES) and pred.column == column:
        return replace(pred, column=other)
    return pred


def _hashable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
