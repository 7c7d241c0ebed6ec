"""The floating population: register on arrival, deregister on leaving (人来登记、人走注销),
keeping every stay as history.

A newcomer's stay is a residence registration (居住登记) that lapses after
REGISTRATION_DAYS unless renewed, as a residence permit (居住证) is endorsed yearly; in its
last RENEWAL_NOTICE_DAYS the person is `dueForRenewal` (and after it lapsed, until renewed
or moved out). Registering a newcomer makes a registered resident FLOATING."""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import PopulationType
from gridhub.policies.predicate import Compare, InSubquery, IsNull, Pred, and_, not_
from gridhub.policies.scope import Scope

from gridhub.resolvers.errors import BadInput, Conflict, NotFound
from gridhub.resolvers.write.mutations import _ensure_in_scope, now
from gridhub.resolvers.read.query import rows

REGISTRATION_DAYS = 365
RENEWAL_NOTICE_DAYS = 30


def due_for_renewal(due: bool, today: date) -> Pred:
    """Persons whose current registration lapses within RENEWAL_NOTICE_DAYS or has lapsed
    (true), or the others (false)."""
    lapsing = InSubquery("id", models.Residence, "person_id", and_(
        IsNull("ended_on"), IsNull("deleted_at"), not_(IsNull("expires_on")),
        Compare("expires_on", "lte", today + timedelta(days=RENEWAL_NOTICE_DAYS))))
    return lapsing if due else not_(lapsing)


async def _person_for_update(scope: Scope, person_id: int):
    person = await rows(scope, "person", Compare("id", "eq", person_id)).first()
    if person is None:
        raise NotFound("no person with this id")
    await _ensure_in_scope(scope, "person", "update", person_id)
    return person


async def register_residence(scope: Scope, person_id: int, place_id: int, started_on: date,
                             landlord_id: int | None = None, note: str = "",
                             newcomer: bool = False) -> models.Residence:
    """Move a person in: ends the stay they had, opens one at `place_id`, and makes that
    place their current residence. A newcomer's (or a floating or overseas person's) stay is
    a registration that lapses; a registered resident registered as a newcomer is FLOATING."""
    if landlord_id is not None and landlord_id == person_id:
        raise BadInput("a person is not their own landlord", field="landlord")
    async with in_transaction():
        person = await _person_for_update(scope, person_id)
        place = await rows(scope, "place", Compare("id", "eq", place_id)).first()
        if place is None:
            raise BadInput("no place with this id", field="place")
        if landlord_id is not None and not await rows(scope, "person", Compare("id", "eq", landlord_id)).exists():
            raise BadInput("no person with this id", field="landlord")
        registers = newcomer or person.population_type != PopulationType.REGISTERED
        current = await models.Residence.filter(person_id=person_id, ended_on=None, deleted_at=None).first()
        if current is not None:
            if current.place_id == place_id:
                raise Conflict("the person already lives at this place", field="place")
            if started_on < current.started_on:
                raise BadInput("a new stay cannot start before the current one", field="startedOn")
            await models.Residence.filter(id=current.id).update(
                ended_on=started_on, updated_at=now(), version=F("version") + 1)
        stay = await models.Residence.create(
            person_id=person_id, place_id=place_id, landlord_id=landlord_id, started_on=started_on,
            expires_on=started_on + timedelta(days=REGISTRATION_DAYS) if registers else None,
            note=note, region_id=place.region_id, region_path=place.region_path)
        moved = {"population_type": PopulationType.FLOATING} if (
            newcomer and person.population_type == PopulationType.REGISTERED) else {}
        await models.Person.filter(id=person_id).update(
            residence_id=place_id, updated_at=now(), version=F("version") + 1, **moved)
    return stay


async def renew_residence(scope: Scope, person_id: int, until: date | None, today: date) -> models.Residence:
    """Renew the current registration (签注): to `until`, or REGISTRATION_DAYS from today."""
    until = until or today + timedelta(days=REGISTRATION_DAYS)
    if until <= today:
        raise BadInput("a registration is renewed into the future", field="until")
    if until > today + timedelta(days=REGISTRATION_DAYS):
        raise BadInput(f"a registration is renewed for at most {REGISTRATION_DAYS} days", field="until")
    async with in_transaction():
        await _person_for_update(scope, person_id)
        current = await models.Residence.filter(person_id=person_id, ended_on=None, deleted_at=None).first()
        if current is None or current.expires_on is None:
            raise Conflict("the person has no current registration to renew")
        if not await models.Residence.filter(id=current.id, version=current.version).update(
                expires_on=until, updated_at=now(), version=F("version") + 1):
            raise Conflict("the registration changed meanwhile; read it again")
        return await models.Residence.get(id=current.id)


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
