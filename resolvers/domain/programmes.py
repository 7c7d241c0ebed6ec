"""Seed programmes as data (issue 22, point 7): joint-household units (双联户), party service posts
(先锋驿站) and volunteer activities with their hours.

Each is a scoped kind (`joint_unit`, `service_post`, `volunteer_activity`): a unit lives in its
head household's region, a post and an activity in their organisation's. A write is one
transaction: the row is made (or changed), then it must be inside the caller's scope for the
action (a failed check rolls it back), and it is audited like every data edit (record_change).
Edits carry the version the editor read (CONFLICT if the row changed since); a post closes and
an activity is withdrawn by soft deletion (mutations.delete_row), needing the kind's `delete`.
The rows it points at (households, organisations, places, persons) must be readable to the
caller, so nobody links what they cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import OrganisationKind
from gridhub.policies.predicate import Compare, In
from gridhub.policies.scope import Scope

from gridhub.resolvers.write import validation as v
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.read.query import rows

# who runs a service post (先锋驿站): party organisations
PARTY_KINDS = (OrganisationKind.PARTY_BRANCH, OrganisationKind.PARTY_GROUP)
MAX_HOURS = Decimal("24")  # one person's hours in one activity, a day's at most


async def _readable(scope: Scope, kind: str, row_id: int | None, field: str):
    if row_id is None:
        return None
    found = await rows(scope, kind, Compare("id", "eq", row_id)).first()
    if found is None:
        raise BadInput(f"no {kind} with this id", field=field)
    return found


async def _allowed(scope: Scope, kind: str, row_id: int, action: str, what: str) -> None:
    if not await rows(scope, kind, Compare("id", "eq", row_id), action=action).exists():
        raise Forbidden(f"you may not {what} here")  # raised inside the transaction: rolls it back


# ---- joint-household units (双联户) ------------------------------------------------------

async def _households(scope: Scope, ids: list[int], head: models.Household, unit_id: int | None) -> list[int]:
    """The unit's households: readable, in the head's grid, not in another unit; the head among them."""
    wanted = list(dict.fromkeys([head.id, *ids]))
    found = await rows(scope, "household", In("id", tuple(wanted)))
    if len(found) != len(wanted):
        raise BadInput("no household with one of these ids", field="households")
    for h in found:
        if h.region_id != head.region_id:
            raise BadInput(f"household {h.code} lies in another grid than the head household", field="households")
        if h.joint_unit_id is not None and h.joint_unit_id != unit_id:
            raise Conflict(f"household {h.code} belongs to another joint-household unit", field="households")
    return wanted


async def form_joint_unit(scope: Scope, actor: str, code: str, name: str, head_id: int,
                          household_ids: list[int]) -> models.JointHouseholdUnit:
    from gridhub.resolvers.write.audit import record_change

    v.check_text(code, "code", required=True, max_length=32)
    v.check_text(name, "name", max_length=64)
    head = await _readable(scope, "household", head_id, "headHousehold")
    try:
        async with in_transaction():
            members = await _households(scope, household_ids, head, None)
            unit = await models.JointHouseholdUnit.create(code=code.strip(), name=(name or "").strip(),
                                                          head_household_id=head.id, region_id=head.region_id,
                                                          region_path=head.region_path)
            await _allowed(scope, "joint_unit", unit.id, "create", "form a joint-household unit")
            await models.Household.filter(id__in=members).update(joint_unit_id=unit.id)
            await record_change(actor, "create", "joint_unit", unit,
                                {"code": code, "name": name, "head_household_id": head.id, "households": members})
    except IntegrityError:
        raise Conflict("there is a joint-household unit with this code", field="code") from None
    return unit


async def change_joint_unit(scope: Scope, actor: str, unit_id: int, version: int, *, name: str | None = None,
                            head_id: int | None = None, add: list[int] = (), remove: list[int] = ()
                            ) -> models.JointHouseholdUnit:
    """Rename, hand the head to another member, take households in or let them go; the head
    stays a member."""
    from gridhub.resolvers.write.audit import record_change

    if name is not None:
        v.check_text(name, "name", max_length=64)
    async with in_transaction():
        unit = await rows(scope, "joint_unit", Compare("id", "eq", unit_id)).first()
        if unit is None:
            raise NotFound("no joint-household unit with this id")
        await _allowed(scope, "joint_unit", unit.id, "update", "change this joint-household unit")
        head = await _readable(scope, "household", head_id or unit.head_household_id, "headHousehold")
        if head_id is not None and head.joint_unit_id not in (None, unit.id):
            raise Conflict("the new head household belongs to another unit", field="headHousehold")
        if head.region_id != unit.region_id:  # the unit lies in its head's grid, and stays there
            raise BadInput("the new head household lies in another grid than the unit", field="headHousehold")
        if head.id in remove:
            raise BadInput("the head household stays in its unit: hand the head to another first", field="remove")
        added = await _households(scope, list(add), head, unit.id)
        if remove:
            leaving = await rows(scope, "household", In("id", tuple(remove)))
            if len(leaving) != len(set(remove)) or any(h.joint_unit_id != unit.id for h in leaving):
                raise BadInput("one of these households is not in this unit", field="remove")
        changed = {k: val for k, val in (("name", name), ("head_household_id", head_id)) if val is not None}
        if not await models.JointHouseholdUnit.filter(id=unit.id, version=version).update(
                **changed, version=unit.version + 1):
            raise Conflict(f"this unit was changed by someone else (you read version {version}, it is now "
                           f"{unit.version})", field="version", current_version=unit.version)
        await models.Household.filter(id__in=added).update(joint_unit_id=unit.id)
        if remove:
            await models.Household.filter(id__in=list(remove), joint_unit_id=unit.id).update(joint_unit_id=None)
        unit = await models.JointHouseholdUnit.get(id=unit.id)
        await record_change(actor, "update", "joint_unit", unit,
                            {**changed, **({"add": add} if add else {}), **({"remove": remove} if remove else {})})
    return unit


async def dissolve_joint_unit(scope: Scope, actor: str, unit_id: int) -> models.JointHouseholdUnit:
    from gridhub.resolvers.write.audit import record_change
    from gridhub.resolvers.write.mutations import now

    async with in_transaction():
        unit = await rows(scope, "joint_unit", Compare("id", "eq", unit_id)).first()
        if unit is None:
            raise NotFound("no joint-household unit with this id")
        await _allowed(scope, "joint_unit", unit.id, "delete", "dissolve this joint-household unit")
        await models.Household.filter(joint_unit_id=unit.id).update(joint_unit_id=None)
        await models.JointHouseholdUnit.filter(id=unit.id).update(deleted_at=now(), version=unit.version + 1)
        unit = await models.JointHouseholdUnit.get(id=unit.id)
        await record_change(actor, "delete", "joint_unit", unit, {})
    return unit


# ---- party service posts (先锋驿站) -------------------------------------------------------

async def record_service_post(scope: Scope, actor: str, organisation_id: int, name: str, place_id: int | None,
                              services: str, opening_hours: str) -> models.ServicePost:
    from gridhub.resolvers.write.audit import record_change

    v.check_text(name, "name", required=True, max_length=64)
    v.check_text(services, "services", max_length=255)
    v.check_text(opening_hours, "openingHours", max_length=64)
    organisation = await _readable(scope, "organisation", organisation_id, "organisation")
    if organisation.kind not in PARTY_KINDS:
        raise BadInput("a service post (先锋驿站) is run by a party branch or party group", field="organisation")
    await _readable(scope, "place", place_id, "place")
    async with in_transaction():
        post = await models.ServicePost.create(
            organisation_id=organisation.id, name=name.strip(), place_id=place_id, services=services or "",
            opening_hours=opening_hours or "", region_id=organisation.region_id,
            region_path=organisation.region_path)
        await _allowed(scope, "service_post", post.id, "create", "record a service post")
        await record_change(actor, "create", "service_post", post,
                            {"organisation_id": 1, "name": 1, "place_id": place_id, "services": 1, "opening_hours": 1})
    return post


async def _editable(scope: Scope, kind: str, row_id: int, what: str):
    """The row to change, read in the writing transaction: NOT_FOUND where the caller cannot read
    it, FORBIDDEN where it reads but may not change it (the same grants as recording)."""
    found = await rows(scope, kind, Compare("id", "eq", row_id)).first()
    if found is None:
        raise NotFound(f"no {what} with this id")
    await _allowed(scope, kind, found.id, "update", f"change this {what}")
    return found


async def change_service_post(scope: Scope, actor: str, post_id: int, version: int, *, name: str | None = None,
                              place_id: int | None = None, services: str | None = None,
                              opening_hours: str | None = None) -> models.ServicePost:
    """What a post offers, when it opens, its name or its place; refused (CONFLICT) if it changed
    since `version` was read. Its organisation, and so its region, stay."""
    from gridhub.resolvers.write.audit import record_change
    from gridhub.resolvers.write.mutations import now, write_if_unchanged

    if name is not None:
        v.check_text(name, "name", required=True, max_length=64)
    v.check_text(services, "services", max_length=255)
    v.check_text(opening_hours, "openingHours", max_length=64)
    changed = {key: value for key, value in (("name", name and name.strip()), ("place_id", place_id),
                                             ("services", services), ("opening_hours", opening_hours))
               if value is not None}
    async with in_transaction():
        post = await _editable(scope, "service_post", post_id, "service post")
        await _readable(scope, "place", place_id, "place")
        await write_if_unchanged("service_post", post, version, changed, now())
        post = await models.ServicePost.get(id=post.id)
        await record_change(actor, "update", "service_post", post, changed)
    return post


async def close_service_post(scope: Scope, actor: str, post_id: int, version: int | None) -> models.ServicePost:
    """A post that closed (or was recorded by mistake): soft-deleted, so pulls see it go."""
    from gridhub.resolvers.write.mutations import delete_row

    return await delete_row(scope, "service_post", post_id, version, actor=actor)


# ---- volunteer activities and hours -------------------------------------------------------

@dataclass(frozen=True)
class Participant:
    person_id: int
    hours: Decimal


def check_hours(value, field: str = "hours") -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise BadInput("hours are a number such as 2 or 1.5", field=field) from None
    if not Decimal("0") < hours <= MAX_HOURS:
        raise BadInput(f"hours are more than 0 and at most {MAX_HOURS} (one day's)", field=field)
    return hours


async def record_volunteer_activity(scope: Scope, actor: str, organisation_id: int, title: str, held_on: date,
                                    place_id: int | None, participants: list[Participant]
                                    ) -> models.VolunteerActivity:
    from gridhub.resolvers.write.audit import record_change

    v.check_text(title, "title", required=True, max_length=128)
    _held_on(held_on)
    await _participants(scope, participants)
    organisation = await _readable(scope, "organisation", organisation_id, "organisation")
    await _readable(scope, "place", place_id, "place")
    async with in_transaction():
        activity = await models.VolunteerActivity.create(
            organisation_id=organisation.id, title=title.strip(), held_on=held_on, place_id=place_id,
            region_id=organisation.region_id, region_path=organisation.region_path)
        await _allowed(scope, "volunteer_activity", activity.id, "create", "record a volunteer activity")
        await models.VolunteerHours.bulk_create([
            models.VolunteerHours(activity_id=activity.id, person_id=p.person_id, hours=p.hours) for p in participants])
        await record_change(actor, "create", "volunteer_activity", activity,
                            {"organisation_id": 1, "title": 1, "held_on": 1, "place_id": place_id,
                             "participants": len(participants)})
    return activity


async def _participants(scope: Scope, participants: list[Participant]) -> None:
    if not participants:
        raise BadInput("an activity records at least one participant", field="participants")
    ids = [p.person_id for p in participants]
    if len(set(ids)) != len(ids):
        raise BadInput("each participant once", field="participants")
    if await rows(scope, "person", In("id", tuple(ids))).count() != len(ids):
        raise BadInput("no person with one of these ids", field="participants")


def _held_on(held_on: date) -> None:
    from gridhub.resolvers.runtime.civil_time import today

    if held_on > today():
        raise BadInput("an activity is recorded once held: heldOn is not after today", field="heldOn")


async def change_volunteer_activity(scope: Scope, actor: str, activity_id: int, version: int, *,
                                    title: str | None = None, held_on: date | None = None,
                                    place_id: int | None = None, participants: list[Participant] | None = None
                                    ) -> models.VolunteerActivity:
    """Correct an activity's title, day, place or participants; `participants`, if given, is the
    whole list: hours of those kept are corrected, those left out are removed, new ones added.
    Refused (CONFLICT) if the activity changed since `version` was read."""
    from gridhub.resolvers.write.audit import record_change
    from gridhub.resolvers.write.mutations import now, write_if_unchanged

    if title is not None:
        v.check_text(title, "title", required=True, max_length=128)
    if held_on is not None:
        _held_on(held_on)
    if participants is not None:
        await _participants(scope, participants)
    changed = {key: value for key, value in (("title", title and title.strip()), ("held_on", held_on),
                                             ("place_id", place_id)) if value is not None}
    async with in_transaction():
        activity = await _editable(scope, "volunteer_activity", activity_id, "volunteer activity")
        await _readable(scope, "place", place_id, "place")
        await write_if_unchanged("volunteer_activity", activity, version, changed, now())
        if participants is not None:
            await _replace_hours(activity.id, participants)
        activity = await models.VolunteerActivity.get(id=activity.id)
        await record_change(actor, "update", "volunteer_activity", activity,
                            {**changed, **({"participants": 1} if participants is not None else {})})
    return activity


async def _replace_hours(activity_id: int, participants: list[Participant]) -> None:
    held = {h.person_id: h for h in await models.VolunteerHours.filter(activity_id=activity_id)}
    wanted = {p.person_id: p.hours for p in participants}
    gone = [h.id for person, h in held.items() if person not in wanted]
    if gone:
        await models.VolunteerHours.filter(id__in=gone).delete()
    for person, hours in wanted.items():
        if person in held and held[person].hours != hours:
            await models.VolunteerHours.filter(id=held[person].id).update(hours=hours)
    await models.VolunteerHours.bulk_create([models.VolunteerHours(activity_id=activity_id, person_id=person,
                                                                   hours=hours)
                                             for person, hours in wanted.items() if person not in held])


async def withdraw_volunteer_activity(scope: Scope, actor: str, activity_id: int, version: int | None
                                      ) -> models.VolunteerActivity:
    """An activity recorded by mistake: soft-deleted, its hours no longer counted anywhere."""
    from gridhub.resolvers.write.mutations import delete_row

    return await delete_row(scope, "volunteer_activity", activity_id, version, actor=actor)
