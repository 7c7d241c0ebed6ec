"""Filters a caller asks for, compiled to predicates (the same tree scopes use).

A filter is a plain dict from the GraphQL input or the export's query string: the keys
common to every kind (`region_path`, `updated_since`, `updated_until`, `text`, `ids`), per-kind columns
named in FILTER_COLUMNS, and per-kind conditions on time named in TIMED_FILTERS."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import models
from policies.masking import is_key_tag
from policies.predicate import (
    FALSE, TRUE, Compare, Contains, In, InSubquery, Pred, StartsWith, and_, or_, path_prefix,
)

from policies.scope import Scope

from . import deadlines
from .errors import BadInput, Forbidden
from .kinds import kind_of
from .visits import overdue_predicate

# kind -> filter key -> (column, how): "in" takes a list of values, "prefix" a path
FILTER_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "region": {"tier": ("tier", "in"), "parent_id": ("parent_id", "in")},
    "person": {
        "gender": ("gender", "in"),
        "population_type": ("population_type", "in"),
        "household_id": ("household_id", "in"),
    },
    "household": {},
    "place": {"kind": ("kind", "in")},
    "event": {
        "status": ("status", "in"),
        "kind": ("kind", "in"),
        "source": ("source", "in"),
        "urgency": ("urgency", "in"),
        "category": ("category", "prefix"),
    },
    "thing": {"kind": ("kind", "in"), "status": ("status", "in")},
    "organisation": {"kind": ("kind", "in")},
    "audit": {"actor": ("actor", "in"), "action": ("action", "in"), "object_kind": ("object_kind", "in")},
}


# kind -> filter key -> builder(value, now): conditions relative to the moment of asking
TIMED_FILTERS: dict[str, dict[str, Callable[[Any, datetime], Pred]]] = {
    "event": {
        "light": deadlines.light_predicate,
        "due_before": lambda moment, now: deadlines.due_predicate(before=as_utc(moment)),
        "due_after": lambda moment, now: deadlines.due_predicate(after=as_utc(moment)),
    },
}


def as_utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite compares them as text, so a bound must be UTC too."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def tag_predicate(tags: list[str], scope: Scope) -> Pred:
    """Persons carrying any of `tags`; a tag names itself and everything under it
    (`care` matches `care/low_income`). Key-person tags can be filtered on only where the
    caller may see them, or the filter would tell what the masking hides."""
    for t in tags:
        if not t or t.startswith("/") or t.endswith("/"):
            raise BadInput(f"not a tag path: {t!r}", field="tags")
    parts = []
    for t in tags:
        has_tag = InSubquery("id", models.PersonTag, "person_id",
                             or_(Compare("tag", "eq", t), StartsWith("tag", t + "/")))
        if is_key_tag(t):
            where_visible = scope.where("person.key_tags")
            if where_visible == FALSE:
                raise Forbidden("filtering by key-person tags needs the person.key_tags grant", field="tags")
            has_tag = and_(has_tag, where_visible)
        parts.append(has_tag)
    return or_(*parts)


def compile_filter(kind: str, spec: dict[str, Any] | None, scope: Scope, now: datetime | None = None) -> Pred:
    """`now` is the moment lights are judged at (by default, the time of the call)."""
    if not spec:
        return TRUE
    k = kind_of(kind)
    columns = FILTER_COLUMNS.get(kind, {})
    timed = TIMED_FILTERS.get(kind, {})
    parts: list[Pred] = []
    for key, value in spec.items():
        if value is None:
            continue
        if key == "region_path":
            if not (isinstance(value, str) and value.startswith("/") and value.endswith("/")):
                raise BadInput("a region path starts and ends with '/'", field="region")
            parts.append(path_prefix(value))
        elif key == "since" and kind == "audit":
            parts.append(Compare("at", "gte", as_utc(value)))
        elif key == "updated_since":
            parts.append(Compare("updated_at", "gte", as_utc(value)))
        elif key == "updated_until":
            parts.append(Compare("updated_at", "lte", as_utc(value)))
        elif key == "text":
            if value.strip():
                parts.append(or_(*(Contains(c, value.strip()) for c in k.text_columns)))
        elif key == "ids":
            parts.append(In("id", tuple(value)))
        elif key == "visit_overdue" and kind == "person":
            parts.append(overdue_predicate(value, now or datetime.now(timezone.utc), scope))
        elif key == "tags" and kind == "person":
            if value:
                parts.append(tag_predicate(value, scope))
        elif key in timed:
            parts.append(timed[key](value, now or datetime.now(timezone.utc)))
        elif key in columns:
            column, how = columns[key]
            values = [getattr(v, "value", v) for v in (value if isinstance(value, list) else [value])]
            if how == "in":
                parts.append(In(column, tuple(values)))
            else:
                parts.append(or_(*(or_(Compare(column, "eq", v), StartsWith(column, v + "/")) for v in values)))
        else:
            raise BadInput(f"{kind} cannot be filtered by {key}", field=key)
    return and_(*parts)
