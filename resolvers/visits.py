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
from .audit import record_change
from .errors import BadInput, Conflict, Forbidden, NotFound
from .query import rows
from .region_locks import hold_region
from .staffing import who_serves

# (tag, every_days): monthly for those under supervision or care by law, quarterly otherwise
DEFAULT_RULES = (
    ("key/community_correction", 30), ("key/mental_disorder", 30), ("key/drug", 30),
    ("key/petitioner", 30), ("key/released_prisoner", 90), ("key/key_youth", 90),
    ("key/aids_risk", 90), ("key/dangerous_goods", 90),
    # care visits (关爱走访): the elderly living alone weekly, low-income households monthly
    ("care/elderly_alone", 7), ("care/low_income", 30),
)
VISIT_CATEGORY = "service/visit"
KEY_VISIT_CATEGORY = "service/key_visit"  # shown where key tags are (policies/default_policy.csv)
CARE_VISIT_CATEGORY = "service/care_visit"  # recorded and read by civil affairs too
MAX_EVERY_DAYS = 366


def is_care(tag: str) -> bool:
    """A care tag (care/…), or a rule on care tags: care work's, not key-person work's."""
    return tag == "care" or tag.startswith("care/")


def split_rules(rules: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(key-person work's rules, care work's rules)."""
    return ({t: d for t, d in rules.items() if not is_care(t)}, {t: d for t, d in rules.items() if is_care(t)})


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
    """Recompute last visit and next due time of a few persons (one mutation's), for
    key-person work and for care work: four reads for all of them, then one update each.
    Returns them: id -> (last visit, due, last care visit, care due). Never visited, the first visit is due an interval
    after the person got the first tag a rule matches (else after it was registered): one
    registered long ago and tagged today is not overdue today. Care work counts care visits
    only; key-person work every visit."""
    if not person_ids:
        return {}
    key_rules, care_rules = split_rules(dict(
        await models.VisitRule.all().using_db(connection).values_list("tag", "every_days")))
    tags: dict[int, list[str]] = defaultdict(list)
    tagged: dict[int, datetime] = {}  # person id -> when it got its first tag a key rule matches
    care_tagged: dict[int, datetime] = {}  # … a care rule matches
    for person_id, tag, at in await models.PersonTag.filter(person_id__in=person_ids).using_db(
            connection).values_list("person_id", "tag", "created_at"):
        tags[person_id].append(tag)
        for rules, first in ((key_rules, tagged), (care_rules, care_tagged)):
            if rule_days([tag], rules) is not None and (person_id not in first or at < first[person_id]):
                first[person_id] = at
    visited = await models.EventPerson.filter(person_id__in=person_ids).using_db(connection).values_list(
        "person_id", "event_id")
    times = {i: (at, category) for i, at, category in await models.Event.filter(
        id__in=[e for _, e in visited], kind=EventKind.VISIT, deleted_at=None).using_db(connection).values_list(
        "id", "occurred_at", "category")}
    last: dict[int, datetime] = {}
    last_care: dict[int, datetime] = {}
    for person_id, event_id in visited:
        if event_id not in times:
            continue
        at, category = times[event_id]
        if person_id not in last or at > last[person_id]:
            last[person_id] = at
        if category == CARE_VISIT_CATEGORY and (person_id not in last_care or at > last_care[person_id]):
            last_care[person_id] = at
    created = dict(await models.Person.filter(id__in=person_ids).using_db(connection).values_list("id", "created_at"))

    def due(person_id: int, rules: dict[str, int], visit: dict, first: dict) -> datetime | None:
        days = rule_days(tags[person_id], rules)
        base = visit.get(person_id) or first.get(person_id) or created.get(person_id)
        return base + timedelta(days=days) if days is not None and base is not None else None

    found = {}
    for person_id in person_ids:
        found[person_id] = (last.get(person_id), due(person_id, key_rules, last, tagged),
                            last_care.get(person_id), due(person_id, care_rules, last_care, care_tagged))
        await models.Person.filter(id=person_id).using_db(connection).update(
            **dict(zip(("last_visited_at", "visit_due_at", "last_care_visit_at", "care_visit_due_at"),
                       found[person_id])))
    return found


def _ruled(rules: Iterable[str]) -> Q:
    return Q(tag__in=list(rules)) | Q(*(Q(tag__startswith=rule + "/") for rule in rules), join_type=Q.OR)


async def refresh_missing_visit_due() -> int:
    """Due times for persons a rule applies to that have none: tagged before the hub kept
    them (a database from before migration 0008, or 0020 for care work) or by a writer other
    than the hub. Run at start; index probes when there is nothing to do."""
    key_rules, care_rules = split_rules(dict(await models.VisitRule.all().values_list("tag", "every_days")))
    ids: set[int] = set()
    if key_rules:
        ids |= set(await models.PersonTag.filter(_ruled(key_rules), person__visit_due_at=None,
                                                 person__deleted_at=None).values_list("person_id", flat=True))
    if care_rules:
        ids |= set(await models.PersonTag.filter(_ruled(care_rules), person__care_visit_due_at=None,
                                                 person__deleted_at=None).values_list("person_id", flat=True))
    ordered = sorted(ids)
    for i in range(0, len(ordered), 500):
        await refresh_visit_due(ordered[i:i + 500])
    return len(ordered)


def overdue_predicate(overdue: bool, now: datetime, scope: Scope) -> Pred:
    """`visitOverdue: true`: persons whose visit is past due; false: the others."""
    where_visible = scope.where("person.key_tags")
    if where_visible == FALSE:
        raise Forbidden("filtering by visits needs the person.key_tags grant", field="visitOverdue")
    late = Compare("visit_due_at", "lt", now)
    return and_(where_visible, late if overdue else or_(IsNull("visit_due_at"), Compare("visit_due_at", "gte", now)))


def care_overdue_predicate(overdue: bool, now: datetime) -> Pred:
    """`careVisitOverdue: true`: persons whose care visit is past due; false: the others.
    Care tags and care visits are shown to every reader of the person: no grant to check."""
    late = Compare("care_visit_due_at", "lt", now)
    return late if overdue else or_(IsNull("care_visit_due_at"), Compare("care_visit_due_at", "gte", now))


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
    from .mutations import create_row, now

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
    from . import validation as v

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
        ids = sorted(set(await models.PersonTag.filter(_ruled([tag]), person__deleted_at=None).values_list(
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
    from .audit import record_change

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
    from .audit import record_change

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
