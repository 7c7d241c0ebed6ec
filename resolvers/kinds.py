"""The registry of kinds: for each, its model and what may be filtered, sorted and searched.

One table drives every connection, loader, search and mutation, so adding a kind (or a
sortable column) is one entry here, not a new code path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from gridhub import models
from gridhub.models.enums import (
    Education, EventKind, EventSource, EventStatus, Gender, IdType, MaritalStatus, Occupation, OrganisationKind,
    PlaceKind, PoliticalStatus, PopulationType, Religion, ThingKind, ThingStatus, Tier, Urgency,
)


@dataclass(frozen=True)
class ColumnFilter:
    """A filter on one column: `key` in the filter (camelCase in GraphQL), and `how` it
    compares — "in": any of a list of values; "prefix": any of a list of paths, each matching
    itself and what lies under it (`safety` matches `safety/fire`). `values` is the type of
    one value, which the GraphQL filter input of the kind takes as a list of it; None for a
    filter the hub asks itself (a region's children, a household's members) or whose input
    says more than a list (the audit trail's). A sensitive column is filtered only where the
    caller sees it (resolvers.read.filters.revealed_for_comparing), which `description` says."""

    key: str
    column: str
    how: str = "in"
    values: type | None = None
    description: str = ""


def any_of(key: str, values: type, description: str, column: str | None = None) -> ColumnFilter:
    return ColumnFilter(key, column or key, "in", values, description)


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    # sortable column -> its Python type (to decode cursors); every one is NOT NULL
    order_columns: dict[str, type] = field(default_factory=dict)
    default_order: tuple[tuple[str, bool], ...] = (("id", False),)
    text_columns: tuple[str, ...] = ()
    # scoped kinds are filtered by the caller's Scope; sub-rows (tags, logs, …) are only
    # ever reached through a parent that already passed its scope
    scoped: bool = True
    soft_deleted: bool = True  # has deleted_at (the audit trail is append-only and has not)
    # the GraphQL Node type whose global ids name this kind's rows (`base64("Person:42")`)
    node_type: str | None = None
    # the root connection listing the kind (`persons`); the kinds that have one are those
    # pulled (`changes`, `/export`), in this table's order
    root_field: str | None = None
    # the GraphQL object type of rows that are not Nodes (a person's stays: `Residence`)
    row_type: str | None = None
    # the columns its lists filter on (resolvers.read.filters, and the GraphQL filter inputs made
    # from them by schema.filters.with_column_filters)
    filters: tuple[ColumnFilter, ...] = ()

    @property
    def graphql_type(self) -> str | None:
        return self.node_type or self.row_type


_COMMON = {"id": int, "created_at": datetime, "updated_at": datetime}

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("region", models.Region, {**_COMMON, "code": str, "name": str, "region_path": str},
             (("region_path", False), ("id", False)), ("name", "code"), node_type="Region", root_field="regions",
             filters=(any_of("tier", Tier, "Any of these tiers."), ColumnFilter("parent_id", "parent_id"))),
        Kind("person", models.Person, {**_COMMON, "name": str, "birth_date": date, "region_path": str},
             (("id", False),), ("name",), node_type="Person", root_field="persons", filters=(
                 any_of("gender", Gender, "Any of these genders; needs the `person.id_number` grant."),
                 any_of("population_type", PopulationType, "Any of these population types."),
                 any_of("id_type", IdType, "Registered by any of these identity documents (证件类型): the "
                                           "overseas residents' register is `[PASSPORT, …]`."),
                 ColumnFilter("household_id", "household_id"),
                 any_of("marital_status", MaritalStatus, "Any of these marital statuses."),
                 any_of("political_status", PoliticalStatus,
                        "Any of these political statuses; needs the `person.political_status` grant."),
                 any_of("education", Education, "Any of these education levels."),
                 any_of("religion", Religion, "Any of these religions; needs the `person.religion` grant."),
                 any_of("occupation", Occupation, "Any of these occupation groups."))),
        Kind("household", models.Household, {**_COMMON, "code": str, "region_path": str},
             (("id", False),), ("code",), node_type="Household", root_field="households"),
        Kind("place", models.Place, {**_COMMON, "code": str, "name": str, "region_path": str},
             (("id", False),), ("name", "address", "code"), node_type="Place", root_field="places",
             filters=(any_of("kind", PlaceKind, "Any of these kinds."),)),
        Kind("event", models.Event, {**_COMMON, "occurred_at": datetime, "open_due_at": datetime, "title": str,
                                     "region_path": str},
             (("occurred_at", True), ("id", True)), ("title", "description"), node_type="Event", root_field="events",
             filters=(any_of("status", EventStatus, "Any of these statuses."),
                      any_of("kind", EventKind, "Any of these kinds."),
                      any_of("source", EventSource, "Any of these sources."),
                      any_of("urgency", Urgency, "Any of these urgencies."),
                      ColumnFilter("category", "category", "prefix", str,
                                   "Category paths; `safety` matches `safety/fire`."))),
        Kind("thing", models.Thing, {**_COMMON, "code": str, "name": str, "region_path": str},
             (("id", False),), ("name", "code"), node_type="Thing", root_field="things",
             filters=(any_of("kind", ThingKind, "Any of these kinds."),
                      any_of("status", ThingStatus, "Any of these conditions."))),
        Kind("organisation", models.Organisation, {**_COMMON, "name": str, "region_path": str},
             (("id", False),), ("name", "credit_code"), node_type="Organisation", root_field="organisations",
             filters=(any_of("kind", OrganisationKind, "Any of these kinds."),)),
        Kind("department", models.Department, {"id": int, "code": str}, (("code", False), ("id", False)),
             ("name", "code"), scoped=False, node_type="Department"),
        # regions retired by re-gridding included: an event's reporting grid is history
        Kind("region_history", models.Region, scoped=False, soft_deleted=False),
        Kind("person_tag", models.PersonTag, scoped=False),
        # reached only through a person whose key tags the caller may see (resolvers.domain.visits)
        Kind("responsibility", models.KeyPersonResponsibility, default_order=(("started_on", True), ("id", True)),
             scoped=False, row_type="Responsibility"),
        Kind("staff", models.StaffAssignment, default_order=(("role", False), ("started_on", False), ("id", False)),
             node_type="StaffAssignment"),
        Kind("residence", models.Residence, {"id": int, "started_on": date},
             default_order=(("started_on", True), ("id", True)), scoped=False, row_type="Residence"),
        Kind("membership", models.Membership, {"id": int}, scoped=False, row_type="Membership"),
        # the closure of the place tree, read only joined to places the caller may see
        Kind("place_tree", models.PlaceTree, scoped=False, soft_deleted=False),
        Kind("event_log", models.EventLog, default_order=(("created_at", False), ("id", False)), scoped=False,
             row_type="EventLogEntry"),
        Kind("event_person", models.EventPerson, scoped=False),
        Kind("event_thing", models.EventThing, scoped=False),
        # reached only through a notice the caller reads, whose transfer it may read (resolvers.domain.transfers)
        Kind("transfer", models.ResidenceTransfer, scoped=False),
        # seed programmes (resolvers.domain.programmes): a unit in its head household's region, a post
        # and an activity in their organisation's; an activity's hours only through it
        Kind("joint_unit", models.JointHouseholdUnit, {**_COMMON, "code": str, "region_path": str},
             (("id", False),), ("code", "name"), node_type="JointHouseholdUnit"),
        Kind("service_post", models.ServicePost, {**_COMMON, "name": str, "region_path": str},
             (("id", False),), ("name", "services"), node_type="ServicePost"),
        Kind("volunteer_activity", models.VolunteerActivity,
             {**_COMMON, "held_on": date, "title": str, "region_path": str},
             (("held_on", True), ("id", True)), ("title",), node_type="VolunteerActivity"),
        Kind("volunteer_hours", models.VolunteerHours, default_order=(("id", False),), scoped=False),
        Kind("audit", models.AuditEntry, {"id": int, "at": datetime}, (("id", True),),
             ("actor", "action", "object_id"), soft_deleted=False, node_type="AuditEntry",
             filters=(ColumnFilter("actor", "actor"), ColumnFilter("action", "action"),
                      ColumnFilter("object_kind", "object_kind"))),
    )
}

SEARCHABLE = ("person", "place", "event", "thing", "organisation")

# derived views of the table above
NODE_KINDS = {k.node_type: k.name for k in KINDS.values() if k.node_type}  # GraphQL type -> kind
LISTED = {k.name: k for k in KINDS.values() if k.root_field}  # the kinds with a root connection


def kind_of(name: str) -> Kind:
    return KINDS[name]


def kind_of_model(model: type) -> Kind:
    for k in KINDS.values():
        if k.model is model:
            return k
    raise KeyError(model)
