"""Notices (issue 21): each hand-over of an event tells its new holder — dispatched,
escalated or returned to it, urged — and so does an event turning due soon (YELLOW). And a
grid is reminded of a person's residence registration coming due for renewal (issue 22,
`sweep_renewals`, made by the same periodic sweep).

One hook makes them: `hand_over`, called by `resolvers.domain.workflow.take_step` for every
step, inside the step's transaction, with the event before and after it. Which steps are
hand-overs, and of what kind, is the table HAND_OVERS: a step added to the state machine
notifies by a line there, not by code of its own. The holder told is the one whose step the
event now waits for (resolvers.read.holders). A hand-over to a department is also queued for
the department's webhooks (resolvers.domain.webhooks), in the same transaction, so a committed
hand-over is never lost for them and a rolled-back one never sent.

Each user of a holder (the staff of a region, the users of a department) reads the
holder's notices with a read mark of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import EventStatus as S
from gridhub.policies.predicate import FALSE, In, InSubquery, IsNull, Pred, and_, or_
from gridhub.policies.scope import Scope

from gridhub.resolvers.domain import webhooks
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.read.holders import Holder, holder_of, holdings_of
from gridhub.resolvers.read.query import sql_dialect, visible
from gridhub.resolvers.domain.residence import RENEWAL_NOTICE_DAYS


@dataclass(frozen=True)
class HandOver:
    kind: str  # what the holder is told: dispatched, escalated, returned, urged
    only_into: S | None = None  # a hand-over only when the step leads to this state
    same_holder: bool = False  # told though the event stays where it is (urging)


# step (resolvers.domain.workflow.STEPS) -> the hand-over it makes; steps not named make none
HAND_OVERS: dict[str, HandOver] = {
    "dispatch": HandOver("dispatched"),
    "redispatch": HandOver("dispatched"),  # 改派
    "escalate": HandOver("escalated"),
    "return": HandOver("returned"),  # 回退
    "verify": HandOver("returned", only_into=S.HANDLING),  # a failed check: back to the handler
    "urge": HandOver("urged", same_holder=True),  # 催办
}
DUE_SOON = "due_soon"
RENEWAL_DUE = "renewal_due"  # about a person: its residence registration (居住登记) comes due
KINDS = ("dispatched", "escalated", "returned", "urged", DUE_SOON, RENEWAL_DUE)
# a transfer of residence (resolvers.domain.transfers): asked of the holding grid, decided for the asking one
TRANSFER_KINDS = ("transfer_asked", "transfer_done")


async def hand_over(before: models.Event, after: models.Event, step: str, actor: str,
                    note: str = "") -> models.Notice | None:
    """The notice a step makes, if it hands the event over (or urges its holder)."""
    rule = HAND_OVERS.get(step)
    if rule is None or (rule.only_into is not None and after.status != rule.only_into):
        return None
    holder = holder_of(after)
    if holder is None or (not rule.same_holder and holder == holder_of(before)):
        return None
    return await notify(after, holder, rule.kind, step, actor, note)


async def notify(event: models.Event, holder: Holder, kind: str, action: str, actor: str = "",
                 note: str = "") -> models.Notice:
    notice = await models.Notice.create(event_id=event.id, kind=kind, action=action, actor=actor,
                                        region_id=holder.region_id, department_id=holder.department_id,
                                        due_at=event.due_at if event.due_soon_at is not None else None,
                                        note=note[:500])
    if holder.department_id is not None:
        await webhooks.queue(notice, event)
    return notice


# ---- due soon: found by the server's sweep (resolvers.domain.hand_over.HandOverWorker) -------------

# The notice is made only if the event is still at the version the sweep read, due soon
# then (a step taken meanwhile, a dispatch say, has set another due time and holder), and
# the unique index of migration 0014 keeps one per due time (ON CONFLICT on both dialects).
# Its due time is the event's column itself, so the sweep's NOT EXISTS compares like with like.
_DUE_SOON_ONCE = ("INSERT INTO notice (created_at, event_id, kind, action, actor, region_id, department_id, due_at, "
                  "note) SELECT {at}, e.id, 'due_soon', '', '', {region}, {department}, e.due_at, '' FROM event e "
                  "WHERE e.id = {event} AND e.version = {version} AND e.deleted_at IS NULL "
                  "AND e.due_soon_at <= {at} AND e.open_due_at >= {at} "
                  "ON CONFLICT (event_id, due_at) WHERE kind = 'due_soon' DO NOTHING RETURNING id")
_MARKS = {"postgres": dict(at="$1", event="$2", version="$3", region="$4", department="$5"),
          "sqlite": dict(at="?1", event="?2", version="?3", region="?4", department="?5")}


_NOT_TOLD = ("SELECT e.id FROM event e WHERE e.deleted_at IS NULL AND e.due_soon_at <= {at} AND e.open_due_at >= {at2} "
             "AND NOT EXISTS (SELECT 1 FROM notice n WHERE n.event_id = e.id AND n.kind = 'due_soon' "
             "AND n.due_at = e.due_at) ORDER BY e.open_due_at, e.id LIMIT {limit}")


async def sweep_due_soon(at: datetime, limit: int = 200) -> list[tuple[models.Notice, models.Event]]:
    """Tell the holders of the events that turned YELLOW (due soon, not yet overdue) and were
    not told for this due time yet; once each, whatever processes sweep together."""
    dialect = sql_dialect()
    client = connections.get("default")
    moment = at.isoformat(sep=" ") if dialect == "sqlite" else at
    marks = ("$1", "$2", "$3") if dialect == "postgres" else ("?", "?", "?")
    ids = [r["id"] for r in await client.execute_query_dict(
        _NOT_TOLD.format(at=marks[0], at2=marks[1], limit=marks[2]), [moment, moment, limit])]
    made = []
    for event in await models.Event.filter(id__in=ids).order_by("open_due_at", "id") if ids else []:
        holder = holder_of(event)
        if holder is None:
            continue
        async with in_transaction():
            found = await connections.get("default").execute_query_dict(
                _DUE_SOON_ONCE.format(**_MARKS[dialect]),
                [moment, event.id, event.version, holder.region_id, holder.department_id])
            if not found:  # told meanwhile by another process, or no longer due soon
                continue
            notice = await models.Notice.get(id=found[0]["id"])
            if holder.department_id is not None:
                await webhooks.queue(notice, event)
        made.append((notice, event))
    return made


# ---- renewals: the floating population's registrations coming due (居住登记) ------------------

# One statement tells every grid of the registrations of its persons (a micro-grid's person:
# its grid) that lapse within the window (resolvers.domain.residence.RENEWAL_NOTICE_DAYS) or have
# lapsed, and were not told for this lapse day yet: the unique index of migration 0020 keeps
# one notice per person and lapse day, whatever processes sweep together, and a renewal
# (a new lapse day) is told again when it comes due in turn. `due_at` is the lapse day's
# civil midnight.
_RENEWALS = ("INSERT INTO notice (created_at, event_id, person_id, kind, action, actor, region_id, department_id, "
             "due_at, note) SELECT {at}, NULL, p.id, 'renewal_due', '', '', "
             "CASE WHEN g.tier = 'micro_grid' THEN g.parent_id ELSE g.id END, NULL, {lapse}, '' "
             "FROM residence r JOIN person p ON p.id = r.person_id JOIN region g ON g.id = p.region_id "
             "WHERE r.ended_on IS NULL AND r.deleted_at IS NULL AND r.expires_on IS NOT NULL "
             "AND r.expires_on <= {soon} AND p.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM notice n "
             "WHERE n.person_id = p.id AND n.kind = 'renewal_due' AND n.due_at = {lapse}) "
             "ON CONFLICT (person_id, due_at) WHERE kind = 'renewal_due' DO NOTHING RETURNING id")


def _lapse_sql(dialect: str) -> str:
    hours = int(CIVIL_TIME_ZONE.utcoffset(None).total_seconds() // 3600)
    if dialect == "postgres":
        return f"((r.expires_on::timestamp - INTERVAL '{hours} hours') AT TIME ZONE 'UTC')"
    return f"(datetime(r.expires_on, '{-hours:+d} hours') || '+00:00')"  # as tortoise writes a time


async def sweep_renewals(at: datetime) -> list[models.Notice]:
    """Tell the grids of the registrations come due (see _RENEWALS); the notices made."""
    dialect = sql_dialect()
    soon = at.astimezone(CIVIL_TIME_ZONE).date() + timedelta(days=RENEWAL_NOTICE_DAYS)
    marks = ("$1", "$2") if dialect == "postgres" else ("?", "?")
    moment = at.isoformat(sep=" ") if dialect == "sqlite" else at
    found = await connections.get("default").execute_query_dict(
        _RENEWALS.format(at=marks[0], soon=marks[1], lapse=_lapse_sql(dialect)),
        [moment, soon if dialect == "postgres" else soon.isoformat()])
    ids = [r["id"] for r in found]
    return await models.Notice.filter(id__in=ids).order_by("id") if ids else []


# ---- reading ---------------------------------------------------------------------------------

async def mine(scope: Scope, store: Any, user: Any) -> Pred:
    """The notices of the caller's holdings, of events (or, for a renewal, persons) it may
    read now."""
    regions, departments = await holdings_of(store, user)
    if not regions and not departments:
        return FALSE
    from gridhub.resolvers.domain.transfers import visible as transfer_visible  # a transfer's notices (迁入/迁出) are of people

    return and_(or_(In("region_id", regions), In("department_id", departments)),
                or_(InSubquery("event_id", models.Event, "id", scope.where("event", "read")),
                    and_(IsNull("event_id"),
                         InSubquery("transfer_id", models.ResidenceTransfer, "id", transfer_visible(scope))),
                    InSubquery("person_id", models.Person, "id", visible(scope, "person"))))


async def read_ids(user: Any, notice_ids: list[int]) -> set[int]:
    if user is None or not notice_ids:
        return set()
    return set(await models.NoticeRead.filter(user_id=user.id, notice_id__in=notice_ids).values_list(
        "notice_id", flat=True))


def unread(user: Any):
    """The notices `user` has not marked read, as an ORM condition."""
    return _Unread(user.id).to_q()


@dataclass(frozen=True)
class _Unread(Pred):
    """Notices the user has not marked read (a NOT IN on its read marks)."""

    user_id: int

    def to_q(self):
        from tortoise.expressions import Q, Subquery
        return ~Q(id__in=Subquery(models.NoticeRead.filter(user_id=self.user_id).values("notice_id")))

    def key(self):
        return ("unread", self.user_id)


async def mark_read(scope: Scope, store: Any, user: Any, notice_ids: list[int] | None) -> int:
    """Mark the caller's notices read: these (others' or unknown ones are bad input), or all
    of them. Returns how many were unread."""
    where = await mine(scope, store, user)
    async with in_transaction():
        query = models.Notice.filter(where.to_q())
        if notice_ids is not None:
            wanted = set(notice_ids)
            found = set(await query.filter(id__in=wanted).values_list("id", flat=True))
            if found != wanted:
                raise BadInput("no notice of yours with some of these ids", field="ids")
            query = models.Notice.filter(id__in=wanted)
        fresh = await query.filter(unread(user)).values_list("id", flat=True)
        await models.NoticeRead.bulk_create([models.NoticeRead(notice_id=i, user_id=user.id) for i in fresh],
                                            ignore_conflicts=True)
        if fresh:  # every mutation is audited: one entry, however many notices
            await record_change(user.username, "mark_notices_read", "notice",
                                detail={"notices": sorted(fresh)[:1000], "count": len(fresh)})
    return len(fresh)
