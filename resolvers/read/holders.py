"""Who holds an event now (issue 21): the one whose step it waits for, which is whose
to-do list it is on and who is told when it is handed over.

    reported, accepted   wait to be accepted or dispatched   by the handling region
    returned             waits to be dispatched again (改派)  by the handling region (the dispatcher's, 回退)
    dispatched, handling wait to be handled and resolved     by the department, else the handling region
    extension_requested  waits for the extension's decision  by the dispatching tier (延期)
    resolved             waits to be verified                by the reporting grid
    verified             waits to be closed                  by the handling region
    closed, rejected     wait for nothing                    held by nobody
    parked               waits for its review date (挂账)     held by nobody

"The handling region" is the region it was dispatched or escalated to, or the reporting
grid while it has none; a department's event is closed where it was reported. This is the
rule `resolvers.domain.workflow.acting_path` decides steps by, told per state. It is written once
as predicates (filters, to-do lists, both read paths) and asked of a loaded event by the
same predicates (notices), so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from gridhub import models
from gridhub.models.enums import EventStatus as S
from gridhub.policies.predicate import FALSE, Compare, In, IsNull, Pred, and_, or_

# the state -> the step (resolvers.domain.workflow.STEPS) an event in it waits for
WAITING: dict[S, str] = {S.REPORTED: "accept", S.ACCEPTED: "dispatch", S.RETURNED: "redispatch",
                         S.DISPATCHED: "start", S.HANDLING: "resolve", S.EXTENSION_REQUESTED: "decide_extension",
                         S.RESOLVED: "verify", S.VERIFIED: "close"}
_AT_REPORTING_GRID = (S.RESOLVED,)
_AT_DISPATCHER = (S.EXTENSION_REQUESTED,)
_DEPARTMENT_STEPS = (S.DISPATCHED, S.HANDLING)
_AT_HANDLING_REGION = tuple(s for s in WAITING if s not in _AT_REPORTING_GRID + _AT_DISPATCHER)

# 挂账: a case parked by the county centre waits for its review date, on nobody's list
PARKED = Compare("status", "eq", S.PARKED.value)


@dataclass(frozen=True)
class Holder:
    region_id: int | None = None
    department_id: int | None = None


def _values(ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(i) for i in ids}))


def held_by_regions(region_ids: Iterable[int]) -> Pred:
    """Events waiting for a step of one of these regions (exactly them, not their subtrees)."""
    ids = _values(region_ids)
    if not ids:
        return FALSE
    handled_here = or_(In("handling_region_id", ids), and_(IsNull("handling_region_id"), In("region_id", ids)))
    return or_(
        and_(In("status", tuple(s.value for s in _AT_REPORTING_GRID)), In("region_id", ids)),
        and_(In("status", tuple(s.value for s in _AT_DISPATCHER)), In("dispatcher_region_id", ids)),
        and_(In("status", tuple(s.value for s in _AT_HANDLING_REGION if s not in _DEPARTMENT_STEPS)),
             handled_here),
        and_(In("status", tuple(s.value for s in _DEPARTMENT_STEPS)), IsNull("handling_department_id"),
             handled_here),
    )


def held_by_departments(department_ids: Iterable[int]) -> Pred:
    ids = _values(department_ids)
    if not ids:
        return FALSE
    return and_(In("status", tuple(s.value for s in _DEPARTMENT_STEPS)), In("handling_department_id", ids))


def held_by(region_ids: Iterable[int] = (), department_ids: Iterable[int] = ()) -> Pred:
    return or_(held_by_regions(region_ids), held_by_departments(department_ids))


def waiting_for(steps: Iterable[str]) -> Pred:
    """Events waiting for any of these steps (`accept`, `dispatch`, `start`, …)."""
    wanted = set(steps)
    return In("status", tuple(s.value for s, step in WAITING.items() if step in wanted))


def holder_of(event: Any) -> Holder | None:
    """The holder of one loaded event, by the predicates above."""
    try:
        state = S(getattr(event.status, "value", event.status))
    except ValueError:  # a state no step waits in
        return None
    if state not in WAITING:
        return None
    if held_by_departments([event.handling_department_id or 0]).matches(event):
        return Holder(department_id=event.handling_department_id)
    for region_id in (event.handling_region_id, event.region_id, event.dispatcher_region_id):
        if region_id is not None and held_by_regions([region_id]).matches(event):
            return Holder(region_id=region_id)
    return None


# the steps a holder takes: a role with one of these verbs on events holds at its grant's node
HOLDER_VERBS = frozenset({"accept", "dispatch", "handle", "resolve", "verify", "close"})


def acting_paths(store: Any, username: str) -> set[str]:
    """The nodes where the user holds a role that takes a holder's step on events: its grants'
    nodes (`/a/b/*` is `/a/b/`), not their subtrees — a town centre's list is what waits
    for the town, not for each of its grids."""
    paths = set()
    for role, domain in store.grants_of(username):
        if not domain.startswith("/"):
            continue  # `*`: a role held everywhere (a department's) holds by its department
        for inherited in store.inherited_roles(role):
            # `event:assigned` is a department's: it holds by its department, wherever granted
            if any(obj.split(":")[0] == "event" and obj != "event:assigned" and action in HOLDER_VERBS
                   and effect[:1] != ["deny"]
                   for _, obj, action, *effect in store.rules_of(inherited)):
                paths.add(domain.rstrip("*"))
                break
    return paths


async def holdings_of(store: Any, user: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(region ids, department ids) the user holds events for: the nodes it acts at and its
    department."""
    if user is None:
        return (), ()
    paths = acting_paths(store, user.username) if store is not None else set()
    regions = await models.Region.filter(region_path__in=sorted(paths), deleted_at=None).values_list(
        "id", flat=True) if paths else []
    departments = (user.department_id,) if getattr(user, "department_id", None) else ()
    return _values(regions), departments


@dataclass(frozen=True)
class Holding:
    """The holders a `heldBy` filter names, resolved to ids."""

    region_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()
