"""Key persons (重点人员, 1+3+N): their responsible staff and their visits (走访).

Visibility follows the key tags: whoever may see a person's key tags (`person.key_tags`,
the sensitive field the masking already knows) sees its responsible staff, its visits and
when the next one is due; to anyone else these read as empty or null, and filtering on
them is refused, so the lists tell nothing the masking hides.

A visit is an event of kind VISIT naming the person visited (EventPerson), recorded closed.
Visit rules are data (`VisitRule`: a tag, an interval in days); a person's next visit is
due its shortest interval after the last visit (or after it was registered). The due time
is kept on the person (`visit_due_at`, indexed) whenever a visit is recorded or its tags
change, so `visitOverdue` is an indexed comparison.

Care work (关爱走访) runs beside it: the rules on care tags (`care/elderly_alone` weekly,
`care/low_income` monthly by default; the county's policy admins change them with
`setVisitRule`) call for care visits, recorded by grid workers and civil affairs as events
of CARE_VISIT_CATEGORY. Its last visit and due time (`last_care_visit_at`,
`care_visit_due_at`) come from the care rules and the care visits only, never from key
tags or key visits, so they are shown to whoever reads the person: a care tag is no secret,
and a due time that moved with a visit one may not see would tell who is a key person.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import EventKind, EventSource, EventStatus, ResponsibleRole
from gridhub.policies.predicate import Compare
from gridhub.policies.scope import Scope

from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.write.region_locks import hold_region
from gridhub.resolvers.domain.staffing import who_serves
from gridhub.resolvers.domain.visit_due import CARE_VISIT_CATEGORY, MAX_EVERY_DAYS, is_care, refresh_visit_due, ruled, visit_category


async def _key_person(scope: Scope, person_id: int) -> models.Person:
    person = await rows(scope, "person", Compare("id", "eq", person_id)).first()
    if person is None:
        raise NotFound("no person with this id")
    if not scope.sees_unmasked("person", "key_tags", person):
        raise Forbidden("key-person work needs the person.key_tags grant here")
    return person


async def _visited(scope: Scope, person_id: int, care: bool | None) -> tuple[models.Person, str]:
    """The person visited and the visit's category. A care visit (`care`, or by default to a
    person with a care tag whose key tags the visitor does not see) needs only to read the
    person: whether the person is also a key person never changes the answer for one who may
    not know it. Any other visit is key-person work, as before."""
    person = await rows(scope, "person", Compare("id", "eq", person_id)).first()
    if person is None:
        raise NotFound("no person with this id")
    tags = await models.PersonTag.filter(person_id=person.id).values_list("tag", flat=True)
    sees_key = scope.sees_unmasked("person", "key_tags", person)
    cared = any(is_care(t) for t in tags)
    if care is None:
        care = cared and not (sees_key and any(t.startswith("key/") for t in tags))
    if care:
        if not cared:
            raise BadInput("a care visit (关爱走访) is to a person with a care tag", field="care")
        return person, CARE_VISIT_CATEGORY
    if not sees_key:
        raise Forbidden("key-person work needs the person.key_tags grant here")
    return person, visit_category(tags)


async def record_visit(scope: Scope, actor: str, person_id: int, occurred_at: datetime, note: str = "",
                       care: bool | None = None) -> models.Event:
    """走访: a closed VISIT event in the person's region, naming the person, and the
    person's next due time moved on. It needs `report` on events of its category there: a
    key person's visit is of KEY_VISIT_CATEGORY, which the police may report too and the
    centres may not read; a care visit of CARE_VISIT_CATEGORY, which civil affairs may report.
    It is at the person's home, whether or not the visitor may read places (a police officer
    reads key persons, not their houses)."""
    from gridhub.resolvers.write.mutations import create_row, now

    occurred_at = occurred_at.astimezone(timezone.utc)  # stored, and closed at, in UTC
    if occurred_at > now() + timedelta(minutes=5):
        raise BadInput("a visit is recorded after it took place", field="occurredAt")
    person, category = await _visited(scope, person_id, care)
    title = ("关爱走访" if category == CARE_VISIT_CATEGORY else "入户走访") + person.name
    async with in_transaction():
        event = await create_row(scope, "event", {
            "title": title, "description": note, "kind": EventKind.VISIT,
            "category": category, "source": EventSource.PATROL,
            "occurred_at": occurred_at, "region_id": person.region_id, "reporter_name": actor,
            "person_ids": [person.id], "status": EventStatus.CLOSED}, action="report", announce=False, actor=actor)
        # done when recorded: no deadline ever ran (the report's accept window is dropped)
        await models.Event.filter(id=event.id).update(place_id=person.residence_id,  # 入户: at home
                                                      closed_at=occurred_at, **deadlines.due_columns(None),
                                                      due_at=None)
        await models.EventLog.create(event_id=event.id, actor=actor, action="visit", from_status=None,
                                     to_status=EventStatus.CLOSED, note=note[:200])
        await refresh_visit_due([person.id])
    return await models.Event.get(id=event.id)


# ---- the visit rules, the county's: policy admins granted `visit_rule` `update` at the root ----

async def _roots() -> list[str]:
    return sorted(await models.Region.filter(parent_id=None, deleted_at=None).values_list("region_path", flat=True))


async def may_edit_rules(store: Any, actor: str) -> bool:
    roots = await _roots()
    return bool(roots) and all(store.allows(actor, root, "visit_rule", "update") for root in roots)


async def list_visit_rules() -> list[models.VisitRule]:
    """The rules are the county's working norms, no one's data: every signed-in caller reads them."""
    return await models.VisitRule.all().order_by("tag")


async def set_visit_rule(store: Any, actor: str, tag: str, every_days: int | None) -> models.VisitRule | None:
    """Set how often the persons with `tag` are visited, or (`every_days` null) drop the rule;
    then the due times of the persons it touches move, in the same transaction. Returns the
    rule, or None when dropped."""
    from gridhub.resolvers.write import validation as v

    if not await may_edit_rules(store, actor):
        raise Forbidden("editing visit rules needs the visit_rule update grant at the county")
    v.check_path(tag, "tag")
    if not (tag.startswith("key/") or is_care(tag)):
        raise BadInput("a visit rule is on a key-person tag (key/…) or a care tag (care/…)", field="tag")
    if every_days is not None and not 1 <= every_days <= MAX_EVERY_DAYS:
        raise BadInput(f"a visit is due every 1 to {MAX_EVERY_DAYS} days", field="everyDays")
    async with in_transaction():
        found = await models.VisitRule.get_or_none(tag=tag)
        if every_days is None:
            if found is None:
                raise NotFound("no visit rule on this tag", field="tag")
            await models.VisitRule.filter(id=found.id).delete()
            rule = None
        elif found is None:
            rule = await models.VisitRule.create(tag=tag, every_days=every_days)
        else:
            await models.VisitRule.filter(id=found.id).update(every_days=every_days)
            rule = await models.VisitRule.get(id=found.id)
        await record_change(actor, "set_visit_rule", "visit_rule", object_id=tag, region_path=(await _roots())[0],
                            detail={"every_days": every_days, "before": found.every_days if found else None})
        ids = sorted(set(await models.PersonTag.filter(ruled([tag]), person__deleted_at=None).values_list(
            "person_id", flat=True)))
        for i in range(0, len(ids), 500):
            await refresh_visit_due(ids[i:i + 500])
    return rule


async def _may_update(scope: Scope, person_id: int) -> None:
    if not await rows(scope, "person", Compare("id", "eq", person_id), action="update").exists():
        raise Forbidden("you may not update this person")


async def assign_responsibility(scope: Scope, actor: str, person_id: int, role: ResponsibleRole, name: str,
                                started_on: date, username: str | None = None,
                                staff_person_id: int | None = None) -> models.KeyPersonResponsibility:
    """One of the 1+3+N of a key person: a user, a person of the registers, or a name."""
    from gridhub.resolvers.write.audit import record_change

    person = await _key_person(scope, person_id)
    await _may_update(scope, person_id)
    name, user = await who_serves(scope, name, username, staff_person_id, person_field="staffPerson")
    async with in_transaction():
        # where the person lies now: a re-gridding may have moved them since they were read
        person = await models.Person.get(id=person.id)
        region = await hold_region(person.region_id)
        row = await models.KeyPersonResponsibility.create(
            key_person_id=person.id, role=role, name=name, user_id=user and user.id, person_id=staff_person_id,
            started_on=started_on, region_id=region.id, region_path=region.region_path)
        await record_change(actor, "create", "responsibility", row, {
            "key_person_id": person.id, "role": role, "name": name, "user_id": user,
            "person_id": staff_person_id, "started_on": started_on})
    return row


async def end_responsibility(scope: Scope, actor: str, responsibility_id: int,
                             ended_on: date) -> models.KeyPersonResponsibility:
    """The responsibility ends on `ended_on`; its history stays. Unknown and invisible alike
    are NOT_FOUND: the id of someone's key-person work tells nothing to those who may not see it."""
    from gridhub.resolvers.write.audit import record_change

    async with in_transaction():
        found = await models.KeyPersonResponsibility.get_or_none(id=responsibility_id, deleted_at=None)
        person = found and await rows(scope, "person", Compare("id", "eq", found.key_person_id)).first()
        if person is None or not scope.sees_unmasked("person", "key_tags", person):
            raise NotFound("no responsibility with this id", field="id")
        await _may_update(scope, person.id)
        if ended_on < found.started_on:
            raise BadInput("it ends after it started", field="endedOn")
        if not await models.KeyPersonResponsibility.filter(id=found.id, version=found.version).update(
                ended_on=ended_on, version=found.version + 1):
            raise Conflict("the responsibility changed meanwhile; read it again")
        row = await models.KeyPersonResponsibility.get(id=found.id)
        await record_change(actor, "update", "responsibility", row, {"ended_on": ended_on})
    return row
