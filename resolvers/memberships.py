"""The people of an organisation (组织): a person joins in a role from a day (`addMember`) and
leaves on a day (`endMember`). A membership is a sub-row of its organisation: it is read
wherever the organisation is, and written with the `membership` object's `create` and
`update` actions at the organisation's region. A person holds a role in an organisation
once (the table's unique key): a second `addMember` of the same role is a CONFLICT, whether
the first is current or has ended (its dates are the record of that membership)."""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.policies.predicate import Compare
from gridhub.policies.scope import Scope

from .errors import BadInput, Conflict, Forbidden, NotFound
from .query import rows

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


async def _audit(actor: str, action: str, organisation: models.Organisation, row: models.Membership,
                 fields: list[str]) -> None:
    """As resolvers.mutations.record_change, at the organisation's region (a membership has none
    of its own): which fields were set, never their values."""
    await models.AuditEntry.create(actor=actor, action=action, object_kind="membership", object_id=str(row.id),
                                   region_path=organisation.region_path, detail={"fields": sorted(fields)})


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
                                                  deleted_at=None).first()
            if held is not None:
                raise Conflict(f"this person is already {role} here" +
                               (f" (ended {held.ended_on})" if held.ended_on else ""), field="person")
            row = await models.Membership.create(organisation_id=organisation.id, person_id=person_id, role=role,
                                                 started_on=started_on, ended_on=ended_on)
            await _audit(actor, "create", organisation, row,
                         ["organisation", "person", "role"] + ["startedOn"] * bool(started_on)
                         + ["endedOn"] * bool(ended_on))
    except IntegrityError:  # two adds at once, or a deleted row holding the key
        raise Conflict(f"this person already holds the role {role} here", field="person") from None
    return row


async def end_member(scope: Scope, actor: str, organisation_id: int, person_id: int, role: str,
                     ended_on: date) -> models.Membership:
    role = _role(role)
    async with in_transaction():
        organisation = await _organisation(scope, organisation_id, "update")
        held = await models.Membership.filter(organisation_id=organisation.id, person_id=person_id, role=role,
                                              deleted_at=None).first()
        if held is None or not await rows(scope, "person", Compare("id", "eq", person_id)).exists():
            raise NotFound(f"this person is not {role} here", field="person")
        if held.ended_on is not None:
            raise Conflict(f"this membership already ended on {held.ended_on}", field="endedOn")
        if held.started_on and ended_on < held.started_on:
            raise BadInput("it ends after it started", field="endedOn")
        if not await models.Membership.filter(id=held.id, version=held.version, ended_on=None).update(
                ended_on=ended_on, version=held.version + 1):
            raise Conflict("this membership was changed by someone else", field="endedOn")
        row = await models.Membership.get(id=held.id)
        await _audit(actor, "update", organisation, row, ["endedOn"])
    return row
