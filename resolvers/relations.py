"""Relations that can grow without bound — a person's events over the years, a building's
residents, an organisation's members — are pages, not lists: this is the one table of them,
read by the schema (`schema.connection.relation_field`), the batched loader
(`pagination.fetch_relation_pages`) and the compiled read path (`sqlread.plan`).

Relations bounded by what they belong to (a household's members, an event's parties, a
region's children, a person's memberships) stay plain lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridhub.policies.predicate import Compare, Pred, and_
from gridhub.policies.scope import Scope

from .kinds import kind_of
from .query import visible


@dataclass(frozen=True)
class Via:
    """How a parent reaches the rows of a relation: `target` rows whose `column` holds the
    parent's id, or, with `link`, the targets of the link rows whose `column` holds it
    (`to_column` naming the target by its `target_column`, the id unless said). `only`: further (column, value) conditions on the
    targets; `scoped=False`: the targets are not limited by the caller's scope of their kind
    (the parent's own check decides, as for visits)."""

    target: str
    column: str
    link: str | None = None
    to_column: str | None = None
    target_column: str = "id"
    only: tuple[tuple[str, Any], ...] = ()
    scoped: bool = True

    def target_where(self, scope: Scope) -> Pred:
        """The targets a caller reaches: live, in scope (if scoped), meeting `only`."""
        base = visible(scope if self.scoped else Scope.everything(), self.target)
        return and_(base, *(Compare(c, "eq", v) for c, v in self.only))

    @property
    def order(self) -> tuple[tuple[str, bool], ...]:
        """Relations read in their target's natural order (events newest first)."""
        return kind_of(self.target).default_order


RELATIONS: dict[tuple[str, str], Via] = {
    ("person", "events"): Via("event", "person_id", link="event_person", to_column="event_id"),
    ("person", "residences"): Via("residence", "person_id"),
    ("place", "residents"): Via("person", "residence_id"),
    ("place", "households"): Via("household", "place_id"),
    ("place", "things"): Via("thing", "place_id"),
    ("place", "events"): Via("event", "place_id"),
    ("place", "organisations"): Via("organisation", "place_id"),
    ("place", "children"): Via("place", "parent_id"),
    # the rented homes (出租房) in and under a place: a building's rented rooms
    ("place", "rentals"): Via("place", "ancestor_id", link="place_tree", to_column="place_id",
                              only=(("kind", "rental_house"),)),
    ("organisation", "members"): Via("membership", "organisation_id"),
    ("organisation", "things"): Via("thing", "owner_id"),
    ("thing", "events"): Via("event", "thing_id", link="event_thing", to_column="event_id"),
}

# `deep: true` of a place's relation: the same rows of the place and of every place under
# it (resolvers.place_tree), through the closure of the tree
DEEP: dict[tuple[str, str], Via] = {
    ("place", "residents"): Via("person", "ancestor_id", link="place_tree", to_column="place_id",
                                target_column="residence_id"),
    ("place", "organisations"): Via("organisation", "ancestor_id", link="place_tree", to_column="place_id",
                                    target_column="place_id"),
}
