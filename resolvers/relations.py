"""The one table of the relations between kinds: each is declared here once, with its keys,
its cardinality and what it means, and everything else is made from this entry — the GraphQL
field (`schema.relations.with_relations`), the batched loaders, and the compiled read path
(`schema.plan`). Adding a relation is one entry below.

- `One`: a to-one relation by a foreign key of the parent (an event's place).
- `Many`: a list bounded by what it belongs to (a household's members, an event's parties,
  a region's children), by the targets' column, or through a link table.
- `Via`: a relation that can grow without bound (a person's events over the years, a
  building's residents): a page (`first`, `after`), not a list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridhub.policies.predicate import Compare, Pred, and_
from gridhub.policies.scope import Scope

from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.read.query import visible


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
    description: str = ""
    # `deep: true`: the same relation of the place and of every place under it, read through
    # the closure of the place tree (resolvers.domain.place_tree)
    deep: Via | None = None

    def target_where(self, scope: Scope) -> Pred:
        """The targets a caller reaches: live, in scope (if scoped), meeting `only`."""
        base = visible(scope if self.scoped else Scope.everything(), self.target)
        return and_(base, *(Compare(c, "eq", v) for c, v in self.only))

    @property
    def order(self) -> tuple[tuple[str, bool], ...]:
        """Relations read in their target's natural order (events newest first)."""
        return kind_of(self.target).default_order


@dataclass(frozen=True)
class One:
    """The `target` row whose id the parent's `column` holds (null if none, or out of scope)."""

    target: str
    column: str
    description: str


@dataclass(frozen=True)
class Many:
    """The `target` rows whose `column` holds the parent's id, in the target's natural order;
    with `link`, the targets of the link rows whose `column` holds it (`to_column` naming the
    target), in the link rows' order. Only those the caller may read."""

    target: str
    column: str
    description: str
    link: str | None = None
    to_column: str | None = None


RELATIONS: dict[tuple[str, str], One | Many | Via] = {
    ("region", "parent"): One("region", "parent_id",
                              "The region one tier up; null for the county, or where it is outside your scope."),
    ("region", "children"): Many("region", "parent_id", "The regions one tier down that you may read."),
    ("person", "region"): One("region", "region_id", "The grid (or other region) the person belongs to."),
    ("person", "household"): One("household", "household_id",
                                 "The household (户) the person is a member of; null if none."),
    ("person", "residence"): One("place", "residence_id", "Where the person lives now."),
    ("person", "residences"): Via("residence", "person_id", description="Every stay, newest first (人来登记、人走注销)."),
    ("person", "events"): Via("event", "person_id", link="event_person", to_column="event_id",
                              description="Events the person is involved in that you may read, newest first."),
    ("person", "memberships"): Many("membership", "person_id", "The person's roles in organisations."),
    ("person", "houses_let"): Via("place", "landlord_id",
                                  description="Houses the person lets out (出租房) that you may read."),
    ("household", "region"): One("region", "region_id", "The region the household belongs to."),
    ("household", "head"): One("person", "head_id", "The head of the household (户主); null if not recorded."),
    ("household", "place"): One("place", "place_id", "The house the household lives in; null if not recorded."),
    ("household", "joint_unit"): One("joint_unit", "joint_unit_id",
                                     "The joint-household unit (双联户) it belongs to; null if none or not readable."),
    ("household", "members"): Many("person", "household_id", "The persons of the household, the head included."),
    ("residence", "person"): One("person", "person_id", "Who stayed."),
    ("residence", "place"): One("place", "place_id", "Where they stayed."),
    ("residence", "landlord"): One("person", "landlord_id", "The landlord of a rented house; null otherwise."),
    ("place", "region"): One("region", "region_id", "The grid (or other region) the place lies in."),
    ("place", "landlord"): One("person", "landlord_id", "The landlord of a rented house (出租房); null otherwise."),
    ("place", "parent"): One("place", "parent_id", "The place it lies in (a room's unit, a unit's building, a "
                             "building's compound); null at the top of its tree or where you may not read it."),
    ("place", "children"): Via("place", "parent_id", description=(
        "The places lying directly in this one that you may read (a compound's buildings, a building's units, "
        "a unit's rooms).")),
    # the rented homes (出租房) in and under a place: a building's rented rooms
    ("place", "rentals"): Via("place", "ancestor_id", link="place_tree", to_column="place_id",
                              only=(("kind", "rental_house"),), description=(
                                  "The rented homes (出租房, `RENTAL_HOUSE`) that you may read in and under this "
                                  "place: which rooms of a building are rented.")),
    ("place", "residents"): Via("person", "residence_id", description=(
        "Persons whose current residence this is, that you may read; with `deep: true`, of this place and every "
        "place under it."), deep=Via("person", "ancestor_id", link="place_tree", to_column="place_id",
                                     target_column="residence_id")),
    ("place", "households"): Via("household", "place_id", description="Households living here that you may read."),
    ("place", "things"): Via("thing", "place_id", description="Things at this place that you may read."),
    ("place", "events"): Via("event", "place_id", description="Events that happened here that you may read, newest first."),
    ("place", "organisations"): Via("organisation", "place_id", description=(
        "Organisations at this address (实有单位 on their premises) that you may read; with `deep: true`, also "
        "those under it."), deep=Via("organisation", "ancestor_id", link="place_tree", to_column="place_id",
                                     target_column="place_id")),
    ("event", "region"): One("region", "region_id", "The reporting grid."),
    ("event", "reporter"): One("person", "reporter_id",
                               "The resident who reported it, when known to the hub and in your scope."),
    ("event", "place"): One("place", "place_id", "Where it happened; null if not at a known place."),
    ("event", "handling_region"): One("region", "handling_region_id",
                                      "The region it is dispatched to (派单); null unless dispatched to a region."),
    ("event", "dispatcher_region"): One(
        "region", "dispatcher_region_id", "The tier that dispatched it (派单): a return goes back to its queue, and "
        "it decides re-dispatch and extensions; null until dispatched."),
    ("event", "handling_department"): One(
        "department", "handling_department_id",
        "The department it is dispatched to; null unless dispatched to a department."),
    ("event", "persons"): Many("person", "event_id", "Persons involved.", link="event_person", to_column="person_id"),
    ("event", "things"): Many("thing", "event_id", "Things involved.", link="event_thing", to_column="thing_id"),
    ("event", "log"): Many("event_log", "event_id", "Every step, oldest first."),
    ("event_log", "to_region"): One("region", "to_region_id", "The region the step handed the event to (a dispatch, "
                                    "re-dispatch, escalation or return); null if none or not in your scope."),
    ("event_log", "to_department"): One("department", "to_department_id", "The department the step handed the "
                                        "event to (a dispatch or re-dispatch); null if none."),
    ("thing", "region"): One("region", "region_id", "The grid (or other region) it stands in."),
    ("thing", "place"): One("place", "place_id", "Where it is, when at a known place."),
    ("thing", "owner"): One("organisation", "owner_id", "The organisation that owns it; null if not recorded."),
    ("thing", "department"): One("department", "department_id", "The department responsible for it."),
    ("thing", "events"): Via("event", "thing_id", link="event_thing", to_column="event_id",
                             description="Events the thing is involved in that you may read, newest first."),
    ("organisation", "region"): One("region", "region_id", "The region it belongs to."),
    ("organisation", "place"): One("place", "place_id", "Its address; null if not recorded."),
    ("organisation", "members"): Via("membership", "organisation_id",
                                     description="Its members, each with a role, in the order they were recorded."),
    ("organisation", "things"): Via("thing", "owner_id", description="Things the organisation owns that you may read."),
    ("organisation", "service_posts"): Many("service_post", "organisation_id",
                                            "Its service posts (先锋驿站) that you may read."),
    ("organisation", "volunteer_activities"): Many("volunteer_activity", "organisation_id",
                                                   "Its volunteer activities that you may read, latest first."),
    ("membership", "organisation"): One("organisation", "organisation_id", "The organisation."),
    ("membership", "person"): One("person", "person_id", "The member."),
    ("staff", "region"): One("region", "region_id", "The grid served."),
    ("staff", "person"): One("person", "person_id", "The staff member in the registers, where one is named and readable."),
    ("responsibility", "person"): One("person", "person_id",
                                      "The responsible person in the registers, where one is named and readable."),
}

# the relations that are pages
PAGES: dict[tuple[str, str], Via] = {key: r for key, r in RELATIONS.items() if isinstance(r, Via)}


def relations_of(kind: str) -> dict[str, One | Many | Via]:
    """A kind's relations by field name, in the table's order."""
    return {name: r for (parent, name), r in RELATIONS.items() if parent == kind}
