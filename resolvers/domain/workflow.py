"""The closed loop (上报、受理、处置、核查、考核) as a state machine.

    reported → accepted → dispatched → handling → resolved → verified → closed
    reported | accepted | returned → rejected;  resolved → handling when verification fails

and its corrections, each a step as well (DOMAIN.md):

    dispatched | handling | ext_requested | returned → dispatched   re-dispatch 改派
    dispatched | handling → returned       return 回退, to the dispatcher's queue, with a reason
    handling → ext_requested → handling    extension 延期: asked with a new deadline, approved or refused
    any open state before resolution → parked → the state it was parked from    挂账 / 解除挂账
    urging 催办 and supervision 督办 leave the state and count or stamp the event

Each step is one transaction: the event is re-read, the caller's policy must allow the
step's verb where the step is decided (below), the current state must allow the step (else
CONFLICT), and the change and its log entry are written together. The update names the
state and version it read, so two concurrent steps cannot both pass.

Where a step is decided (`Step.decided`), as if the event lay there:
    handler     the region handling the event, else the reporting grid (with a department,
                the department's facet `event:assigned` decides)
    reporting   the reporting grid (verification)
    dispatcher  the tier that dispatched it (re-dispatch, extensions), else the reporting grid
    above       the tier above the handler: the parent of the handling region, or for a
                department the tier that dispatched to it (urging)

Deadlines (resolvers.domain.deadlines): reporting, escalating and a return start the accept window
(the tier that has it must dispatch it again), dispatching the handle window (or the
deadline the dispatcher sets), resolving the verify window, a failed verification the handle
window again; an approved extension runs to the deadline asked for, parking to the review
date, un-parking restarts the window of the state it returns to; closing and rejecting leave
nothing due.

Every step passes through `take_step`, which writes the log entry (who, from, to, to whom,
what is due after it, the note) and the audit entry: the one place a hand-over happens."""

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

from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.domain import notices
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.runtime.event_bus import announce_event_change
from gridhub.resolvers.read.filters import as_utc
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.write.mutations import create_row, now
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.write.region_locks import hold_region


@dataclass(frozen=True)
class Step:
    verb: str  # the policy action
    sources: tuple[S, ...]  # states it may start from
    target: S | None  # the state it leads to (None: unchanged)
    decided: str = "handler"  # where the verb is decided: handler, reporting, dispatcher or above
    deadline: str | None = None  # the window it starts: accept, handle or verify


OPEN = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.EXTENSION_REQUESTED, S.RETURNED, S.PARKED,
        S.RESOLVED, S.VERIFIED)
# where handling is under way or waits for the dispatcher: what a county parks
UNRESOLVED = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.EXTENSION_REQUESTED, S.RETURNED)
WITH_HANDLER = (S.DISPATCHED, S.HANDLING, S.EXTENSION_REQUESTED)
STEPS = {
    "accept": Step("accept", (S.REPORTED,), S.ACCEPTED),
    "dispatch": Step("dispatch", (S.ACCEPTED,), S.DISPATCHED, deadline="handle"),
    "escalate": Step("escalate", (S.REPORTED, S.ACCEPTED, S.RETURNED), S.REPORTED, deadline="accept"),
    "start": Step("handle", (S.DISPATCHED,), S.HANDLING),
    "resolve": Step("resolve", (S.HANDLING, S.EXTENSION_REQUESTED), S.RESOLVED, deadline="verify"),
    "verify": Step("verify", (S.RESOLVED,), S.VERIFIED, decided="reporting"),
    "close": Step("close", (S.VERIFIED,), S.CLOSED),
    "reject": Step("reject", (S.REPORTED, S.ACCEPTED, S.RETURNED), S.REJECTED),
    "supervise": Step("supervise", OPEN, None),
    # the corrections
    "redispatch": Step("redispatch", (*WITH_HANDLER, S.RETURNED), S.DISPATCHED, decided="dispatcher",
                       deadline="handle"),
    "return": Step("return", (S.DISPATCHED, S.HANDLING), S.RETURNED, deadline="accept"),
    "request_extension": Step("request_extension", (S.HANDLING,), S.EXTENSION_REQUESTED),
    "approve_extension": Step("decide_extension", (S.EXTENSION_REQUESTED,), S.HANDLING, decided="dispatcher"),
    "refuse_extension": Step("decide_extension", (S.EXTENSION_REQUESTED,), S.HANDLING, decided="dispatcher"),
    "park": Step("park", UNRESOLVED, S.PARKED),
    "unpark": Step("unpark", (S.PARKED,), None),
    "urge": Step("urge", tuple(s for s in OPEN if s is not S.PARKED), None, decided="above"),
}
# The verbs a policy rule may name for the workflow (besides reading and writing rows);
# sending to a department is a verb of its own, so that the policy says which tiers may.
TO_DEPARTMENT = "dispatch_to_department"
VERBS = ("report", *dict.fromkeys(step.verb for step in STEPS.values()), TO_DEPARTMENT)
# the window a state waits in, for un-parking: the dispatcher's, or the handler's
WINDOW_OF = {S.REPORTED: "accept", S.ACCEPTED: "accept", S.RETURNED: "accept", S.DISPATCHED: "handle",
             S.HANDLING: "handle"}


async def _path_of(region_id: int | None) -> str | None:
    if region_id is None:
        return None
    return (await models.Region.get(id=region_id)).region_path


async def decision_path(event: models.Event, step: Step) -> str | None:
    """Where `step` is decided for `event` (see the module's docstring); None: nowhere, as
    above the county."""
    if step.decided == "reporting":
        return event.region_path
    if step.decided == "dispatcher":
        return await _path_of(event.dispatcher_region_id) or event.region_path
    if step.decided == "above":
        if event.handling_department_id is not None:
            return await _path_of(event.dispatcher_region_id) or event.region_path
        handler = await models.Region.get(id=event.handling_region_id or event.region_id)
        return await _path_of(handler.parent_id)
    return await _path_of(event.handling_region_id) or event.region_path


async def acting_path(event: models.Event, step: Step) -> str:
    """Where a step is decided: the reporting grid, or the region now handling the event."""
    return await decision_path(event, step) or event.region_path


def _allowed(scope: Scope, verb: str, event: models.Event, path: str | None) -> bool:
    """The verb is compiled like any action; here it is decided for the event as if it lay
    at `path`, so a community may not act once the town has taken over."""
    if path is None:
        return False
    at = SimpleNamespace(**{**event.__dict__, "region_path": path})
    return scope.where("event", verb).matches(at)


async def _event_for(scope: Scope, event_id: int, name: str, step: Step) -> models.Event:
    event = await rows(scope, "event", Compare("id", "eq", event_id)).first()
    if event is None:
        raise NotFound("no event with this id")
    if not _allowed(scope, step.verb, event, await decision_path(event, step)):
        raise Forbidden(f"you may not {step.verb.replace('_', ' ')} this event")
    if step.sources and event.status not in step.sources:
        raise Conflict(f"cannot {name.replace('_', ' ')} an event that is {event.status.name.lower()}",
                       field="status", status=event.status.name)
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


async def move(event: models.Event, target: S, at: datetime, **columns: Any) -> None:
    """The guarded write of a step: the event moves only from the status the step was decided
    on (`event` as read), so of two steps decided on one status the second finds the first's
    and is refused, however their transactions interleave; nor from another version of it (an
    urging or an edit meanwhile)."""
    changed = await models.Event.filter(id=event.id, status=event.status, version=event.version,
                                        deleted_at=None).update(
        status=target, version=F("version") + 1, updated_at=at, **columns)
    if not changed:
        raise Conflict("the event changed meanwhile; read it again", field="status")


async def take_step(scope: Scope, actor: str, event_id: int, name: str, note: str = "", *,
                    target: S | None = None, attachments: list[str] | None = None,
                    deadline: str | None = None, due_at: datetime | None = None,
                    check: Any = None, **changes: Any) -> models.Event:
    """Move an event one step; `changes` are the columns the step sets besides its status,
    `target` overrides the step's usual next state and `deadline` the window it starts (a
    failed verification), `due_at` sets the due time itself (a dispatcher's deadline).
    `check(event)`, if given, may refuse the step or return more changes once the event is
    read and the step allowed, inside the transaction."""
    step = STEPS[name]
    async with in_transaction():
        if changes.get("handling_region_id") is not None:  # handed to a region no re-gridding retires meanwhile
            await hold_region(changes["handling_region_id"])
        event = await _event_for(scope, event_id, name, step)
        if check is not None:
            more = await check(event) or {}
            if more.get("handling_region_id") is not None:  # a return: to a region no re-gridding retires meanwhile
                await hold_region(more["handling_region_id"])
            target, due_at = more.pop("target", target), more.pop("due_at", due_at)
            deadline = more.pop("deadline", deadline)
            changes = {**changes, **more}
        target = target or step.target or event.status
        at = now()
        due = await _due_changes(event, target, deadline or step.deadline, due_at, at)
        if event.requested_due_at is not None and target is not S.EXTENSION_REQUESTED:
            changes.setdefault("requested_due_at", None)  # a pending extension ends with the state it was asked in
        counted = changes.pop("count", {})
        await move(event, target, at, **due, **changes, **{column: F(column) + 1 for column in counted})
        changed_event = await models.Event.get(id=event_id)
        # the hand-over as the record keeps it: the one place every step passes (notices hook here)
        await models.EventLog.create(
            event_id=event_id, actor=actor, action=name, from_status=event.status, to_status=target, note=note,
            attachments=attachments or [], due_at=_due_after(changes, changed_event), **_handed_to(changes))
        await record_change(actor, name, "event", changed_event,
                            {**due, **changes, **dict.fromkeys(counted), "status": target})
        # the one hook of every step: a hand-over tells its new holder (resolvers.domain.notices)
        await notices.hand_over(event, changed_event, name, actor, note)
    await announce_event_change(changed_event, name)
    return changed_event


def _handed_to(changes: dict) -> dict:
    """Whom a step handed the event to (a dispatch, re-dispatch, escalation, return): its
    log entry's region or department; nothing for a step that hands over nothing."""
    if "handling_region_id" not in changes and "handling_department_id" not in changes:
        return {}
    return {"to_region_id": changes.get("handling_region_id"), "to_department_id": changes.get("handling_department_id")}


def _due_after(changes: dict, event: models.Event) -> datetime | None:
    """What the log entry says is due: the deadline asked for (an extension request), else
    the event's due time after the step, if anything is due."""
    return changes.get("requested_due_at") or (event.due_at if event.due_soon_at is not None else None)


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
                                     to_status=S.REPORTED, note=data.get("description", "")[:200],
                                     due_at=event.due_at)
    await announce_event_change(event, "report")
    return event


async def _dispatch_target(scope: Scope, region_id: int | None, department_id: int | None,
                           due_at: datetime | None) -> None:
    """A dispatch names a region the caller can see or a live department, and a deadline
    still to come."""
    if (region_id is None) == (department_id is None):
        raise BadInput("dispatch to a region or to a department", field="region")
    if due_at is not None and as_utc(due_at) <= now():
        raise BadInput("the deadline must lie in the future", field="deadline")
    if region_id is not None:
        if await rows(scope, "region", Compare("id", "eq", region_id)).first() is None:
            raise BadInput("no region with this id", field="region")
    elif not await models.Department.exists(id=department_id, deleted_at=None):
        raise BadInput("no department with this id", field="department")


def _may_send_to_department(scope: Scope, department_id: int | None, step: Step):
    """Sending to a department is the policy's `dispatch_to_department`, decided where the
    step is (by default community centres and above: 小事不出村、大事不出镇)."""
    async def check(event: models.Event) -> dict:
        if department_id is not None and not _allowed(scope, TO_DEPARTMENT, event, await acting_path(event, step)):
            raise Forbidden("you may not dispatch this event to a department: pass it up a tier", field="department")
        return {}

    return check


async def _tier_of(scope: Scope, verb: str, event: models.Event) -> int:
    """The tier acting: the highest region, on the way down to where the event is handled,
    at which the caller may take `verb` (its grant's node: a community centre dispatching a
    grid's event is the community, not the grid)."""
    path = await acting_path(event, STEPS[verb])
    parts = path.strip("/").split("/")
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    regions = {r.region_path: r.id for r in await models.Region.filter(region_path__in=ancestors, deleted_at=None)}
    for ancestor in ancestors:
        if ancestor in regions and _allowed(scope, verb, event, ancestor):
            return regions[ancestor]
    return event.handling_region_id or event.region_id


async def dispatch_event(scope: Scope, actor: str, event_id: int, *, region_id: int | None = None,
                         department_id: int | None = None, due_at: datetime | None = None,
                         note: str = "") -> models.Event:
    """派单 to a region (lower or higher tier) or to a department, due by `due_at` or else
    by the category's handle deadline. The tier dispatching it is kept: a return goes back
    to it, and it decides re-dispatch and extensions."""
    await _dispatch_target(scope, region_id, department_id, due_at)
    allowed = _may_send_to_department(scope, department_id, STEPS["dispatch"])

    async def check(event: models.Event) -> dict:
        await allowed(event)
        return {"dispatcher_region_id": await _tier_of(scope, "dispatch", event)}

    return await take_step(scope, actor, event_id, "dispatch", note, due_at=due_at and as_utc(due_at), check=check,
                           handling_region_id=region_id, handling_department_id=department_id)


async def redispatch_event(scope: Scope, actor: str, event_id: int, *, region_id: int | None = None,
                           department_id: int | None = None, due_at: datetime | None = None,
                           note: str = "") -> models.Event:
    """改派: the dispatching tier sends an event it dispatched (or got back) to another
    region or department, with a new handle window or deadline; it stays the dispatcher."""
    await _dispatch_target(scope, region_id, department_id, due_at)
    return await take_step(scope, actor, event_id, "redispatch", note, due_at=due_at and as_utc(due_at),
                           check=_may_send_to_department(scope, department_id, STEPS["redispatch"]),
                           handling_region_id=region_id, handling_department_id=department_id)


async def return_event(scope: Scope, actor: str, event_id: int, reason: str) -> models.Event:
    """回退: the department or region it was dispatched to gives it back, with a reason, to
    the queue of the tier that dispatched it, which has the accept window to dispatch it again."""
    if not reason.strip():
        raise BadInput("a return needs a reason", field="reason")

    async def check(event: models.Event) -> dict:
        return {"handling_region_id": event.dispatcher_region_id}

    return await take_step(scope, actor, event_id, "return", reason, check=check, handling_department_id=None)


async def request_extension(scope: Scope, actor: str, event_id: int, due_at: datetime, reason: str) -> models.Event:
    """延期申请: the handler asks the dispatching tier for a later deadline; until it decides,
    the event stays due when it was."""
    due_at = as_utc(due_at)
    if not reason.strip():
        raise BadInput("an extension needs a reason", field="reason")
    if due_at <= now():
        raise BadInput("the deadline must lie in the future", field="deadline")

    async def check(event: models.Event) -> dict:
        if event.due_at is not None and due_at <= as_utc(event.due_at):
            raise BadInput("the new deadline must be later than the one the event has", field="deadline",
                           due_at=event.due_at.isoformat())
        return {}

    return await take_step(scope, actor, event_id, "request_extension", reason, check=check,
                           requested_due_at=due_at)


async def decide_extension(scope: Scope, actor: str, event_id: int, approved: bool, note: str = "") -> models.Event:
    """The dispatching tier approves (the event is due by the deadline asked for) or refuses
    (with a reason; it stays due when it was) an extension; either way handling goes on."""
    if not approved:
        if not note.strip():
            raise BadInput("a refusal needs a reason", field="note")
        return await take_step(scope, actor, event_id, "refuse_extension", note)

    async def check(event: models.Event) -> dict:
        return {"due_at": as_utc(event.requested_due_at)}

    return await take_step(scope, actor, event_id, "approve_extension", note, check=check)


async def park_event(scope: Scope, actor: str, event_id: int, review_at: datetime, reason: str) -> models.Event:
    """挂账: the county centre parks a case that cannot be solved now; it is due for review
    at `review_at` (RED once that has passed), and neither urged nor handled meanwhile."""
    review_at = as_utc(review_at)
    if not reason.strip():
        raise BadInput("parking needs a reason", field="reason")
    if review_at <= now():
        raise BadInput("the review date must lie in the future", field="reviewAt")
    return await take_step(scope, actor, event_id, "park", reason, due_at=review_at)


async def unpark_event(scope: Scope, actor: str, event_id: int, due_at: datetime | None = None,
                       note: str = "") -> models.Event:
    """解除挂账: back to the state it was parked from (a pending extension lapses: handling),
    with that state's window again from now, or the deadline given."""
    if due_at is not None and as_utc(due_at) <= now():
        raise BadInput("the deadline must lie in the future", field="deadline")

    async def check(event: models.Event) -> dict:
        parked = await models.EventLog.filter(event_id=event.id, action="park").order_by("-created_at", "-id").first()
        before = parked.from_status if parked else S.HANDLING
        before = S.HANDLING if before is S.EXTENSION_REQUESTED else before
        return {"target": before, "deadline": WINDOW_OF.get(before, "handle")}

    return await take_step(scope, actor, event_id, "unpark", note, due_at=due_at and as_utc(due_at), check=check)


async def urge_event(scope: Scope, actor: str, event_id: int, note: str = "") -> models.Event:
    """催办: a tier above the handler presses it; counted on the event, the state and the
    deadline stay."""
    return await take_step(scope, actor, event_id, "urge", note, urged_at=now(), count={"urge_count"})


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
