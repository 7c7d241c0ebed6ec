"""Filters a caller asks for, compiled to predicates (the same tree scopes use).

A filter is a plain dict from the GraphQL input or the export's query string: the keys
common to every kind (`region_path`, `updated_since`, `updated_until`, `text`, `ids`), per-kind columns
named in the catalog (`Kind.filters`), per-kind conditions on time named in TIMED_FILTERS, and for located
kinds (and persons, by residence) the spatial `box`, `area` and `near` (resolvers.read.spatial)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from gridhub import models
from gridhub.policies.predicate import (
    TRUE, Compare, Contains, In, InSubquery, IsNull, Not, Pred, StartsWith, and_, or_, path_prefix,
)
from gridhub.policies.sensitivity import NotRevealed, comparable_where, is_key_tag

from gridhub.policies.scope import Scope

from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.read import holders
from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.errors import BadInput, Forbidden
from gridhub.resolvers.kinds import KINDS, kind_of
from gridhub.resolvers.domain.residence import due_for_renewal
from gridhub.resolvers.read.spatial import SPATIAL_KEYS, spatial_predicate
from gridhub.resolvers.write.validation import check_division_prefix, check_region_path, check_tag_filter
from gridhub.resolvers.domain.visit_due import care_overdue_predicate, overdue_predicate

# kind -> filter key -> (column, how), from the catalog (resolvers.kinds, `Kind.filters`)
FILTER_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    k.name: {f.key: (f.column, f.how) for f in k.filters} for k in KINDS.values() if k.filters}


# kind -> filter key -> builder(value, now): conditions relative to the moment of asking
TIMED_FILTERS: dict[str, dict[str, Callable[[Any, datetime], Pred]]] = {
    "person": {
        "due_for_renewal": lambda due, now: due_for_renewal(due, now.astimezone(CIVIL_TIME_ZONE).date()),
        "care_visit_overdue": care_overdue_predicate,
    },
    "event": {
        "light": deadlines.light_predicate,
        "due_before": lambda moment, now: deadlines.due_predicate(before=as_utc(moment)),
        "due_after": lambda moment, now: deadlines.due_predicate(after=as_utc(moment)),
    },
}


# kind -> filter key -> builder(value): conditions that are neither a column nor timed
CONDITIONS: dict[str, dict[str, Callable[[Any], Pred]]] = {
    "volunteer_activity": {
        "held_from": lambda day: Compare("held_on", "gte", day),
        "held_until": lambda day: Compare("held_on", "lte", day),
        "organisation": lambda ids: In("organisation_id", tuple(ids)),
    },
    "person": {
        "native_place": lambda codes: or_(*(StartsWith("native_place", check_division_prefix(c, "nativePlace"))
                                           for c in codes)),
    },
    "event": {
        # a `holders.Holding`, made from the caller's `heldBy` by schema.connection.filter_spec
        "held_by": lambda holding: holders.held_by(holding.region_ids, holding.department_ids),
        "waiting_for": lambda steps: holders.waiting_for(getattr(s, "value", s) for s in steps),
        "supervised": lambda yes: IsNull("supervised_at", null=not yes),
        "parked": lambda yes: holders.PARKED if yes else Not(holders.PARKED),
    },
}


def as_utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite compares them as text, so a bound must be UTC too."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def revealed_for_comparing(scope: Scope, kind: str, field_name: str, asked_as: str) -> Pred:
    """The rows among which a filter, an ordering or a grouping on `field_name` may look:
    where the caller sees it whole (policies.sensitivity). Comparing on a masked value would
    narrow it down (bisection), so it is FORBIDDEN where the caller is granted it nowhere."""
    try:
        where = comparable_where(scope, kind, field_name)
    except NotRevealed as refused:
        how = "ordering" if asked_as == "orderBy" else "grouping" if asked_as == "groupBy" else "filtering"
        raise Forbidden(f"{how} by {field_name} needs the {refused.sensitive.grant} grant",
                        field=asked_as) from None
    return TRUE if where is None else where


def tag_predicate(tags: list[str], scope: Scope) -> Pred:
    """Persons carrying any of `tags`, each a path of the vocabulary or a group of it
    (`care` matches `care/low_income`). Key-person tags can be filtered on only where the
    caller may see them, or the filter would tell what the masking hides."""
    parts = []
    for t in tags:
        check_tag_filter(t)
        has_tag = InSubquery("id", models.PersonTag, "person_id",
                             or_(Compare("tag", "eq", t), StartsWith("tag", t + "/")))
        if is_key_tag(t):
            has_tag = and_(has_tag, revealed_for_comparing(scope, "person", "tags", "tags"))
        parts.append(has_tag)
    return or_(*parts)


def text_predicate(kind: str, text: str, scope: Scope) -> Pred:
    """A case-insensitive match on any of the kind's text columns (filters and search). A
    sensitive column is searched only where the caller sees it whole, nowhere without the
    grant, so a search never matches on masked characters."""
    parts = []
    for column in kind_of(kind).text_columns:
        try:
            where = comparable_where(scope, kind, column)
        except NotRevealed:
            continue
        parts.append(and_(Contains(column, text), TRUE if where is None else where))
    return or_(*parts)


def order_predicate(kind: str, order, scope: Scope) -> Pred:
    """An ordering on a sensitive or derived column looks only among the rows where the
    caller sees it: the order of masked values would tell them apart."""
    return and_(*(revealed_for_comparing(scope, kind, column, "orderBy") for column, _ in order or ()))


def compile_filter(kind: str, spec: dict[str, Any] | None, scope: Scope, now: datetime | None = None,
                   order=None) -> Pred:
    """`now` is the moment lights are judged at (by default, the time of the call); `order`
    the list's ordering, which may restrict the rows too (`order_predicate`)."""
    if order:
        return and_(compile_filter(kind, spec, scope, now), order_predicate(kind, order, scope))
    if not spec:
        return TRUE
    k = kind_of(kind)
    columns = FILTER_COLUMNS.get(kind, {})
    timed = TIMED_FILTERS.get(kind, {})
    conditions = CONDITIONS.get(kind, {})
    parts: list[Pred] = []
    for key, value in spec.items():
        if value is None:
            continue
        if key == "region_path":
            parts.append(path_prefix(check_region_path(value, field="region")))
        elif key == "since" and kind == "audit":
            parts.append(Compare("at", "gte", as_utc(value)))
        elif key == "updated_since":
            parts.append(Compare("updated_at", "gte", as_utc(value)))
        elif key == "updated_until":
            parts.append(Compare("updated_at", "lte", as_utc(value)))
        elif key == "text":
            if value.strip():
                parts.append(text_predicate(kind, value.strip(), scope))
        elif key == "ids":
            parts.append(In("id", tuple(value)))
        elif key == "visit_overdue" and kind == "person":
            parts.append(overdue_predicate(value, now or datetime.now(timezone.utc), scope))
        elif key == "tags" and kind == "person":
            if value:
                parts.append(tag_predicate(value, scope))
        elif key in conditions:
            parts.append(conditions[key](value))
        elif key in SPATIAL_KEYS:
            parts.append(spatial_predicate(kind, key, value, scope))
        elif key in timed:
            parts.append(timed[key](value, now or datetime.now(timezone.utc)))
        elif key in columns:
            column, how = columns[key]
            values = [getattr(v, "value", v) for v in (value if isinstance(value, list) else [value])]
            parts.append(revealed_for_comparing(scope, kind, column, key))
            if how == "in":
                parts.append(In(column, tuple(values)))
            else:
                parts.append(or_(*(or_(Compare(column, "eq", v), StartsWith(column, v + "/")) for v in values)))
        else:
            raise BadInput(f"{kind} cannot be filtered by {key}", field=key)
    return and_(*parts)
