"""The floating population: register on arrival, deregister on leaving (人来登记、人走注销),
keeping every stay as history."""

from __future__ import annotations

from datetime import date

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.policies.predicate import Compare
from gridhub.policies.scope import Scope

from .errors import BadInput, Conflict, NotFound
from .mutations import _ensure_in_scope, now
from .query import rows


async def _person_for_update(scope: Scope, person_id: int):
    person = await rows(scope, "person", Compare("id", "eq", person_id)).first()
    if person is None:
        raise NotFound("no person with this id")
    await _ensure_in_scope(scope, "person", "update", person_id)
    return person


async def register_residence(scope: Scope, person_id: int, place_id: int, started_on: date,
                             landlord_id: int | None = None, note: str = "") -> models.Residence:
    """Move a person in: ends the stay they had, opens one at `place_id`, and makes that
    place their current residence."""
    async with in_transaction():
        person = await _person_for_update(scope, person_id)
        place = await rows(scope, "place", Compare("id", "eq", place_id)).first()
        if place is None:
            raise BadInput("no place with this id", field="placeId")
        if landlord_id is not None and not await rows(scope, "person", Compare("id", "eq", landlord_id)).exists():
            raise BadInput("no person with this id", field="landlordId")
        current = await models.Residence.filter(person_id=person_id, ended_on=None, deleted_at=None).first()
        if current is not None:
            if current.place_id == place_id:
                raise Conflict("the person already lives at this place", field="placeId")
            if started_on < current.started_on:
                raise BadInput("a new stay cannot start before the current one", field="startedOn")
            await models.Residence.filter(id=current.id).update(
                ended_on=started_on, updated_at=now(), version=F("version") + 1)
        stay = await models.Residence.create(
            person_id=person_id, place_id=place_id, landlord_id=landlord_id, started_on=started_on,
            note=note, region_id=place.region_id, region_path=place.region_path)
        await models.Person.filter(id=person_id).update(
            residence_id=place_id, updated_at=now(), version=F("version") + 1)
    return stay


async def end_residence(scope: Scope, person_id: int, ended_on: date, note: str = "") -> models.Residence:
    """Move a person out: the current stay ends and they have no current residence."""
    async with in_transaction():
        await _person_for_update(scope, person_id)
        current = await models.Residence.filter(person_id=person_id, ended_on=None, deleted_at=None).first()
        if current is None:
            raise Conflict("the person has no current residence to end")
        if ended_on < current.started_on:
            raise BadInput("a stay cannot end before it started", field="endedOn")
        await models.Residence.filter(id=current.id).update(
            ended_on=ended_on, note=(current.note + " " + note).strip(), updated_at=now(),
            version=F("version") + 1)
        await models.Person.filter(id=person_id).update(
            residence_id=None, updated_at=now(), version=F("version") + 1)
        return await models.Residence.get(id=current.id)
