"""The registry of kinds: for each, its model and what may be filtered, sorted and searched.

One table drives every connection, loader, search and mutation, so adding a kind (or a
sortable column) is one entry here, not a new code path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from gridhub import models


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


_COMMON = {"id": int, "created_at": datetime, "updated_at": datetime}

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("region", models.Region, {**_COMMON, "code": str, "name": str, "region_path": str},
             (("region_path", False), ("id", False)), ("name", "code")),
        Kind("person", models.Person, {**_COMMON, "name": str, "birth_date": date, "region_path": str},
             (("id", False),), ("name",)),
        Kind("household", models.Household, {**_COMMON, "code": str, "region_path": str},
             (("id", False),), ("code",)),
        Kind("place", models.Place, {**_COMMON, "code": str, "name": str, "region_path": str},
             (("id", False),), ("name", "address", "code")),
        Kind("event", models.Event, {**_COMMON, "occurred_at": datetime, "open_due_at": datetime, "title": str,
                                     "region_path": str},
             (("occurred_at", True), ("id", True)), ("title", "description")),
        Kind("thing", models.Thing, {**_COMMON, "code": str, "name": str, "region_path": str},
             (("id", False),), ("name", "code")),
        Kind("organisation", models.Organisation, {**_COMMON, "name": str, "region_path": str},
             (("id", False),), ("name", "credit_code")),
        Kind("department", models.Department, {"id": int, "code": str}, (("code", False), ("id", False)),
             ("name", "code"), scoped=False),
        # regions retired by re-gridding included: an event's reporting grid is history
        Kind("region_history", models.Region, scoped=False, soft_deleted=False),
        Kind("person_tag", models.PersonTag, scoped=False),
        # reached only through a person whose key tags the caller may see (resolvers.visits)
        Kind("responsibility", models.KeyPersonResponsibility, default_order=(("started_on", True), ("id", True)),
             scoped=False),
        Kind("staff", models.StaffAssignment, default_order=(("role", False), ("started_on", False), ("id", False))),
        Kind("residence", models.Residence, {"id": int, "started_on": date}, default_order=(("started_on", True), ("id", True)), scoped=False),
        Kind("membership", models.Membership, {"id": int}, scoped=False),
        Kind("event_log", models.EventLog, default_order=(("created_at", False), ("id", False)), scoped=False),
        Kind("event_person", models.EventPerson, scoped=False),
        Kind("event_thing", models.EventThing, scoped=False),
        # seed programmes (resolvers.programmes): a unit in its head household's region, a post
        # and an activity in their organisation's; an activity's hours only through it
        Kind("joint_unit", models.JointHouseholdUnit, {**_COMMON, "code": str, "region_path": str},
             (("id", False),), ("code", "name")),
        Kind("service_post", models.ServicePost, {**_COMMON, "name": str, "region_path": str},
             (("id", False),), ("name", "services")),
        Kind("volunteer_activity", models.VolunteerActivity,
             {**_COMMON, "held_on": date, "title": str, "region_path": str},
             (("held_on", True), ("id", True)), ("title",)),
        Kind("volunteer_hours", models.VolunteerHours, default_order=(("id", False),), scoped=False),
        Kind("audit", models.AuditEntry, {"id": int, "at": datetime}, (("id", True),),
             ("actor", "action", "object_id"), soft_deleted=False),
    )
}

SEARCHABLE = ("person", "place", "event", "thing", "organisation")


def kind_of(name: str) -> Kind:
    return KINDS[name]


def kind_of_model(model: type) -> Kind:
    for k in KINDS.values():
        if k.model is model:
            return k
    raise KeyError(model)
