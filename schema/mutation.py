"""Root mutations: create, update and soft-delete for every kind from one factory, plus the
residence moves. The logic is in `resolvers.write.mutations` and `resolvers.domain.residence`."""

from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from gridhub.resolvers.runtime import civil_time
from gridhub.resolvers.write import mutations
from gridhub.resolvers.domain import residence

from .args import OptionalVersion, Version, arg
from .event import Event
from .ids import decode_id
from .inputs import input_types, to_data
from .organisation import Organisation
from .person import Household, Person, Residence
from .place import Place
from .thing import Thing

# Regions are written by the re-gridding mutations (schema/regrid.py), which carry rows,
# grants and history with them and are audited.
WRITABLE_TYPES = (
    ("person", Person), ("household", Household), ("place", Place),
    ("event", Event), ("thing", Thing), ("organisation", Organisation),
)


def crud_fields(kind: str, node_type: type) -> dict:
    type_name = node_type.__name__
    create_input, update_input = input_types(kind, type_name)

    async def create(info: Info, input: arg(create_input, f"The new {type_name}.")) -> node_type:
        return await mutations.create_row(info.context.scope, kind, to_data(input), actor=info.context.username,
                                          lookups=getattr(info.context, "register_lookups", None))

    async def update(info: Info, id: arg(GlobalID, f"The {type_name}'s global id."), version: Version,
                     input: arg(update_input, "The fields to change.")) -> node_type:
        row_id = decode_id(id, type_name)
        return await mutations.update_row(info.context.scope, kind, row_id, version, to_data(input),
                                          actor=info.context.username,
                                          lookups=getattr(info.context, "register_lookups", None))

    async def delete(info: Info, id: arg(GlobalID, f"The {type_name}'s global id."),
                     version: OptionalVersion = None) -> node_type:
        return await mutations.delete_row(info.context.scope, kind, decode_id(id, type_name), version,
                                          actor=info.context.username)

    return {
        f"create_{kind}": strawberry.mutation(resolver=create, description=f"Create a {kind}."),
        f"update_{kind}": strawberry.mutation(
            resolver=update, description=f"Change a {kind}; `version` is the one you read "
                                         "(CONFLICT if it has changed since)."),
        f"delete_{kind}": strawberry.mutation(
            resolver=delete, description=f"Soft-delete a {kind} (it stays, with `deletedAt`, "
                                         "for incremental sync)."),
    }


async def register_residence(
        info: Info, person: arg(GlobalID, "The person moving in."),
        place: arg(GlobalID, "The place moved into; it becomes the person's residence."),
        started_on: arg(date, "The day of moving in."),
        landlord: arg(Optional[GlobalID], "The landlord, for a rented house (出租房): another person; none "
                                          "if omitted.") = None,
        note: arg(str, "A note for the registration; empty if omitted.") = "",
        newcomer: arg(bool, "A newcomer's registration (流动人口登记): it lapses after a year unless renewed, "
                            "and a registered resident becomes FLOATING. A floating or overseas person's "
                            "stay is one anyway.") = False) -> Residence:
    return await residence.register_residence(
        info.context.scope, decode_id(person, "Person", "person"), decode_id(place, "Place", "place"),
        started_on, decode_id(landlord, "Person", "landlord") if landlord else None, note, newcomer)


async def renew_residence(info: Info, person: arg(GlobalID, "The person whose registration is renewed."),
                          until: arg(Optional[date], "The new expiry; a year from today if omitted, at "
                                                     "most that.") = None) -> Residence:
    return await residence.renew_residence(info.context.scope, decode_id(person, "Person", "person"), until,
                                           civil_time.today())


async def end_residence(info: Info, person: arg(GlobalID, "The person moving out."),
                        ended_on: arg(date, "The last day of the stay."),
                        note: arg(str, "A note for the deregistration; empty if omitted.") = "") -> Residence:
    return await residence.end_residence(info.context.scope, decode_id(person, "Person", "person"),
                                         ended_on, note)


_fields: dict = {}
for _kind, _type in WRITABLE_TYPES:
    _fields.update(crud_fields(_kind, _type))
_fields["register_residence"] = strawberry.mutation(
    resolver=register_residence, description="Move a person in (人来登记); ends their current stay.")
_fields["renew_residence"] = strawberry.mutation(
    resolver=renew_residence, description="Renew a newcomer's residence registration (居住登记签注).")
_fields["end_residence"] = strawberry.mutation(
    resolver=end_residence, description="Move a person out (人走注销).")

Mutation = strawberry.type(type("Mutation", (), _fields))
