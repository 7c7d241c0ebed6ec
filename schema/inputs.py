"""Mutation inputs, made from one field list per kind: `<Type>CreateInput` (required fields
non-null) and `<Type>UpdateInput` (every field optional; an absent field is unchanged).
An explicit `null` clears a column that may be empty and is otherwise as if the field were
absent; each optional field's description says which."""

from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any, Optional

import strawberry
from strawberry.relay import GlobalID

from gridhub.resolvers.runtime.names import camel

from .columns import describe
from .enums import (
    Education, EventKind, EventSource, Gender, HouseholdRelation, IdType, MaritalStatus, Occupation,
    OrganisationKind, PlaceKind, PoliticalStatus, PopulationType, Religion, ThingKind, ThingStatus, Tier, Urgency,
)
from .ids import decode_id

ID_FIELDS = {  # input field -> the node type its global id must name
    "region_id": "Region", "parent_id": "Region", "household_id": "Household", "residence_id": "Place",
    "place_id": "Place", "head_id": "Person", "landlord_id": "Person", "reporter_id": "Person",
    "handling_region_id": "Region", "handling_department_id": "Department", "owner_id": "Organisation",
    "department_id": "Department", "person_ids": "Person", "thing_ids": "Thing",
}
ID_FIELDS_OF = {("place", "parent_id"): "Place"}  # where a kind's field names another type

# kind -> [(field, type, required on create)]
FIELDS: dict[str, list[tuple[str, Any, bool]]] = {
    "region": [("code", str, True), ("name", str, True), ("tier", Tier, True),
               ("parent_id", GlobalID, True), ("boundary", strawberry.scalars.JSON, False)],
    "person": [("id_number", str, True), ("id_type", IdType, False), ("nationality", str, False),
               ("name", str, True), ("region_id", GlobalID, True),
               ("gender", Gender, False), ("birth_date", date, False), ("ethnicity", str, False),
               ("phone", str, False), ("registered_address", str, False),
               ("population_type", PopulationType, False), ("household_id", GlobalID, False),
               ("relation_to_head", HouseholdRelation, False), ("tags", list[str], False),
               ("former_names", str, False), ("native_place", str, False), ("marital_status", MaritalStatus, False),
               ("political_status", PoliticalStatus, False), ("education", Education, False),
               ("religion", Religion, False), ("occupation", Occupation, False), ("employer", str, False)],
    "household": [("code", str, True), ("region_id", GlobalID, True), ("place_id", GlobalID, False),
                  ("head_id", GlobalID, False)],
    "place": [("code", str, True), ("name", str, True), ("kind", PlaceKind, True),
              ("region_id", GlobalID, False), ("usage", str, False), ("address", str, False),
              ("compound", str, False), ("building", str, False), ("unit", str, False),
              ("floor", str, False), ("room", str, False), ("owner_name", str, False),
              ("landlord_id", GlobalID, False), ("longitude", float, False), ("latitude", float, False),
              ("address_code", str, False), ("parent_id", GlobalID, False)],
    "event": [("title", str, True), ("kind", EventKind, True), ("category", str, True),
              ("source", EventSource, True), ("occurred_at", datetime, True),
              ("region_id", GlobalID, False), ("description", str, False),
              ("reporter_id", GlobalID, False), ("reporter_name", str, False),
              ("place_id", GlobalID, False), ("longitude", float, False), ("latitude", float, False),
              ("urgency", Urgency, False), ("attachments", list[str], False),
              ("person_ids", list[GlobalID], False), ("thing_ids", list[GlobalID], False)],
    "thing": [("code", str, True), ("name", str, True), ("kind", ThingKind, True),
              ("region_id", GlobalID, False), ("status", ThingStatus, False),
              ("owner_id", GlobalID, False), ("department_id", GlobalID, False),
              ("place_id", GlobalID, False), ("longitude", float, False), ("latitude", float, False),
              ("last_inspected_at", datetime, False)],
    "organisation": [("name", str, True), ("kind", OrganisationKind, True), ("region_id", GlobalID, True),
                     ("credit_code", str, False), ("legal_representative", str, False),
                     ("place_id", GlobalID, False)],
}


def nullable(kind: str, field: str) -> bool:
    """Whether the row's column may hold NULL: then an explicit `null` clears it; otherwise
    `null` is as if the field were absent (the default on create, unchanged on update)."""
    from gridhub.resolvers.kinds import kind_of

    columns = kind_of(kind).model._meta.fields_map  # before Tortoise.init, a key names its relation only
    column = columns.get(field) or columns.get(field.removesuffix("_id"))
    return column is not None and column.null


def null_means(kind: str, field: str, *, create: bool) -> str:
    if nullable(kind, field):
        return "Absent or null: none." if create else "Absent: unchanged; null: cleared."
    return "Absent or null: the default." if create else "Absent or null: unchanged."


_KINDS: dict[type, str] = {}  # input class -> the kind whose columns it writes


def _input_type(kind: str, name: str, spec: list[tuple[str, Any, bool]], *, all_optional: bool,
                description: str):
    ordered = sorted(spec, key=lambda f: not f[2] or all_optional)  # required first
    annotations, namespace = {}, {}
    for field, typ, required in ordered:
        if required and not all_optional:
            annotations[field] = typ
            namespace[field] = strawberry.field(description=describe(kind, field))
        else:
            annotations[field] = Optional[typ]
            namespace[field] = strawberry.field(
                default=strawberry.UNSET,
                description=f"{describe(kind, field)} {null_means(kind, field, create=not all_optional)}")
    namespace["__annotations__"] = annotations
    made = strawberry.input(type(name, (), namespace), description=description)
    _KINDS[made] = kind
    return made


def input_types(kind: str, type_name: str):
    spec = FIELDS[kind]
    return (_input_type(kind, f"{type_name}CreateInput", spec, all_optional=False,
                        description=f"A new {type_name}: the non-null fields are required."),
            _input_type(kind, f"{type_name}UpdateInput", spec, all_optional=True,
                        description=f"Changes to a {type_name}: only the fields given change, the rest "
                                    "stay as they are."))


def to_data(value: Any) -> dict:
    """An input object as the dict `resolvers.write.mutations` takes: absent fields (and nulls
    where the column holds none) left out,
    global ids decoded (and checked to name the right type), enums as their values."""
    data, kind = {}, _KINDS[type(value)]
    for f in dataclass_fields(value):
        item = getattr(value, f.name)
        if item is strawberry.UNSET or (item is None and not nullable(kind, f.name)):
            continue  # an explicit null where the column holds none: as if absent
        if f.name in ID_FIELDS and item is not None:
            type_name, name = ID_FIELDS_OF.get((kind, f.name), ID_FIELDS[f.name]), camel(f.name)
            item = ([decode_id(i, type_name, name) for i in item] if isinstance(item, list)
                    else decode_id(item, type_name, name))
        data[f.name] = getattr(item, "value", item)
    return data
