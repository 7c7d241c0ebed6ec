"""The people of an organisation (组织): a person joins in a role from a day (`addMember`) and
leaves on a day (`endMember`). A membership is a sub-row of its organisation: it is read
wherever the organisation is, and written with the `membership` object's `create` and
`update` actions at the organisation's region, where it is audited too.

A person holds a role in an organisation once at a time: a second `addMember` of a role the
person holds now is a CONFLICT (the database's partial unique index on open memberships
keeps it against two adds at once). Once the membership ended, its dates stay as the record
of that term, and the person may take the role up again from a day after it ended."""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.policies.predicate import Compare
from gridhub.policies.scope import Scope

from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.read.query import rows

MAX_ROLE = 64


async def _organisation(scope: Scope, organisation_id: int, action: str) -> models.Organisation:
    """The organisation, readable to the caller (else NOT_FOUND) and its people writable there
    (else FORBIDDEN). Read again in the writing transaction: the check holds for the write."""
    found = await rows(scope, "organisation", Compare("id", "eq", organisation_id)).first()
    if found is None:
        raise NotFound("no organisation with this id", field="organisation")
    if not scope.where("membership", action).matches(found):
        raise Forbidden(f"you may not {'add' if action == 'create' else 'end'} members of this organisation here",
                        field="organisation")
    return found


def _role(role: str) -> str:
    role = (role or "").strip()
    if not role:
        raise BadInput("give the member's role", field="role")
    if len(role) > MAX_ROLE:
        raise BadInput(f"role is longer than {MAX_ROLE} characters", field="role")
    return role


async def add_member(scope: Scope, actor: str, organisation_id: int, person_id: int, role: str,
                     started_on: date | None, ended_on: date | None = None) -> models.Membership:
    role = _role(role)
    if started_on and ended_on and ended_on < started_on:
        raise BadInput("it ends after it started", field="endedOn")
    try:
        async with in_transaction():
            organisation = await _organisation(scope, organisation_id, "create")
            if not await rows(scope, "person", Compare("id", "eq", person_id)).exists():
                raise BadInput("no person with this id", field="person")
            held = await models.Membership.filter(organisation_id=organisation.id, person_id=person_id, role=role,
                                                  deleted_at=None).order_by("-id")
            if any(m.ended_on is None for m in held):
                raise Conflict(f"this person is already {role} here", field="person")
            last_end = max((m.ended_on for m in held), default=None)
            if last_end and started_on and started_on <= last_end:
                raise Conflict(f"this person was {role} here until {last_end}: a new term starts after it",
                               field="startedOn")
            row = await models.Membership.create(organisation_id=organisation.id, person_id=person_id, role=role,
                                                 started_on=started_on, ended_on=ended_on)
            await record_change(actor, "create", "membership", row,
                                {"organisation": 1, "person": 1, "role": 1, **({"started_on": 1} if started_on else {}),
                                 **({"ended_on": 1} if ended_on else {})}, region_path=organisation.region_path)
    except IntegrityError:  # two adds at once: the open-membership index refuses the second
        raise Conflict(f"this person is already {role} here", field="person") from None
    return row


async def end_member(scope: Scope, actor: str, organisation_id: int, person_id: int, role: str,
                     ended_on: date) -> models.Membership:
    """Ends the open membership in the role; with none open, the latest term answers."""
    role = _role(role)
    async with in_transaction():
        organisation = await _organisation(scope, organisation_id, "update")
        terms = await models.Membership.filter(organisation_id=organisation.id, person_id=person_id, role=role,
                                               deleted_at=None).order_by("-id")
        if not terms or not await rows(scope, "person", Compare("id", "eq", person_id)).exists():
            raise NotFound(f"this person is not {role} here", field="person")
        held = next((m for m in terms if m.ended_on is None), None)
        if held is None:
            raise Conflict(f"this membership already ended on {terms[0].ended_on}", field="endedOn")
        if held.started_on and ended_on < held.started_on:
            raise BadInput("it ends after it started", field="endedOn")
        if not await models.Membership.filter(id=held.id, version=held.version, ended_on=None).update(
                ended_on=ended_on, version=held.version + 1):
            raise Conflict("this membership was changed by someone else", field="endedOn")
        row = await models.Membership.get(id=held.id)
        await record_change(actor, "update", "membership", row, {"ended_on": ended_on},
                            region_path=organisation.region_path)
    return row
