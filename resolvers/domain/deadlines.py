"""Deadlines (时限) and the traffic light of an event.

Each category gives the hours three steps of the closed loop may take: accept (受理, from
report to dispatch), handle (处置, from dispatch to resolution) and verify (核查, from
resolution to closing). A step that starts one of these windows (resolvers.domain.workflow)
sets the event's due time; closed and rejected events have nothing due.

The light is decided from two stored times, so that it is a predicate pushed into SQL,
relative to a `now` passed in, never a loop over rows:
    RED     the due time has passed: open_due_at < now
    YELLOW  due soon: due_soon_at <= now <= open_due_at
    GREEN   before that: now < due_soon_at
    none    nothing is due (closed, rejected): due_soon_at is null
where due_soon_at = window start + the window × YELLOW_AFTER (the setting
`LIGHT_YELLOW_AFTER`, 0.75 by default): a step is GREEN for the first three quarters of its
window and YELLOW for the last quarter, whether the window is 2 hours or 10 days, and never
YELLOW from its start. The window runs from the step that set the due time (a report, a
dispatch, a resolution, an approved extension, parking) to the due time.

open_due_at is due_at while something is due and NO_DUE (the far future) after, so that
lists order by due time over a NOT NULL column, as keyset cursors need: the most urgent
first, events with nothing due last. due_at itself keeps a finished event's last deadline
(was it closed in time?)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Iterable

from gridhub import models
from gridhub.models.enums import EventStatus
from gridhub.models.event import NO_DUE
from gridhub.policies.predicate import Compare, IsNull, Pred, SqlParams, and_, or_

from gridhub.resolvers.runtime.civil_time import now
from gridhub.resolvers.errors import BadInput

YELLOW_AFTER = 0.75  # the share of a step's window after which it is due soon (configure())
FINISHED = (EventStatus.CLOSED, EventStatus.REJECTED)  # nothing is due for these


class Light(str, Enum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class StepHours:
    accept: int
    handle: int
    verify: int


# For events whose category is not in the tree (rows older than the tree).
DEFAULT_HOURS = StepHours(accept=24, handle=72, verify=24)


def configure(yellow_after: float) -> None:
    """Set the share of a window after which the light turns YELLOW (settings.light_yellow_after),
    for the due times set from now on; those set before keep theirs."""
    global YELLOW_AFTER
    if not 0 < yellow_after < 1:
        raise ValueError("light_yellow_after is a share of the window, between 0 and 1 (exclusive)")
    YELLOW_AFTER = yellow_after


def yellow_from(started_at: datetime, due_at: datetime) -> datetime:
    """When a window from `started_at` to `due_at` turns YELLOW."""
    return started_at + (due_at - started_at) * YELLOW_AFTER


def due_columns(due_at: datetime | None, started_at: datetime | None = None) -> dict[str, Any]:
    """The event columns for a window from `started_at` to `due_at`; with no `due_at`,
    nothing is due any more and `due_at` keeps the last deadline (was it closed in time?)."""
    if due_at is None:
        return {"open_due_at": NO_DUE, "due_soon_at": None}
    return {"due_at": due_at, "open_due_at": due_at, "due_soon_at": yellow_from(started_at or due_at, due_at)}


def ancestry(path: str) -> list[str]:
    """`safety/fire` -> [`safety/fire`, `safety`]: the category, then the classes above it."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


async def hours_for(category: str) -> StepHours:
    """The hours of the category or, failing that, of its nearest class. A category deleted
    since the event was reported still gives the event its deadlines."""
    found = {c.path: c for c in await models.EventCategory.filter(path__in=ancestry(category))}
    for path in ancestry(category):
        if path in found:
            c = found[path]
            return StepHours(c.accept_hours, c.handle_hours, c.verify_hours)
    return DEFAULT_HOURS


async def window_columns(category: str, step: str, started_at: datetime) -> dict[str, Any]:
    """The due columns of `step`'s window (accept, handle or verify) starting at `started_at`."""
    hours = getattr(await hours_for(category), step)
    return due_columns(started_at + timedelta(hours=hours), started_at)


# ---- the light, as predicates --------------------------------------------------------------

SOMETHING_DUE = IsNull("due_soon_at", null=False)


def light_predicates(at: datetime) -> dict[Light, Pred]:
    """Each light as a predicate on the event table, relative to `at`; they never overlap."""
    return {
        Light.RED: Compare("open_due_at", "lt", at),
        Light.YELLOW: and_(Compare("due_soon_at", "lte", at), Compare("open_due_at", "gte", at)),
        Light.GREEN: Compare("due_soon_at", "gt", at),
    }


def light_predicate(lights: Iterable[Any], at: datetime) -> Pred:
    """Events whose light at `at` is one of `lights` (Light members or their values)."""
    wanted = set()
    for light in lights:
        try:
            wanted.add(Light(getattr(light, "value", light)))
        except ValueError:
            raise BadInput(f"not a light: {light!r}", field="light") from None
    predicates = light_predicates(at)
    return or_(*(predicates[light] for light in Light if light in wanted))


def due_predicate(*, before: datetime | None = None, after: datetime | None = None) -> Pred:
    """Events with something due in [after, before): closed and rejected ones never are."""
    parts = [SOMETHING_DUE]
    if after is not None:
        parts.append(Compare("open_due_at", "gte", after))
    if before is not None:
        parts.append(Compare("open_due_at", "lt", before))
    return and_(*parts)


def light_at(event: Any, at: datetime) -> Light | None:
    """The light of one event already loaded: the same predicates, asked of the row."""
    for light, predicate in light_predicates(at).items():
        if predicate.matches(event):
            return light
    return None


def light_sql(params: SqlParams, alias: str, at: datetime | None = None) -> str:
    """The light as an SQL expression ('red', 'yellow', 'green' or NULL), to group by."""
    cases = " ".join(f"WHEN {p.to_sql(params, alias)} THEN '{light.value}'"
                     for light, p in light_predicates(at or now()).items())
    return f"CASE {cases} END"

