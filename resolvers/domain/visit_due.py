"""When each person's next visit (走访) and care visit (关爱走访) is due, by the visit rules.

Visit rules are data (`VisitRule`: a tag, an interval in days); a person's next visit is
due its shortest interval after the last visit (or after it was registered). The due time
is kept on the person (`visit_due_at`, indexed) whenever a visit is recorded or its tags
change, so `visitOverdue` is an indexed comparison. Care rules (on care tags) give the care
due time (`care_visit_due_at`) from care visits only.

Below the writes: the generic writes (resolvers.write.mutations) refresh a person's due times when
its tags change, and recording a visit (resolvers.domain.visits) writes through them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Iterable

from tortoise.expressions import Q

from gridhub import models
from gridhub.models.enums import EventKind
from gridhub.policies.predicate import FALSE, Compare, IsNull, Pred, and_, or_
from gridhub.policies.scope import Scope

from gridhub.resolvers.errors import Forbidden

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


def ruled(rules: Iterable[str]) -> Q:
    return Q(tag__in=list(rules)) | Q(*(Q(tag__startswith=rule + "/") for rule in rules), join_type=Q.OR)


async def refresh_missing_visit_due() -> int:
    """Due times for persons a rule applies to that have none: tagged before the hub kept
    them (a database from before migration 0008, or 0020 for care work) or by a writer other
    than the hub. Run at start; index probes when there is nothing to do."""
    key_rules, care_rules = split_rules(dict(await models.VisitRule.all().values_list("tag", "every_days")))
    ids: set[int] = set()
    if key_rules:
        ids |= set(await models.PersonTag.filter(ruled(key_rules), person__visit_due_at=None,
                                                 person__deleted_at=None).values_list("person_id", flat=True))
    if care_rules:
        ids |= set(await models.PersonTag.filter(ruled(care_rules), person__care_visit_due_at=None,
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

