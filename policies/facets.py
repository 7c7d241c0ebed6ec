"""The facet registry: the one place that knows how a facet named in a policy object
(`person:care/*`, `event:category/safety/*`, `thing:kind/hydrant`, `event:assigned`) maps
to columns. Each entry turns the facet's text into a predicate on the kind's table."""

from __future__ import annotations

from typing import Callable

from gridhub import models

from .predicate import FALSE, Compare, InSubquery, IsNull, Pred, StartsWith, and_, or_


def _path_pattern(column: str, pattern: str) -> Pred:
    """`care/*` is everything under care/, `key/drug` that path exactly (and below it)."""
    if pattern.endswith("/*"):
        return StartsWith(column, pattern[:-1])
    if pattern == "*":
        return StartsWith(column, "")
    return or_(Compare(column, "eq", pattern), StartsWith(column, pattern + "/"))


def _person_tags(pattern: str, who: dict) -> Pred:
    return InSubquery("id", models.PersonTag, "person_id", _path_pattern("tag", pattern))


def _home_of(pattern: str, who: dict) -> Pred:
    """`place:home_of/key/*`: the places where a person with a tag under the pattern lives
    now (their current residence), so a department reads the home of the persons its
    business grants it, and no other house. What of the place it sees whole (the exact
    address) is still the sensitivity model's: without `place.address`, compound and building."""
    return InSubquery("id", models.Person, "residence_id",
                      and_(IsNull("deleted_at"), _person_tags(pattern, who)))


def _column_value(column: str) -> Callable[[str, dict], Pred]:
    def facet(value: str, who: dict) -> Pred:
        return Compare(column, "eq", value)

    return facet


def _event_category(pattern: str, who: dict) -> Pred:
    return _path_pattern("category", pattern)


def _event_assigned(_: str, who: dict) -> Pred:
    """Events dispatched to the caller's department."""
    department_id = who.get("department_id")
    return Compare("handling_department_id", "eq", department_id) if department_id else FALSE


def _event_with_region(_: str, who: dict) -> Pred:
    """Events being handled by a tier of the tree, not dispatched to a department."""
    return IsNull("handling_department_id")


# (kind, facet name) -> builder(argument, who); a facet is written kind:name/argument,
# except tag facets of persons, written person:<tag pattern>.
FACETS: dict[tuple[str, str], Callable[[str, dict], Pred]] = {
    ("event", "category"): _event_category,
    ("event", "assigned"): _event_assigned,
    ("event", "with_region"): _event_with_region,
    ("thing", "kind"): _column_value("kind"),
    ("thing", "status"): _column_value("status"),
    ("place", "kind"): _column_value("kind"),
    ("organisation", "kind"): _column_value("kind"),
    ("place", "home_of"): _home_of,
}


def facet_predicate(kind: str, facet: str, who: dict) -> Pred:
    """The rows of `kind` in the facet; an unknown facet grants nothing (deny by default)."""
    if kind == "person":
        return _person_tags(facet, who)
    name, _, argument = facet.partition("/")
    builder = FACETS.get((kind, name))
    return builder(argument, who) if builder else FALSE
