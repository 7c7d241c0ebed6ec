"""The closed loop (上报、受理、处置、核查、考核) as a state machine.

    reported → accepted → dispatched → handling → resolved → verified → closed
    reported | accepted → rejected;  resolved → handling when verification fails

Each step is one transaction: the event is re-read, the caller's policy must allow the
step's verb where the event is being handled (the handling region, or the reporting grid
for verification and for events with a department), the current state must allow the step
(else CONFLICT), and the change and its log entry are written together. The update names
the state it read, so two concurrent steps cannot both pass.

Deadlines (resolvers.deadlines): reporting and escalating start the accept window (an
escalated event is the next tier's to accept), dispatching the handle window (or the
deadline the dispatcher sets), resolving the verify window, and a failed verification
the handle window again; closing and rejecting leave nothing due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import EventStatus as S
from gridhub.policies.predicate import Compare
from gridhub.policies.scope import Scope

from . import deadlines, notices
from .errors import BadInput, Conflict, Forbidden, NotFound
from .event_bus import announce_event_change
from .filters import as_utc
from .mutations import create_row, now
from .query import rows
from .region_locks import hold_region


@dataclass(frozen=True)
class Step:
    verb: str  # the policy action
    sources: tuple[S, ...]  # states it may start from (empty: any open state)
    target: S | None  # the state it leads to (None: unchanged)
    at_reporting_grid: bool = False  # decided where the event was reported, not where it is handled
    deadline: str | None = None  # the window it starts: accept, handle or verify


OPEN = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.RESOLVED, S.VERIFIED)
STEPS = {
    "accept": Step("accept", (S.REPORTED,), S.ACCEPTED),
    "dispatch": Step("dispatch", (S.ACCEPTED,), S.DISPATCHED, deadline="handle"),
    "escalate": Step("escalate", (S.REPORTED, S.ACCEPTED), S.REPORTED, deadline="accept"),
    "start": Step("handle", (S.DISPATCHED,), S.HANDLING),
    "resolve": Step("resolve", (S.HANDLING,), S.RESOLVED, deadline="verify"),
    "verify": Step("verify", (S.RESOLVED,), S.VERIFIED, at_reporting_grid=True),
    "close": Step("close", (S.VERIFIED,), S.CLOSED),
    "reject": Step("reject", (S.REPORTED, S.ACCEPTED), S.REJECTED),
    "supervise": Step("supervise", OPEN, None),
}


async def acting_path(event: models.Event, step: Step) -> str:
    """Where a step is decided: the reporting grid, or the region now handling the event."""
    if step.at_reporting_grid or event.handling_region_id is None:
        return event.region_path
    region = await models.Region.get(id=event.handling_region_id)
    return region.region_path


async def _event_for(scope: Scope, event_id: int, name: str, step: Step) -> models.Event:
    event = await rows(scope, "event", Compare("id", "eq", event_id)).first()
    if event is None:
        raise NotFound("no event with this id")
    # The verb is compiled like any action; here it is decided for the event as if it lay
    # where it is being handled, so a community may not act once the town has taken over.
    where = scope.where("event", step.verb)
    at = SimpleNamespace(**{**event.__dict__, "region_path": await acting_path(event, step)})
    if not where.matches(at):
        raise Forbidden(f"you may not {step.verb} this event")
    if step.sources and event.status not in step.sources:
        raise Conflict(f"cannot {name} an event that is {event.status.value}", field="status",
                       status=event.status.value)
    return event


async def _due_changes(event: models.Event, target: S, deadline: str | None, due_at: datetime | None,
                      at: datetime) -> dict[str, Any]:
    """The due columns a step sets: none, nothing due, or a new window from `at`."""
    if target in deadlines.FINISHED:
        return deadlines.due_columns(None)
    if due_at is not None:
        return deadlines.due_columns(due_at, at)
    if deadline is not None:
        return await deadlines.window_columns(event.category, deadline, at)
    return {}


async def take_step(scope: Scope, actor: str, event_id: int, name: str, note: str = "", *,
                    target: S | None = None, attachments: list[str] | None = None,
                    deadline: str | None = None, due_at: datetime | None = None,
                    **changes: Any) -> models.Event:
    """Move an event one step; `changes` are the columns the step sets besides its status,
    `target` overrides the step's usual next state and `deadline` the window it starts (a
    failed verification), `due_at` sets the due time itself (a dispatcher's deadline)."""
    step = STEPS[name]
    async with in_transaction():
        if changes.get("handling_region_id") is not None:  # handed to a region no re-gridding retires meanwhile
            await hold_region(changes["handling_region_id"])
        event = await _event_for(scope, event_id, name, step)
        target = target or step.target or event.status
        at = now()
        due = await _due_changes(event, target, deadline or step.deadline, due_at, at)
        changed = await models.Event.filter(id=event_id, status=event.status, deleted_at=None).update(
            status=target, version=F("version") + 1, updated_at=at, **due, **changes)
        if not changed:
            raise Conflict("the event changed meanwhile; read it again", field="status")
        await models.EventLog.create(event_id=event_id, actor=actor, action=name, from_status=event.status,
                                     to_status=target, note=note, attachments=attachments or [])
        changed_event = await models.Event.get(id=event_id)
        # the one hook of every step: a hand-over tells its new holder (resolvers.notices)
        await notices.hand_over(event, changed_event, name, actor, note)
    await announce_event_change(changed_event, name)
    return changed_event


async def report_event(scope: Scope, actor: str, data: dict) -> models.Event:
    """上报: a new event in the reporter's grid, with its first log entry. Reported by no one
    named (no reporter, no reporter name), it is the signed-in user's own: its user name is
    the reporter name, which the scorecards count per worker by."""
    if not data.get("reporter_id") and not (data.get("reporter_name") or "").strip():
        data = {**data, "reporter_name": actor}
    async with in_transaction():
        event = await create_row(scope, "event", {**data, "status": S.REPORTED}, action="report", announce=False,
                                 actor=actor)
        await models.EventLog.create(event_id=event.id, actor=actor, action="report", from_status=None,
                                     to_status=S.REPORTED, note=data.get("description", "")[:200])
    await announce_event_change(event, "report")
    return event


async def dispatch_event(scope: Scope, actor: str, event_id: int, *, region_id: int | None = None,
                         department_id: int | None = None, due_at: datetime | None = None,
                         note: str = "") -> models.Event:
    """派单 to a region (lower or higher tier) or to a department, due by `due_at` or else
    by the category's handle deadline."""
    if (region_id is None) == (department_id is None):
        raise BadInput("dispatch to a region or to a department", field="region")
    if due_at is not None and as_utc(due_at) <= now():
        raise BadInput("the deadline must lie in the future", field="deadline")
    if region_id is not None:
        target = await rows(scope, "region", Compare("id", "eq", region_id)).first()
        if target is None:
            raise BadInput("no region with this id", field="region")
    elif not await models.Department.exists(id=department_id, deleted_at=None):
        raise BadInput("no department with this id", field="department")
    return await take_step(scope, actor, event_id, "dispatch", note, due_at=due_at and as_utc(due_at),
                           handling_region_id=region_id, handling_department_id=department_id)


async def escalate_event(scope: Scope, actor: str, event_id: int, note: str = "") -> models.Event:
    """Up one tier (小事不出村、大事不出镇): the parent of the region handling it takes over."""
    event = await rows(scope, "event", Compare("id", "eq", event_id)).first()
    if event is None:
        raise NotFound("no event with this id")
    current = await models.Region.get(id=event.handling_region_id or event.region_id)
    if current.parent_id is None:
        raise Conflict("the county is the top tier: dispatch to a department instead")
    return await take_step(scope, actor, event_id, "escalate", note, handling_region_id=current.parent_id,
                           handling_department_id=None)


async def verify_event(scope: Scope, actor: str, event_id: int, passed: bool, note: str = "") -> models.Event:
    """核查 by the reporting grid; a failed check sends the event back to handling."""
    if passed:
        return await take_step(scope, actor, event_id, "verify", note)
    return await take_step(scope, actor, event_id, "verify", note or "verification failed", target=S.HANDLING,
                           deadline="handle")


async def supervise_event(scope: Scope, actor: str, event_id: int, note: str = "") -> models.Event:
    """督办: any open event; the state stays, the supervision is stamped and logged."""
    return await take_step(scope, actor, event_id, "supervise", note, supervised_at=now())


async def close_event(scope: Scope, actor: str, event_id: int, satisfaction: int, note: str = "") -> models.Event:
    """销号, with the reporter's satisfaction (1–5)."""
    if not 1 <= satisfaction <= 5:
        raise BadInput("satisfaction is from 1 to 5", field="satisfaction")
    return await take_step(scope, actor, event_id, "close", note, satisfaction=satisfaction, closed_at=now())
