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
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import EventKind, EventSource, EventStatus, ResponsibleRole
from gridhub.policies.predicate import FALSE, Compare, IsNull, Pred, and_, or_
from gridhub.policies.scope import Scope

from . import deadlines
from .errors import BadInput, Conflict, Forbidden, NotFound
from .query import rows
from .region_locks import hold_region
from .staffing import who_serves

# (tag, every_days): monthly for those under supervision or care by law, quarterly otherwise
DEFAULT_RULES = (
    ("key/community_correction", 30), ("key/mental_disorder", 30), ("key/drug", 30),
    ("key/petitioner", 30), ("key/released_prisoner", 90), ("key/key_youth", 90),
    ("key/aids_risk", 90), ("key/dangerous_goods", 90),
)
VISIT_CATEGORY = "service/visit"
KEY_VISIT_CATEGORY = "service/key_visit"  # shown where key tags are (policies/default_policy.csv)


def visit_category(tags: Iterable[str]) -> str:
    """The category of a visit to a person with these tags: a key person's visit is of its
    own, hidden from those who may not know who is a key person."""
    return KEY_VISIT_CATEGORY if any(t.startswith("key/") for t in tags) else VISIT_CATEGORY


async def seed_visit_rules() -> bool:
    if await models.VisitRule.exists():
        return False
    # several processes may start on a new database at once: the first seed wins, quietly
    await models.VisitRule.bulk_create([models.VisitRule(tag=t, every_days=d) for t, d in DEFAULT_RULES],
                                       ignore_conflicts=True)
    return True


def rule_days(tags: Iterable[str], rules: dict[str, int]) -> int | None:
    """The shortest interval among the rules matching any of `tags` (a rule's tag matches
    itself and the paths below it)."""
    found = [days for rule, days in rules.items() for t in tags if t == rule or t.startswith(rule + "/")]
    return min(found) if found else None


async def refresh_visit_due(person_ids: list[int], connection: Any = None) -> dict[int, tuple]:
    """Recompute last visit and next due time of a few persons (one mutation's): four reads
    for all of them, then one update each. Returns them: id -> (last visit, due). Never
    visited, the first visit is due an interval after the person got the first tag a rule
    matches (else after it was registered): one registered long ago and tagged today is
    not overdue today."""
    if not person_ids:
        return {}
    rules = dict(await models.VisitRule.all().using_db(connection).values_list("tag", "every_days"))
    tags: dict[int, list[str]] = defaultdict(list)
    tagged: dict[int, datetime] = {}  # person id -> when it got its first tag a rule matches
    for person_id, tag, at in await models.PersonTag.filter(person_id__in=person_ids).using_db(
            connection).values_list("person_id", "tag", "created_at"):
        tags[person_id].append(tag)
        if rule_days([tag], rules) is not None and (person_id not in tagged or at < tagged[person_id]):
            tagged[person_id] = at
    visited = await models.EventPerson.filter(person_id__in=person_ids).using_db(connection).values_list(
        "person_id", "event_id")
    times = dict(await models.Event.filter(id__in=[e for _, e in visited], kind=EventKind.VISIT,
                                           deleted_at=None).using_db(connection).values_list("id", "occurred_at"))
    last: dict[int, datetime] = {}
    for person_id, event_id in visited:
        if event_id in times and (person_id not in last or times[event_id] > last[person_id]):
            last[person_id] = times[event_id]
    created = dict(await models.Person.filter(id__in=person_ids).using_db(connection).values_list("id", "created_at"))
    found = {}
    for person_id in person_ids:
        days = rule_days(tags[person_id], rules)
        base = last.get(person_id) or tagged.get(person_id) or created.get(person_id)
        due = base + timedelta(days=days) if days is not None and base is not None else None
        await models.Person.filter(id=person_id).using_db(connection).update(
            last_visited_at=last.get(person_id), visit_due_at=due)
        found[person_id] = (last.get(person_id), due)
    return found


async def refresh_missing_visit_due() -> int:
    """Due times for persons a rule applies to that have none: tagged before the hub kept
    them (a database from before migration 0008) or by a writer other than the hub. Run at
    start; an index probe when there is nothing to do."""
    rules = await models.VisitRule.all().values_list("tag", flat=True)
    if not rules:
        return 0
    ruled = Q(tag__in=rules) | Q(*(Q(tag__startswith=rule + "/") for rule in rules), join_type=Q.OR)
    ids = list(set(await models.PersonTag.filter(ruled, person__visit_due_at=None, person__deleted_at=None)
                   .values_list("person_id", flat=True)))
    for i in range(0, len(ids), 500):
        await refresh_visit_due(ids[i:i + 500])
    return len(ids)


def overdue_predicate(overdue: bool, now: datetime, scope: Scope) -> Pred:
    """`visitOverdue: true`: persons whose visit is past due; false: the others."""
    where_visible = scope.where("person.key_tags")
    if where_visible == FALSE:
        raise Forbidden("filtering by visits needs the person.key_tags grant", field="visitOverdue")
    late = Compare("visit_due_at", "lt", now)
    return and_(where_visible, late if overdue else or_(IsNull("visit_due_at"), Compare("visit_due_at", "gte", now)))


async def _key_person(scope: Scope, person_id: int) -> models.Person:
    person = await rows(scope, "person", Compare("id", "eq", person_id)).first()
    if person is None:
        raise NotFound("no person with this id")
    if not scope.sees_unmasked("person", "key_tags", person):
        raise Forbidden("key-person work needs the person.key_tags grant here")
    return person


async def record_visit(scope: Scope, actor: str, person_id: int, occurred_at: datetime, note: str = "") -> models.Event:
    """走访: a closed VISIT event in the person's region, naming the person, and the
    person's next due time moved on. It needs `report` on events of its category there: a
    key person's visit is of KEY_VISIT_CATEGORY, which the police may report too and the
    centres may not read. It is at the person's home, whether or not the visitor may read
    places (a police officer reads key persons, not their houses)."""
    from .mutations import create_row, now

    person = await _key_person(scope, person_id)
    occurred_at = occurred_at.astimezone(timezone.utc)  # stored, and closed at, in UTC
    if occurred_at > now() + timedelta(minutes=5):
        raise BadInput("a visit is recorded after it took place", field="occurredAt")
    category = visit_category(await models.PersonTag.filter(person_id=person.id).values_list("tag", flat=True))
    async with in_transaction():
        event = await create_row(scope, "event", {
            "title": f"入户走访{person.name}", "description": note, "kind": EventKind.VISIT,
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


async def _may_update(scope: Scope, person_id: int) -> None:
    if not await rows(scope, "person", Compare("id", "eq", person_id), action="update").exists():
        raise Forbidden("you may not update this person")


async def assign_responsibility(scope: Scope, actor: str, person_id: int, role: ResponsibleRole, name: str,
                                started_on: date, username: str | None = None,
                                staff_person_id: int | None = None) -> models.KeyPersonResponsibility:
    """One of the 1+3+N of a key person: a user, a person of the registers, or a name."""
    from .mutations import record_change

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
    from .mutations import record_change

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
