"""Transfers of residence across grids (迁入/迁出, issue 21): the dead end of a
REGISTERED_ELSEWHERE conflict (resolvers.domain.registered_elsewhere) made a workflow.

    requested (pending) --approve--> approved: the person is now the receiving grid's
                        --refuse---> refused
A decided transfer is decided: deciding it again is a CONFLICT.

Who: `transfer_in` on persons where the person moves in (the receiving grid's worker and
leader by default) asks; `transfer_out` on persons where the person is registered (the grid's
leader, its community centre and the centres above) decides. Both are policy rules an admin
can change, compiled like any action; only their region part counts here (a facet on a
transfer verb grants nothing: the receiver must not learn what tags the person has).

What the receiver learns: no more than the REGISTERED_ELSEWHERE conflict told it, that a
person with this document is registered somewhere else. It asks by the document (type,
number, nationality), never by the person's id or name; the transfer it reads names neither
the person nor the holding grid until the person is its own (`person` reads through the
caller's scope). Each ask that finds nobody, or somebody outside the caller's scope, is a
sensitive lookup: audited with the value tried and counted against the same per-user budget
as the conflicts (RegisterLookups), so asking is no better an oracle than registering.

What moves on approval, in the decision's one transaction, for the receiving grid to keep:
the person, their tags, their key-person responsibilities (1+3+N) and their visit records
(走访 events naming only them; each keeps the grid it was reported in, `reportedRegion`).
Their stays (居住登记) stay with the places they were at, which are the old grid's; the
current one ends on the day of the decision and, if the request named a place in the
receiving grid, a new one starts there. A household of the old grid is left (户 is a
household at a place; the receiving grid registers them in one of its own). Each moved row
of a pulled kind gets a RegionMove, so departments' incremental pulls send tombstones."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import EventKind, IdType, PopulationType, Tier
from gridhub.policies.predicate import Compare, InSubquery, Pred, or_, relax
from gridhub.policies.scope import Scope

from gridhub.resolvers.runtime import civil_time
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.write.identity_documents import check_identity
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.write.mutations import now
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.write.region_locks import hold_region
from gridhub.resolvers.domain.registered_elsewhere import RegisterLookups
from gridhub.resolvers.domain.residence import REGISTRATION_DAYS

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
STATUSES = (PENDING, APPROVED, REFUSED)
ASK, DECIDE = "transfer_in", "transfer_out"  # the policy's verbs, on `person`
ASKED, DONE = "transfer_asked", "transfer_done"  # the notices' kinds
GRID_TIERS = (Tier.GRID, Tier.MICRO_GRID)


def regions_where(scope: Scope, verb: str) -> Pred:
    """The regions where `verb` on persons is granted, by the region part of the rules
    alone: a rule's facet (a tag) makes it grant nothing here (an under-approximation)."""
    where = scope.where("person", verb)
    return relax(where, lambda leaf: leaf.column == "region_path", positive=False)


def may(scope: Scope, verb: str, region: models.Region) -> bool:
    return regions_where(scope, verb).matches(region)


def visible(scope: Scope) -> Pred:
    """The transfers a caller reads: those it may decide and those asked where it may ask."""
    return or_(InSubquery("from_region_id", models.Region, "id", regions_where(scope, DECIDE)),
               InSubquery("to_region_id", models.Region, "id", regions_where(scope, ASK)))


def _holder_of(identity) -> Any:
    return models.Person.filter(id_type=identity.id_type, nationality=identity.nationality,
                                id_number=identity.id_number, deleted_at=None).first()


async def _lookup_audited(actor: str, identity, person: Any, lookups: RegisterLookups | None) -> None:
    """An ask that told the caller something of a register it may not read."""
    await record_change(actor, "lookup_sensitive", "person", person, field="id_number",
                        detail={"tried": identity.id_number, "outcome": "transfer_asked" if person else "not_found"})
    if lookups is not None:
        await lookups.spent(actor)


async def request_transfer(scope: Scope, actor: str, id_type: IdType | str, id_number: str,
                           nationality: str | None, region_id: int, place_id: int | None = None,
                           note: str = "", lookups: RegisterLookups | None = None) -> models.ResidenceTransfer:
    """迁入: the receiving grid asks for the person holding this document."""
    identity = check_identity(id_type, id_number, nationality)
    if len(note) > 500:
        raise BadInput("a note is at most 500 characters", field="note")
    region = await models.Region.get_or_none(id=region_id, deleted_at=None)
    if region is None:
        raise BadInput("no region with this id", field="region")
    if region.tier not in GRID_TIERS:
        raise BadInput("a person moves into a grid or micro-grid", field="region")
    if not may(scope, ASK, region):
        raise Forbidden("you may not ask for transfers into this region", field="region")
    if lookups is not None:
        await lookups.check(actor, "person", {"id_number": identity.id_number})
    if place_id is not None:
        place = await rows(scope, "place", Compare("id", "eq", place_id)).first()
        if place is None or not place.region_path.startswith(region.region_path):
            raise BadInput("no place with this id in the region", field="place")
    if await _holder_of(identity) is None:  # audited outside the (rolled back) request
        await _lookup_audited(actor, identity, None, lookups)
        raise NotFound("no person is registered with this document", field="idNumber")
    async with in_transaction():
        region = await hold_region(region.id, "region")  # no re-gridding retires it under the request
        person = await _holder_of(identity)
        if person is None:  # deregistered a moment ago
            raise NotFound("no person is registered with this document", field="idNumber")
        if await rows(scope, "person", Compare("id", "eq", person.id)).exists():
            # in the caller's own register: nothing to ask, it moves the person itself
            raise Conflict("this person is in your register: move them with updatePerson", field="idNumber",
                           reason="IN_YOUR_REGISTER")
        await _lookup_audited(actor, identity, person, lookups)
        if person.region_path.startswith(region.region_path):  # cannot be: it would be in scope
            raise Conflict("the person already lives in this region", field="region")
        try:
            transfer = await models.ResidenceTransfer.create(
                person_id=person.id, from_region_id=person.region_id, to_region_id=region.id,
                place_id=place_id, status=PENDING, requested_by=actor, note=note)
        except IntegrityError:  # the partial unique index of migration 0019
            raise Conflict("a transfer of this person is already pending", field="idNumber",
                           reason="TRANSFER_PENDING") from None
        await record_change(actor, "request_transfer", "transfer", transfer, region_path=region.region_path,
                            detail={"person": person.id, "to": region.region_path})
        await _notify(transfer, ASKED, "request_transfer", actor, person.region_id, note)
    return transfer


async def _notify(transfer: models.ResidenceTransfer, kind: str, action: str, actor: str, region_id: int,
                  note: str) -> None:
    await models.Notice.create(event_id=None, transfer_id=transfer.id, kind=kind, action=action, actor=actor,
                               region_id=region_id, note=note[:500])


async def decide_transfer(scope: Scope, actor: str, transfer_id: int, approved: bool,
                          note: str = "") -> models.ResidenceTransfer:
    """迁出: the holding grid (or a centre above it) approves, and the person moves, or refuses."""
    if not approved and not note.strip():
        raise BadInput("a refusal says why: give a note", field="note")
    if len(note) > 500:
        raise BadInput("a note is at most 500 characters", field="note")
    async with in_transaction():
        transfer = await models.ResidenceTransfer.filter(visible(scope).to_q(), id=transfer_id,
                                                         deleted_at=None).first()
        if transfer is None:
            raise NotFound("no transfer with this id", field="id")
        holder = await models.Region.get(id=transfer.from_region_id)
        if not may(scope, DECIDE, holder):
            raise Forbidden("the grid holding the person decides this transfer", field="id")
        if transfer.status != PENDING:
            raise Conflict(f"this transfer was {transfer.status} already", field="status",
                           status=transfer.status.upper())
        stamp = now()
        status = APPROVED if approved else REFUSED
        if not await models.ResidenceTransfer.filter(id=transfer.id, status=PENDING).update(
                status=status, decided_by=actor, decided_at=stamp, decision_note=note, updated_at=stamp,
                version=F("version") + 1):
            raise Conflict("this transfer was decided meanwhile", field="status")
        moved: dict = {}
        if approved:
            moved = await _move_person(transfer, holder, actor, stamp, civil_time.today())
        await record_change(actor, "approve_transfer" if approved else "refuse_transfer", "transfer", transfer,
                            region_path=holder.region_path, detail={"person": transfer.person_id, **moved})
        await _notify(transfer, DONE, "approve_transfer" if approved else "refuse_transfer", actor,
                      transfer.to_region_id, note)
    return await models.ResidenceTransfer.get(id=transfer.id)


async def _move_person(transfer: models.ResidenceTransfer, holder: models.Region, actor: str, stamp,
                       today: date) -> dict:
    """The person and what is theirs go to the receiving grid (see the module's docstring)."""
    person = await models.Person.get(id=transfer.person_id)
    if person.region_id != holder.id or person.deleted_at is not None:
        raise Conflict("the person moved or was deregistered since the transfer was asked; refuse it",
                       field="status")
    target = await hold_region(transfer.to_region_id, "region")
    into = dict(region_id=target.id, region_path=target.region_path, updated_at=stamp)
    columns: dict[str, Any] = {**into, "version": F("version") + 1}
    if person.household_id is not None:
        columns.update(household_id=None, relation_to_head=None)
        await models.Household.filter(id=person.household_id, head_id=person.id).update(
            head_id=None, updated_at=stamp, version=F("version") + 1)
    current = await models.Residence.filter(person_id=person.id, ended_on=None, deleted_at=None).first()
    if current is not None and current.place_id != transfer.place_id:
        await models.Residence.filter(id=current.id).update(ended_on=max(today, current.started_on),
                                                          updated_at=stamp, version=F("version") + 1)
    columns["residence_id"] = transfer.place_id
    place = transfer.place_id and await models.Place.get_or_none(id=transfer.place_id, deleted_at=None)
    if place and (current is None or current.place_id != place.id):
        registers = person.population_type != PopulationType.REGISTERED
        await models.Residence.create(
            person_id=person.id, place_id=place.id, started_on=today, note="迁入",
            expires_on=today + timedelta(days=REGISTRATION_DAYS) if registers else None,
            region_id=place.region_id, region_path=place.region_path)
    elif not place:
        columns["residence_id"] = None
    if not await models.Person.filter(id=person.id, version=person.version).update(**columns):
        raise Conflict("the person changed meanwhile; decide again", field="status")
    tags = await models.PersonTag.filter(person_id=person.id).update(**into)
    duties = await models.KeyPersonResponsibility.filter(key_person_id=person.id).update(
        **into, version=F("version") + 1)
    visits = models.Event.filter(kind=EventKind.VISIT, region_id=holder.id, id__in=Subquery(
        models.EventPerson.filter(person_id=person.id).values("event_id"))).exclude(id__in=Subquery(
            models.EventPerson.filter(person_id__not=person.id).values("event_id")))
    visit_ids = await visits.values_list("id", flat=True)
    if visit_ids:
        await models.Event.filter(id__in=visit_ids).update(**into, version=F("version") + 1)
    await models.RegionMove.bulk_create([
        models.RegionMove(kind=kind, row_id=row_id, from_path=holder.region_path, to_path=target.region_path,
                          moved_at=stamp)
        for kind, row_id in (("person", person.id), *(("event", i) for i in visit_ids))])
    await record_change(actor, "transfer", "person",
                        await models.Person.get(id=person.id), {"region_id": target.id})
    return {"from": holder.region_path, "to": target.region_path, "tags": tags, "responsibilities": duties,
            "visits": len(visit_ids)}


def listed(scope: Scope, status: str | None) -> Any:
    query = models.ResidenceTransfer.filter(visible(scope).to_q(), deleted_at=None)
    return query.filter(status=status) if status else query


def sees_holder(scope: Scope, holder: models.Region) -> bool:
    """Whether the caller may be told where the person is registered: it decides there, or
    reads persons there."""
    return may(scope, DECIDE, holder) or regions_where(scope, "read").matches(holder)


