"""Transfers of residence across grids (迁入/迁出, resolvers.domain.transfers): `requestTransfer`,
`decideTransfer` and the `residenceTransfers` a caller may read."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry
from strawberry.relay import GlobalID, to_base64
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.domain import transfers

from .args import arg
from .connection import After, Connection, First, after_id, as_connection, id_cursor, page_size
from .enums import IdType
from .ids import decode_id
from .node import load
from .refs import PersonRef, PlaceRef, RegionRef
from gridhub.resolvers.read.pagination import Page


@strawberry.enum(description="Where a transfer of residence stands.")
class TransferStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Asked by the receiving grid; the holding grid decides.")
    APPROVED = strawberry.enum_value("approved", description="Approved: the person moved to the receiving grid.")
    REFUSED = strawberry.enum_value("refused", description="Refused, with the holding grid's reason.")


@strawberry.type(description=(
    "A transfer of residence (迁入/迁出): the grid a person moved into asks the grid holding them. The asking "
    "side learns no more than that the person is registered elsewhere: `person` and `fromRegion` show only "
    "what your scope lets you read (the person once they are yours)."))
class ResidenceTransfer:
    _row: strawberry.Private[models.ResidenceTransfer]

    @strawberry.field(description="The transfer's id (for `decideTransfer`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_base64("ResidenceTransfer", self._row.id))

    @strawberry.field(description="Where it stands.")
    def status(self) -> TransferStatus:
        return TransferStatus(self._row.status)

    @strawberry.field(description="The person, if you may read them (the holding side; the asking side once "
                                  "approved).")
    async def person(self, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self._row.person_id)

    @strawberry.field(description="The grid holding the person when asked; null unless you decide there or "
                                  "read its persons.")
    async def from_region(self, info: Info) -> Optional[RegionRef]:
        region = await load(info, "region_history", self._row.from_region_id)
        return region if region is not None and transfers.sees_holder(info.context.scope, region) else None

    @strawberry.field(description="The grid that asked: where the person moves to.")
    async def to_region(self, info: Info) -> Optional[RegionRef]:
        return await load(info, "region_history", self._row.to_region_id)

    @strawberry.field(description="Where the person will live in the receiving grid, if named and you may read it.")
    async def place(self, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self._row.place_id)

    @strawberry.field(description="Who asked.")
    def requested_by(self) -> str:
        return self._row.requested_by

    @strawberry.field(description="When it was asked.")
    def requested_at(self) -> datetime:
        return self._row.created_at

    @strawberry.field(description="The asking grid's note.")
    def note(self) -> str:
        return self._row.note

    @strawberry.field(description="Who decided; empty while pending.")
    def decided_by(self) -> str:
        return self._row.decided_by

    @strawberry.field(description="When it was decided; null while pending.")
    def decided_at(self) -> Optional[datetime]:
        return self._row.decided_at

    @strawberry.field(description="The deciding grid's note (a refusal's reason).")
    def decision_note(self) -> str:
        return self._row.decision_note


@strawberry.type
class TransferQuery:
    @strawberry.field(description=(
        "Transfers of residence you may read, newest first: those asked of the grids where you decide "
        "(`transfer_out`) and those asked for the grids where you ask (`transfer_in`)."))
    async def residence_transfers(
            self, info: Info, first: First = None, after: After = None,
            status: arg(Optional[TransferStatus], "Only transfers in this state.") = None,
    ) -> Connection[ResidenceTransfer]:
        size = page_size(info.context.settings, first)
        query = transfers.listed(info.context.scope, status.value if status else None)
        before = after_id(after)
        found = await (query.filter(id__lt=before) if before else query).order_by("-id").limit(size + 1)
        page = found[:size]
        return as_connection(Page([ResidenceTransfer(_row=r) for r in page], [id_cursor(r.id) for r in page],
                                len(found) > size, query.count), after)


@strawberry.type
class TransferMutation:
    @strawberry.mutation(description=(
        "迁入: ask for a person registered in another grid who moved into yours (what a REGISTERED_ELSEWHERE "
        "conflict of `createPerson` leads to), by their identity document. Needs `transfer_in` on persons "
        "at `region`. NOT_FOUND if nobody holds the document, CONFLICT if they are in your own register or "
        "a transfer of them is pending; each ask is audited and counted like those conflicts."))
    async def request_transfer(
            self, info: Info,
            id_number: arg(str, "The identity document's number, as given to `createPerson`."),
            region: arg(GlobalID, "The grid (or micro-grid) the person moved into."),
            id_type: arg(IdType, "The document's type.") = IdType.RESIDENT_ID,
            nationality: arg(Optional[str], "The holder's nationality (ISO 3166 alpha-3), for passports "
                                            "and permanent residence cards.") = None,
            place: arg(Optional[GlobalID], "Where the person lives in the region; their residence once "
                                           "approved.") = None,
            note: arg(str, "A note for the holding grid; empty if omitted.") = "") -> ResidenceTransfer:
        context = info.context
        row = await transfers.request_transfer(
            context.scope, context.username, id_type, id_number, nationality, decode_id(region, "Region", "region"),
            decode_id(place, "Place", "place") if place else None, note,
            getattr(context, "register_lookups", None))
        return ResidenceTransfer(_row=row)

    @strawberry.mutation(description=(
        "迁出: the grid holding the person (or a centre above it: `transfer_out` on persons there) approves a "
        "pending transfer, and the person moves with their tags, key-person responsibilities and visit "
        "records, or refuses it with a reason. CONFLICT once decided."))
    async def decide_transfer(
            self, info: Info, id: arg(strawberry.ID, "The transfer's id."),
            approved: arg(bool, "True approves (the person moves), false refuses."),
            note: arg(str, "Why; required to refuse.") = "") -> ResidenceTransfer:
        row = await transfers.decide_transfer(info.context.scope, info.context.username,
                                              decode_id(id, "ResidenceTransfer", "id"), approved, note)
        return ResidenceTransfer(_row=row)
